import numpy as np
import pytest

from trigger import vectors
from trigger.errors import InputError
from trigger.fixed import FixedType
from trigger.input_layout import InputLayout, Port

T = FixedType(16, 6, True)


def test_generated_vectors_lie_on_grid_and_span_range():
    v = vectors.generate(T, (16,), 2000, seed=0)
    assert v.x.shape == (2000, 16)
    _, on_grid = T.to_raw(v.x)
    assert on_grid.all()
    assert v.x.min() == T.min_value and v.x.max() == T.max_value
    assert np.count_nonzero(np.abs(v.x) < 1) > 0.3 * v.x.size  # the interesting region is well covered


def test_generation_is_reproducible():
    np.testing.assert_array_equal(vectors.generate(T, (4,), 50, 3).x, vectors.generate(T, (4,), 50, 3).x)


def test_loaded_inputs_are_moved_onto_grid(tmp_path):
    f = tmp_path / "x.npy"
    np.save(f, np.array([[0.0001, 1.0], [100.0, -0.5]]))
    v = vectors.load(f, T, (2,))
    np.testing.assert_array_equal(v.x, [[0.0, 1.0], [T.max_value, -0.5]])
    assert v.info["moved_to_grid"] == 2 and v.info["saturated"] == 1


def test_wrong_shape_is_input_error(tmp_path):
    f = tmp_path / "x.npy"
    np.save(f, np.zeros((5, 3)))
    with pytest.raises(InputError, match=r"shape \(5, 3\).*\(N, 16\)"):
        vectors.load(f, T, (16,))


def test_unreadable_inputs_is_input_error(tmp_path):
    f = tmp_path / "x.npy"
    f.write_bytes(b"not numpy")
    with pytest.raises(InputError, match="cannot be read"):
        vectors.load(f, T, (16,))


TWO_UNTYPED = InputLayout((Port("tracks", (3,)), Port("calo", (2, 2))))


def test_npz_inputs_are_read_by_name_and_packed(tmp_path):
    f = tmp_path / "x.npz"
    a, b = np.arange(15.0).reshape(5, 3), -np.arange(20.0).reshape(5, 2, 2)
    np.savez(f, calo=b, tracks=a)  # any order in the file
    x = vectors.read(f, TWO_UNTYPED)
    np.testing.assert_array_equal(x, np.concatenate([a, b.reshape(5, 4)], axis=1))
    packed = tmp_path / "p.npy"
    np.save(packed, x)  # packed in an .npy is read as it is
    np.testing.assert_array_equal(vectors.read(packed, TWO_UNTYPED), x)


@pytest.mark.parametrize(
    "arrays, message",
    [
        (
            {"tracks": np.zeros((5, 3)), "other": np.zeros((5, 2, 2))},
            r"holds arrays \['other', 'tracks'\]; .*\['tracks', 'calo'\]",
        ),
        (
            {"tracks": np.zeros((5, 3)), "calo": np.zeros((4, 2, 2))},
            r"the inputs hold different numbers of vectors \{'tracks': 5, 'calo': 4\}",
        ),
        ({"tracks": np.zeros((5, 3)), "calo": np.zeros((5, 4))}, r"input 'calo': inputs have shape \(5, 4\)"),
        ({"tracks": np.full((5, 3), np.nan), "calo": np.zeros((5, 2, 2))}, "input 'tracks': inputs contain NaN"),
    ],
)
def test_bad_npz_inputs_are_input_errors_naming_the_file(tmp_path, arrays, message):
    f = tmp_path / "x.npz"
    np.savez(f, **arrays)
    with pytest.raises(InputError, match=rf"x\.npz: {message}"):
        vectors.read(f, TWO_UNTYPED)


def test_generated_vectors_of_two_inputs_lie_on_each_grid():
    u = FixedType(8, 2, False)
    layout = InputLayout((Port("tracks", (3,), T), Port("calo", (2, 2), u)))
    v = vectors.generate_all(layout, 400, seed=0)
    assert v.x.shape == (400, 7)
    assert T.to_raw(v.x[:, :3])[1].all() and u.to_raw(v.x[:, 3:])[1].all()
    assert v.x[:, 3:].min() == 0.0 and v.x[:, 3:].max() == u.max_value and v.x[:, :3].min() == T.min_value
