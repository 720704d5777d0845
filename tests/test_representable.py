"""Parameters their fixed-point type cannot hold are named in the report's warnings."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from conftest import hls_model_of
from models import float_mlp

from trigger.representable import parameter_warnings


def _huge_weight(path: Path) -> Path:
    """float_mlp with w1[3, 7] = 1e30."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(float_mlp(path)))
    for init in model.graph.initializer:
        if init.name == "w1":
            w = numpy_helper.to_array(init).copy()
            w[3, 7] = 1e30
            init.CopyFrom(numpy_helper.from_array(w, "w1"))
    onnx.save(model, str(path))
    return path


def test_a_huge_weight_is_named_with_its_layer(tmp_path):
    hm = hls_model_of(_huge_weight(tmp_path / "huge.onnx"), tmp_path)
    warnings = parameter_warnings(hm)
    assert len(warnings) == 1, warnings
    text = warnings[0]
    assert "Dense_MatMul_0" in text and "1 of 512 weight values" in text and "1e+30, at weight[3, 7]" in text
    assert "wraps" in text or "saturates" in text


def test_a_normal_model_has_no_warning(tmp_path):
    assert parameter_warnings(hls_model_of(float_mlp(tmp_path / "mlp.onnx"), tmp_path)) == []


def _model(values, precision):
    var = SimpleNamespace(data=np.array(values, dtype=np.float64), type=SimpleNamespace(precision=precision), name="w2")
    layer = SimpleNamespace(name="fc2", class_name="Dense", weights={"weight": var})
    return SimpleNamespace(get_layers=lambda: iter([layer]))


@pytest.mark.parametrize(
    ("modes", "says"),
    [
        ({}, "wraps them around (two's complement) (1e+30 becomes 0)"),  # ap_fixed's default: AP_TRN, AP_WRAP
        ({"rounding_mode": "RND", "saturation_mode": "SAT"}, "saturates them to the range (1e+30 becomes 31.999)"),
    ],
)
def test_the_overflow_mode_says_what_hls4ml_does(modes, says):
    from hls4ml.model.types import FixedPrecisionType

    (text,) = parameter_warnings(_model([0.5, 1e30, -40.0, 31.99], FixedPrecisionType(16, 6, **modes)))
    assert "2 of 4 weight values (w2)" in text and "[-32, 31.999]" in text and says in text


def test_rounding_up_past_the_top_is_an_overflow():
    from hls4ml.model.types import FixedPrecisionType

    top = 32 - 2**-10  # the largest ap_fixed<16,6> value; half an LSB above rounds (RND) to 32
    assert parameter_warnings(_model([top], FixedPrecisionType(16, 6, rounding_mode="RND"))) == []
    assert parameter_warnings(_model([top + 2**-11], FixedPrecisionType(16, 6, rounding_mode="RND")))
    assert parameter_warnings(_model([top + 2**-11], FixedPrecisionType(16, 6))) == []  # truncation stays


def test_the_warning_names_the_node_of_the_users_file(tmp_path):
    """Through the pipeline the warning names the file's node (float_mlp's Gemm 'fc1') beside hls4ml's layer,
    and it reaches report.json and report.md."""
    import json

    from trigger.cli import compile_main

    out = tmp_path / "p"
    model = _huge_weight(tmp_path / "huge.onnx")
    assert compile_main([str(model), "--target", "xcvu9p", "-o", str(out), "--stop-after", "hls"]) == 0
    warnings = json.loads((out / "report.json").read_text())["warnings"]
    assert len(warnings) == 1 and warnings[0].startswith("node 'fc1' (op Gemm), hls4ml layer Dense_MatMul_0"), warnings
    assert "node 'fc1' (op Gemm)" in (out / "report.md").read_text()
