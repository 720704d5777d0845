"""`build_rtl`'s check counts an output off the compared type's grid as a mismatch (no C simulation, no yosys).

The expected raw integers are alkaid's own emulation of the untouched trace, so the check passes as
is; `CombLogic.predict` is then patched to add a quarter LSB to one lane, which rounding to the
grid would hide.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import hls_model_of

VECTOR, LANE = 3, 1


@pytest.fixture(scope="module")
def mlp(tmp_path_factory) -> tuple:
    """A float ONNX MLP at ap_fixed<16,6>, its compare point, 20 input vectors and the traced raw outputs."""
    from models import float_mlp

    from trigger.emulation import compare_point
    from trigger.fixed import from_hls_precision
    from trigger.rtl.translate import trace_hls_model
    from trigger.vectors import generate

    tmp = tmp_path_factory.mktemp("mlp")
    hm = hls_model_of(float_mlp(tmp / "mlp.onnx"), tmp)
    point = compare_point(hm)
    in_var = hm.get_input_variables()[0]
    x = generate(from_hls_precision(in_var.type.precision), tuple(in_var.shape), 20, seed=5).x
    comb, _ = trace_hls_model(hm, point.layer)
    expected, on_grid = point.ftype.to_raw(comb.predict(x))
    assert on_grid.all() and point.ftype.frac > 2
    return hm, point, x, expected


def _build(mlp: tuple, rtl_dir: Path) -> tuple[dict, list[str]]:
    from trigger.rtl.build import build_rtl
    from trigger.targets import resolve_part

    hm, point, x, expected = mlp
    return build_rtl(hm, point, x, expected, rtl_dir, "mlp", 5.0, resolve_part("xcvu9p"))


def test_on_grid_outputs_pass(mlp, tmp_path):
    block, failures = _build(mlp, tmp_path / "rtl")
    assert block["passed"] and block["check"]["bit_exact"] and failures == []


def test_off_grid_output_is_a_mismatch(mlp, tmp_path, monkeypatch):
    from alkaid.types import CombLogic

    _, point, _, expected = mlp
    predict = CombLogic.predict
    quarter = point.ftype.lsb / 4

    def off_grid(self, data, n_threads: int = -1):
        y = np.array(predict(self, data, n_threads), dtype=np.float64)
        y[VECTOR, LANE] += quarter
        return y

    monkeypatch.setattr(CombLogic, "predict", off_grid)
    block, failures = _build(mlp, tmp_path / "rtl")
    assert not block["passed"] and not block["check"]["bit_exact"]
    raw = int(expected[VECTOR, LANE])
    value = (raw + 0.25) * point.ftype.lsb
    first = {"vector": VECTOR, "lane": LANE, "expected_raw": raw, "got_raw": raw, "got_value": value}
    assert block["check"]["first_mismatch"] == first
    assert len(failures) == 2 and "1 of 20 vectors; first at vector 3 lane 1" in failures[0]
    assert failures[1].startswith(f"RTL output is off the grid of {point.ftype} at layer {point.layer}: ")
    assert f"vector {VECTOR} lane {LANE} is {value!r} (1 of 20 vectors off the grid)" in failures[1]
