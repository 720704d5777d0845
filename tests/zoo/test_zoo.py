"""Acceptance: the models of the exporter corpus (tests/zoo/models/) compile with exit code 0.

Quantized models are bit-exact at the compared layer (checked here again from the project's saved
vectors, as raw integers); float models, and quantized ones that keep float parameters, report their
error and argmax agreement on the representative inputs shipped beside them, and why they are not
exact; wherever the layers are in the RTL's supported list, the RTL equals the C simulation and
co-simulates (Verilator) with 0 mismatches.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from corpus import corpus

from trigger.fixed import fixed_type_from_str

pytestmark = pytest.mark.slow

MODELS = {m.name: m for m in corpus()}

# Models whose every layer (up to the compare point) is in the RTL's supported list: their RTL must be
# built, equal the C simulation and co-simulate.  The others must say which layer the RTL lacks.
# (public_tfc_2w2a is also the regression test of da4ml's saturation limits at word scales below 2**-32:
# three BatchNorm multiplications in, its SAT_SYM limits came out on a wrong grid; tests/rtl has the unit test.)
RTL_EXPECTED = {
    "brevitas_conv1d_4b",
    "brevitas_two_input_4b",
    "brevitas_mlp_2b",
    "brevitas_mlp_4b",
    "brevitas_mlp_4b_dynamo",
    "keras_float_softmax",
    "onnxmltools_mlp_bn",
    "public_tfc_2w2a",
    "qkeras_softmax",
    "qonnx_qkeras_mlp",
    "tf2onnx_conv1d",
    "tf2onnx_conv2d",
    "tf2onnx_mlp_bn",
    "torch_conv1d",
    "torch_mlp_bn",
    "torch_mlp_bn_dynamo",
    "torch_two_input_add",
}
# Fully parallel convolutions of these (and the 784-input TFC MLP) are 100k-300k LUT of RTL: a Verilator build
# takes minutes, so the suite checks their RTL model against the C simulation only; `benchmarks/zoo.py`
# co-simulates them too.
LARGE_RTL = {"brevitas_conv1d_4b", "public_tfc_2w2a", "tf2onnx_conv1d", "tf2onnx_conv2d", "torch_conv1d"}
# Quantized models that keep float parameters (Brevitas biases without a bias quantizer, a float BatchNorm
# after the last quantizer): hls4ml rounds those, so the comparison is approximate by design and says why.
PARTLY_FLOAT = {
    "brevitas_conv1d_4b",
    "brevitas_mlp_2b",
    "brevitas_mlp_4b",
    "brevitas_mlp_4b_dynamo",
    "public_tfc_1w2a",
    "public_tfc_2w2a",
}
# Quantized models whose only float parameters follow the compared layer (TFC_1W1A ends in a float
# BatchNorm that hls4ml turns into an ApplyAlpha named after the graph's Add): the comparison taps the
# graph's tensor of the same name (no layer of the anchor's name exists) and is exact up to it.
TRAILING_FLOAT = {"public_tfc_1w1a"}
# Lowest argmax agreement (at the compared layer) accepted for an approximate comparison on the shipped inputs.
MIN_AGREEMENT = 0.95


def test_corpus_is_complete():
    exporters = " ".join(m.exporter for m in MODELS.values())
    for tool in ("torch.onnx.export", "export_qonnx", "tf2onnx", "from_keras", "onnxmltools"):
        assert tool in exporters, tool
    assert {m.model_file.suffix for m in MODELS.values()} >= {".onnx", ".json"}
    assert RTL_EXPECTED | PARTLY_FLOAT | TRAILING_FLOAT <= set(MODELS) and LARGE_RTL <= RTL_EXPECTED
    for m in MODELS.values():
        assert m.model_file.is_file() and m.inputs.is_file(), m.name
        assert m.model_file.stat().st_size < 300_000, m.name


@pytest.mark.parametrize("name", sorted(MODELS))
def test_corpus_model_compiles(name, compile_cli, tmp_path):
    m = MODELS[name]
    out = tmp_path / "p"
    cosim = ("--no-cosim",) if name in LARGE_RTL else ()
    run = compile_cli(m.model_file, "--target", "xcvu9p", "-o", out, "--inputs", m.inputs, "--no-synth", *cosim)
    assert run.code == 0, run.err
    r = json.loads((out / "report.json").read_text())
    emu = r["emulation"]
    if m.quantized and name not in PARTLY_FLOAT:
        assert emu["mode"] == "exact" and emu["bit_exact"] and emu["exact_fraction"] == 1.0
        _assert_vectors_exact(out)
    else:
        assert emu["mode"] == "approximate"
        assert emu["max_abs_diff"] is not None and emu["argmax_agreement"] >= MIN_AGREEMENT, emu
    if name in PARTLY_FLOAT | TRAILING_FLOAT:  # the report names each layer hls4ml had to round, and why
        assert any("hls4ml rounds them" in why for why in emu["approximate_why"].values()), emu
    if name in TRAILING_FLOAT:
        assert emu["compared_at"]["tensor"] and emu["fallback"] is None, emu
    rtl, cosim = r["rtl"], r["cosim"]
    if name in RTL_EXPECTED:
        assert "skipped" not in rtl, rtl
        assert rtl["check"]["bit_exact"] and rtl["check"]["n_vectors"] == emu["n_vectors"]
        if name in LARGE_RTL:
            assert cosim == {"skipped": "--no-cosim"}, cosim
        else:
            assert cosim["mismatches"] == 0 and cosim["passed"] and cosim["n_vectors"] == emu["n_vectors"], cosim
    else:
        assert " not supported (" in rtl["skipped"], rtl  # "<layer> <class> not supported (<why>)"
        assert "skipped" in cosim


def _assert_vectors_exact(out):
    """The project's saved reference and C-simulation tensors, as raw integers of the compared type."""
    index = json.loads((out / "vectors" / "index.json").read_text())
    ftype = fixed_type_from_str(index["expected_raw"]["type"])
    expected = np.load(out / "vectors" / "expected_raw.npy")
    reference = np.load(out / "vectors" / "reference.npy")
    ref_raw, on_grid = ftype.to_raw(reference)
    assert on_grid.all()
    np.testing.assert_array_equal(ref_raw.reshape(expected.shape), expected)
