"""A small QKeras conv network compiled end to end (`trigger.compile(..., cosim=True, synth=False)`): its RTL
covers every layer (no softmax) and co-simulates with 0 mismatches on 1000 vectors; one constant changed in
a conv stage of the generated Verilog makes the co-simulation fail.

    img 6x6x2 -> QConv2D 3x3 'same' (3 filters) -> QActivation relu -> ZeroPadding2D ((1, 0), (0, 1))
        -> QConv2D 3x3 stride 2 'valid' (2 filters) -> Reshape (9, 2) -> QConv1D 1 (3 filters: PointwiseConv1D)

(A QDense on the (9, 2) tensor would be a PointwiseConv1D too, but hls4ml 1.3.0's
ReplaceMultidimensionalDenseWithConv drops its quantizers, so the C simulation would no longer be the
QKeras model; see test_conv.py for that route against the C simulation.)
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from layer_check import cosim_project

pytestmark = pytest.mark.slow

N_VECTORS = 1000
CONV_CLASSES = {"conv1": "Conv2D", "pad": "ZeroPadding2D", "conv2": "Conv2D", "per_pixel": "PointwiseConv1D"}


def _model(path: Path) -> Path:
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QConv2D, quantized_bits, quantized_relu

    from trigger.zoo import randomize

    q = dict(kernel_quantizer=quantized_bits(4, 0, alpha=1), bias_quantizer=quantized_bits(4, 0, alpha=1))
    inp = tf.keras.Input((6, 6, 2), name="img")
    h = QConv2D(3, 3, padding="same", name="conv1", **q)(inp)
    h = QActivation(quantized_relu(4, 2), name="relu1")(h)
    h = tf.keras.layers.ZeroPadding2D(((1, 0), (0, 1)), name="pad")(h)
    h = QConv2D(2, 3, strides=2, name="conv2", **q)(h)
    h = tf.keras.layers.Reshape((9, 2), name="pixels")(h)
    h = QConv1D(3, 1, name="per_pixel", **q)(h)
    model = tf.keras.Model(inp, h, name="tiny_conv")
    randomize(model, seed=7)
    model.save(path)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("conv_cosim")
    return cosim_project(_model(tmp / "tiny_conv.h5"), tmp, N_VECTORS)


def test_conv_network_rtl_cosimulates_exactly(project):
    rtl, cosim = project.report["rtl"], project.report["cosim"]
    assert rtl["passed"] and rtl["not_in_rtl"] == []  # the RTL covers the whole network
    assert rtl["check"]["bit_exact"] and rtl["check"]["n_vectors"] == N_VECTORS and rtl["check"]["layer"] == "per_pixel"
    assert {row["name"]: row["type"] for row in rtl["layers"] if row["name"] in CONV_CLASSES} == CONV_CLASSES
    assert cosim["simulator"] == "verilator" and cosim["n_vectors"] == N_VECTORS
    assert cosim["mismatches"] == 0 and cosim["passed"] and cosim["ii_cycles"] == 1
    expected = np.load(project.dir / "vectors" / "expected_raw.npy").reshape(N_VECTORS, -1)
    assert expected.shape[1] == 27 and len(np.unique(expected)) > 20
    np.testing.assert_array_equal(np.load(project.dir / "cosim" / "outputs_raw.npy"), expected)


def test_a_changed_constant_in_a_conv_stage_is_caught(project, tmp_path):
    """Stage 0 holds only conv1's logic (the input layer has none; conv1 ends in a later stage): flip the
    lowest bit of its first constant adder operand and re-run the co-simulation on the project."""
    from trigger.cosim.run import run_cosim

    layers = project.report["rtl"]["layers"]
    assert [row["name"] for row in layers[:2]] == ["img", "conv1"] and layers[1]["stage"] >= 1
    altered = tmp_path / "altered"
    shutil.copytree(project.dir, altered)
    stage = next((altered / "rtl" / "src").glob("*_stage0.v"))
    text = stage.read_text()
    m = re.search(r",(\d+)'b([01]+),", text)  # shift_adder (a, <constant>, out)
    assert m is not None, f"no constant operand in {stage.name}"
    bits = m.group(2)[:-1] + ("0" if m.group(2)[-1] == "1" else "1")
    stage.write_text(text[: m.start(2)] + bits + text[m.end(2) :])
    block = run_cosim(altered, "verilator", seed=3)
    change = f"{stage.name}: {m.group(0)} -> {m.group(1)}'b{bits}"
    assert block["mismatches"] is not None and block["mismatches"] > 0 and not block["passed"], change
