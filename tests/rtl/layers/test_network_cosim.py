"""The layer families the other co-simulation tests leave out, in one small QKeras network compiled end to end
(`trigger.compile(..., cosim=True, synth=False)`, 1000 vectors): BatchNormalization on a 3-D tensor, Max and
Average pooling 2D, Add and Subtract, Concatenate, Transpose, sigmoid and tanh tables, GlobalMaxPooling2D.
The RTL covers the whole network and its co-simulation has 0 mismatches.  Types: QKeras' quantized ReLU
gives hls4ml `ufixed<.,.,RND_CONV,SAT>` (rounding, saturating), the other results the default TRN/WRAP.

    img 6x6x2 -> QConv2D 3x3 'same' (3) -> QActivation quantized_relu -> BatchNormalization
      -> MaxPooling2D 2 (a), AveragePooling2D 2 (b) -> Add(a, b), Subtract(a, b) -> Concatenate
      -> Permute (2, 1, 3) -> sigmoid / tanh -> GlobalMaxPooling2D each -> Concatenate -> QDense 4
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layer_check import cosim_project

pytestmark = pytest.mark.slow

N_VECTORS = 1000
CLASSES = {
    "bn": "BatchNormalization",
    "maxp": "Pooling2D",
    "avgp": "Pooling2D",
    "add": "Merge",
    "sub": "Merge",
    "cat": "Concatenate",
    "transpose": "Transpose",
    "sig": "Activation",
    "tanh": "Activation",
    "gmp_sig": "GlobalPooling2D",
    "out": "Dense",
}


def _model(path: Path) -> Path:
    import tensorflow as tf
    from qkeras import QActivation, QConv2D, QDense, quantized_bits, quantized_relu

    from trigger.zoo import randomize

    L = tf.keras.layers
    q = dict(kernel_quantizer=quantized_bits(4, 0, alpha=1), bias_quantizer=quantized_bits(4, 0, alpha=1))
    inp = tf.keras.Input((6, 6, 2), name="img")
    h = QConv2D(3, 3, padding="same", name="conv", **q)(inp)
    h = QActivation(quantized_relu(6, 2), name="relu")(h)
    h = L.BatchNormalization(name="bn")(h)
    a, b = L.MaxPooling2D(2, name="maxp")(h), L.AveragePooling2D(2, name="avgp")(h)
    h = L.Concatenate(name="cat")([L.Add(name="add")([a, b]), L.Subtract(name="sub")([a, b])])
    h = L.Permute((2, 1, 3), name="transpose")(h)
    s = L.GlobalMaxPooling2D(name="gmp_sig")(L.Activation("sigmoid", name="sig")(h))
    t = L.GlobalMaxPooling2D(name="gmp_tanh")(L.Activation("tanh", name="tanh")(h))
    out = QDense(4, name="out", **q)(L.Concatenate(name="cat2")([s, t]))
    model = tf.keras.Model(inp, out, name="families")
    randomize(model, seed=11)
    bn = model.get_layer("bn")  # a scale/shift on the grid of a few bits, not folded (it follows the ReLU)
    rng = np.random.default_rng(3)
    bn.set_weights([rng.integers(4, 13, 3) / 8.0, rng.integers(-8, 9, 3) / 8.0, np.zeros(3), np.ones(3)])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("families")
    # sigmoid/tanh are tables: the reference comparison is approximate by design
    return cosim_project(_model(tmp / "families.h5"), tmp, N_VECTORS, allow_approximate=True)


def test_every_family_is_in_the_rtl_and_cosimulates_exactly(project):
    rep = project.report
    rtl, cosim = rep["rtl"], rep["cosim"]
    layers = {layer["name"]: layer["type"] for layer in rtl["layers"]}
    assert {name: layers.get(name) for name in CLASSES} == CLASSES
    assert rtl["not_in_rtl"] == [] and rtl["check"]["bit_exact"] and rtl["check"]["n_vectors"] == N_VECTORS
    assert rtl["check"]["layer"] == "out"
    assert cosim["mismatches"] == 0 and cosim["passed"] and cosim["n_vectors"] == N_VECTORS
    expected = np.load(project.dir / "vectors" / "rtl_expected_raw.npy").reshape(N_VECTORS, -1)
    np.testing.assert_array_equal(np.load(project.dir / "cosim" / "outputs_raw.npy"), expected)
    assert len(np.unique(expected)) > 50  # the outputs vary: the tables and pools are really exercised
