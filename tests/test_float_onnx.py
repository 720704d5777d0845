"""A float ONNX MLP quantized after training with --precision: approximate, measured, pinned."""

from __future__ import annotations

import json

import numpy as np
import pytest
from models import float_mlp

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    return float_mlp(tmp_path_factory.mktemp("float") / "float_mlp.onnx", seed=0)


def test_float_onnx_on_representative_inputs(mlp, compile_cli, tmp_path):
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(2000, 16)))
    out = tmp_path / "p"
    run = compile_cli(
        mlp,
        "--target",
        "xcvu9p",
        "-o",
        out,
        "--precision",
        "ap_fixed<16,6>",
        "--inputs",
        tmp_path / "x.npy",
        "--no-rtl",
    )
    assert run.code == 0, run.err
    emu = json.loads((out / "report.json").read_text())["emulation"]
    assert emu["mode"] == "approximate" and emu["reference"] == "onnxruntime" and not emu["bit_exact"]
    assert emu["compared_at"]["feeds"] == "Softmax_0"
    # Measured with hls4ml 1.3.0 / onnxruntime 1.26 (MLAS float sums may differ in the last float bits).
    assert emu["max_abs_diff"] == pytest.approx(0.066295, abs=1e-5)
    assert emu["argmax_agreement"] == 0.9975
    assert emu["final_output"]["max_abs_diff"] == pytest.approx(0.198864, abs=1e-5)
    assert emu["final_output"]["argmax_agreement"] == 0.991


def test_float_onnx_full_range_overflows_and_min_agreement_fails(mlp, compile_cli, tmp_path):
    out = tmp_path / "p"
    run = compile_cli(mlp, "--target", "xcvu9p", "-o", out, "--min-agreement", "0.9", "--no-rtl")
    assert run.code == 3
    assert "below --min-agreement 0.9" in run.err
    emu = json.loads((out / "report.json").read_text())["emulation"]
    # Generated vectors span all of fixed<16,6>; the float model's hidden values then overflow (WRAP).
    assert emu["max_abs_diff"] == pytest.approx(179.6187, abs=1e-3)
    assert emu["argmax_agreement"] == 0.6135
