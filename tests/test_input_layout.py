"""The packed array of a model's inputs: lane by lane types, splitting, the index entry, the bus packing."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from trigger.errors import InputError
from trigger.fixed import FixedType
from trigger.input_layout import InputLayout, Port
from trigger.rtl.bus import pack_raw

A, B = FixedType(16, 6, True), FixedType(10, 3, False)  # 10 and 7 fractional bits
TWO = InputLayout((Port("tracks", (2, 3), A), Port("calo", (4,), B)))


def _vectors(n: int = 50, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-40, 40, (n, 2, 3)), rng.uniform(-2, 10, (n, 4))


def test_split_join_round_trip_and_row_shape():
    a, b = _vectors()
    x = TWO.join([a, b])
    assert x.shape == (50, 10) and TWO.row_shape == (10,)
    back = TWO.split(x)
    np.testing.assert_array_equal(back[0], a)
    np.testing.assert_array_equal(back[1], b)
    with pytest.raises(ValueError, match="11 values per vector"):
        TWO.split(np.zeros((3, 11)))


def test_each_input_is_quantized_and_converted_with_its_own_type():
    a, b = _vectors()
    x = TWO.join([a, b])
    q = TWO.quantize(x)
    np.testing.assert_array_equal(q[:, :6], A.quantize(a).reshape(50, 6))
    np.testing.assert_array_equal(q[:, 6:], B.quantize(b))
    raw, on_grid = TWO.to_raw(q)
    assert on_grid.all()
    np.testing.assert_array_equal(raw[:, :6], A.to_raw(q[:, :6])[0])
    np.testing.assert_array_equal(raw[:, 6:], B.to_raw(q[:, 6:])[0])
    np.testing.assert_array_equal(TWO.from_raw(raw), q)
    np.testing.assert_array_equal(TWO.lane_fracs(), [10] * 6 + [7] * 4)
    lo, hi = TWO.bounds(x)
    assert (lo[:, :6] == -32).all() and (hi[:, 6:] == B.max_value).all() and (lo[:, 6:] == 0).all()


def test_one_input_behaves_as_its_type():
    one = InputLayout((Port("x", (2, 3), A),))
    x = _vectors()[0]
    np.testing.assert_array_equal(one.quantize(x), A.quantize(x))  # (N, 2, 3) kept, not flattened
    assert one.split(x)[0] is x and one.hls_feed(x) is x and int(one.lane_fracs()) == 10 and str(one) == str(A)


def test_index_entry_round_trip_and_old_projects():
    entry = TWO.describe()
    assert entry["ports"][1] == {"name": "calo", "shape": [4], "type": "ufixed<10,3>", "lanes": [6, 10]}
    assert InputLayout.from_index(entry) == TWO
    old = InputLayout.from_index({"type": "fixed<16,6>"})  # a project written before several inputs
    assert old.single and old.ports[0].ftype == A


class _Layer:
    """An hls4ml input layer as `typed` reads it: get_output_variable().type.precision."""

    def __init__(self, precision):
        self._var = SimpleNamespace(type=SimpleNamespace(precision=precision))

    def get_output_variable(self):
        return self._var


class _Hls:
    """The two attributes `InputLayout.typed` reads of an hls4ml ModelGraph."""

    def __init__(self, names):
        from hls4ml.model.types import FixedPrecisionType

        self.inputs = names
        self.graph = {n: _Layer(FixedPrecisionType(16, 6)) for n in names}


def test_typed_takes_hls4ml_types_and_refuses_another_order():
    untyped = InputLayout((Port("tracks", (6,)), Port("calo", (4,))))
    typed = untyped.typed(_Hls(["tracks", "calo"]), "m.h5")
    assert [p.ftype for p in typed.ports] == [A, A]
    with pytest.raises(InputError, match=r"m.h5: hls4ml orders the inputs \['calo', 'tracks'\]"):
        untyped.typed(_Hls(["calo", "tracks"]), "m.h5")
    with pytest.raises(InputError, match="made 1 inputs"):
        untyped.typed(_Hls(["tracks"]), "m.h5")
    renamed = InputLayout(untyped.ports, ("global_in", "global_in_1"))  # a cleaned ONNX graph's names
    assert renamed.typed(_Hls(["global_in", "global_in_1"]), "m.onnx").ports[1].name == "calo"


def _lanes(types: list[FixedType]) -> list[dict]:
    from alkaid.types import QInterval

    from trigger.rtl.bus import bus_layout

    return bus_layout([QInterval(t.min_value, t.max_value, t.lsb) for t in types])


def test_bus_packs_each_lane_at_its_own_fraction_and_a_wrong_one_fails():
    a, b = _vectors(8)
    layout = InputLayout((Port("tracks", (6,), A), Port("calo", (4,), B)))
    x = layout.quantize(layout.join([a.reshape(8, 6), b]))
    raw, _ = layout.to_raw(x)
    lanes = _lanes([A] * 6 + [B] * 4)
    words = pack_raw(raw, layout.lane_fracs(), lanes, inputs=True)
    for r in range(8):  # lane j holds the raw integer of value j in its own width
        for j, ln in enumerate(lanes):
            field = (words[r] >> ln["lsb"]) & ((1 << ln["width"]) - 1)
            want = int(raw[r, j]) & ((1 << ln["width"]) - 1)
            assert field == want, (r, j)
    with pytest.raises(ValueError, match="not representable on lane"):
        pack_raw(raw, 10, lanes, inputs=True)  # the calo lanes read as 10 fractional bits: off their grid
