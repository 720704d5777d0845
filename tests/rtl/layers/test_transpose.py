"""Transpose: the RTL emulation equals hls4ml's C simulation, and `perm` means numpy's transpose.

A float Keras model (input 4x4x2, `ap_fixed<10,3>`) with Permute layers (hls4ml's Transpose, perm = Keras
dims - 1) straight on the input and after a 1x1 convolution whose result type rounds and saturates
(a Transpose keeps its input's type), 3-D and, on a reshape, 2-D; and an ONNX channels-first Transpose
(perm [0, 2, 3, 1] with the batch axis: hls4ml's perm [1, 2, 0]) which qonnx's clean-up leaves in place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layer_check import assert_rtl_equals_csim, c_simulated, converted, full_range_inputs

pytestmark = pytest.mark.slow

N_VECTORS = 1000
INPUT = "ap_fixed<10,3>"
PRE = dict(weight="ap_fixed<8,3>", bias="ap_fixed<8,3>", result="ap_fixed<8,3,AP_RND_CONV,AP_SAT>")
OVERRIDES = {"pre": PRE, "pre_linear": dict(result=PRE["result"])}  # hls4ml keeps the linear activation
PERMS = {"tr_hw": [1, 0, 2], "tr_cf": [2, 0, 1], "tr_after": [2, 1, 0], "tr_1d": [1, 0]}  # hls4ml's perm


def _model(path: Path) -> Path:
    import tensorflow as tf

    L = tf.keras.layers
    inp = tf.keras.Input((4, 4, 2), name="img")
    pre = L.Conv2D(3, 1, name="pre")
    outs = [
        L.Permute((2, 1, 3), name="tr_hw")(inp),  # the same shape: a wrong perm would still fit
        L.Permute((3, 1, 2), name="tr_cf")(inp),  # channels last -> channels first
        L.Permute((3, 2, 1), name="tr_after")(pre(inp)),
        L.Permute((2, 1), name="tr_1d")(L.Reshape((8, 4), name="seq")(inp)),
    ]
    model = tf.keras.Model(inp, outs, name="perms")
    rng = np.random.default_rng(6)
    w, b = pre.get_weights()
    pre.set_weights([rng.integers(-8, 9, w.shape) / 8.0, rng.integers(-16, 17, b.shape) / 16.0])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def perms(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("perms")
    return c_simulated(_model(tmp / "perms.h5"), tmp, INPUT, OVERRIDES, N_VECTORS)


@pytest.mark.parametrize("layer", list(PERMS))
def test_transpose_rtl_equals_c_simulation(perms, layer):
    hm, x, trace = perms
    lay = hm.graph[layer]
    assert lay.class_name == "Transpose" and list(lay.get_attr("perm")) == PERMS[layer]
    assert_rtl_equals_csim(hm, x, [layer], trace)


def test_c_simulation_transposes_like_numpy(perms):
    hm, x, trace = perms
    for layer in ("tr_hw", "tr_cf"):
        expected = np.transpose(x, [0, *(p + 1 for p in PERMS[layer])])
        np.testing.assert_array_equal(np.asarray(trace[layer]).reshape(expected.shape), expected)


def test_the_transpose_sees_a_rounding_saturating_type(perms):
    hm, _, trace = perms
    assert str(hm.graph["tr_after"].get_output_variable().type.precision) == "fixed<8,3,RND_CONV,SAT,0>"
    y = np.asarray(trace["tr_after"])
    assert (y == 4 - 2**-5).sum() > 20 and (y == -4).sum() > 20  # saturated values pass through


def test_a_wrong_perm_fails_the_comparison(perms):
    """perm [0, 1, 2] gives tr_hw's shape too (4x4x2); in the traced graph only, it is caught."""
    hm, x, trace = perms
    lay = hm.graph["tr_hw"]
    lay.set_attr("perm", [0, 1, 2])
    try:
        with pytest.raises(AssertionError, match="layer tr_hw"):
            assert_rtl_equals_csim(hm, x, ["tr_hw"], trace)
    finally:
        lay.set_attr("perm", PERMS["tr_hw"])


def _onnx_channels_first(path: Path) -> Path:
    """x (N, 2, 3, 4) -> Transpose [0, 2, 3, 1] -> Relu."""
    import onnx
    from onnx import TensorProto, helper

    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], name="to_last", perm=[0, 2, 3, 1]),
        helper.make_node("Relu", ["t"], ["y"], name="relu"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 4, 2])
    model = helper.make_model(helper.make_graph(nodes, "cf", [x], [y]), opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_onnx_channels_first_transpose(tmp_path):
    hm = converted(_onnx_channels_first(tmp_path / "cf.onnx"), tmp_path, precision=INPUT)
    layers = [lay for lay in hm.get_layers() if lay.class_name == "Transpose"]
    assert len(layers) == 1 and list(layers[0].get_attr("perm")) == [1, 2, 0]
    x = full_range_inputs(hm, N_VECTORS)
    _, trace = hm.trace(x)
    np.testing.assert_array_equal(np.asarray(trace[layers[0].name]).reshape(-1, 3, 4, 2), np.transpose(x, (0, 2, 3, 1)))
    assert_rtl_equals_csim(hm, x, [layers[0].name, list(hm.get_layers())[-1].name], trace)


def test_a_perm_that_does_not_fit_is_refused(perms):
    from trigger.rtl.translate import Unsupported, trace_hls_model

    hm, _, _ = perms
    lay = hm.graph["tr_1d"]
    lay.set_attr("perm", [0])  # hls4ml's dummy perm of a 1-axis ONNX transpose, on a 2-axis input
    try:
        with pytest.raises(Unsupported, match=r"tr_1d Transpose not supported \(perm \[0\] for an input of shape"):
            trace_hls_model(hm, "tr_1d")
    finally:
        lay.set_attr("perm", PERMS["tr_1d"])
