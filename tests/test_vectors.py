import numpy as np
import pytest

from trigger import vectors
from trigger.errors import InputError
from trigger.fixed import FixedType

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
