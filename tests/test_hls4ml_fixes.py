"""Workarounds for hls4ml bugs (trigger/hls4ml_fixes.py): tiny ONNX models converted as trigger converts them."""

from __future__ import annotations

import importlib
import math

import numpy as np
import onnx
import pytest
from conftest import hls_model_of
from onnx import TensorProto, helper, numpy_helper

from trigger import hls4ml_fixes


def _save(path, nodes, in_shape, out_shape, inits=()):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *out_shape])],
        list(inits),
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _pool_model(path, op="MaxPool", length=16, **attrs):
    """(N, 4, L) channels-first -> 1-D pool -> Flatten, as torch.onnx.export writes MaxPool1d/AvgPool1d."""
    k, s, pads = attrs["kernel_shape"][0], attrs["strides"][0], attrs.get("pads", [0, 0])
    span = (k - 1) * attrs.get("dilations", [1])[0] + 1
    rounding = math.ceil if attrs.get("ceil_mode") else math.floor
    n_out = rounding((length + sum(pads) - span) / s) + 1  # the ONNX pooling output size
    nodes = [helper.make_node(op, ["x"], ["p"], **attrs), helper.make_node("Flatten", ["p"], ["y"], axis=1)]
    return _save(path, nodes, [4, length], [4 * n_out])


def _layer(hls_model, class_name):
    return next(layer for layer in hls_model.get_layers() if layer.class_name == class_name)


def test_maxpool1d_gets_channels_last_sizes_and_padding(tmp_path):
    path = _pool_model(tmp_path / "m.onnx", kernel_shape=[3], strides=[2], pads=[1, 1])
    pool = _layer(hls_model_of(path, tmp_path), "Pooling1D")
    attrs = {k: pool.get_attr(k) for k in ("n_in", "n_filt", "n_out", "pool_width", "stride_width")}
    assert attrs == {"n_in": 16, "n_filt": 4, "n_out": 8, "pool_width": 3, "stride_width": 2}
    assert (pool.get_attr("pad_left"), pool.get_attr("pad_right")) == (1, 1)
    assert pool.get_attr("data_format") == "channels_last" and pool.get_attr("pool_op") == "Max"
    assert list(pool.get_output_variable().shape) == [8, 4]


def test_averagepool1d_count_include_pad_is_count_pad():
    """qonnx 0.4.0 has no channels-last AveragePool, so the handler is called on the node it would make."""
    hls4ml_fixes.apply()
    handler = importlib.import_module("hls4ml.converters.onnx_to_hls").layer_handlers["AveragePool"]
    node = helper.make_node(
        "AveragePool",
        ["x"],
        ["y"],
        name="pool",
        domain="qonnx.custom_op.channels_last",
        kernel_shape=[2],
        strides=[2],
        pads=[0, 1],
        count_include_pad=1,
    )
    layer = handler(node, ["x"], [[1, 15, 4]], None)  # (N, L, C)
    assert layer["class_name"] == "AveragePooling1D"
    assert (layer["n_in"], layer["n_filt"], layer["n_out"]) == (15, 4, 8)
    assert (layer["pad_left"], layer["pad_right"], layer["count_pad"]) == (0, 1, True)


@pytest.mark.parametrize(
    ("attrs", "message"),
    [
        ({"kernel_shape": [2], "strides": [2], "ceil_mode": 1}, "ceil_mode"),
        ({"kernel_shape": [2], "strides": [1], "dilations": [2]}, "dilation"),
    ],
)
def test_pool_attributes_hls4ml_would_ignore_are_refused(tmp_path, attrs, message):
    path = _pool_model(tmp_path / "m.onnx", length=15, **attrs)
    with pytest.raises(ValueError, match=message):
        hls_model_of(path, tmp_path)


def test_ceil_mode_that_does_not_change_the_size_is_accepted(tmp_path):
    path = _pool_model(tmp_path / "m.onnx", length=16, kernel_shape=[2], strides=[2], ceil_mode=1)
    assert _layer(hls_model_of(path, tmp_path), "Pooling1D").get_attr("n_out") == 8


def test_handlers_are_wrapped_once():
    hls4ml_fixes.apply()
    handlers = importlib.import_module("hls4ml.converters.onnx_to_hls").layer_handlers
    before = {op: handlers[op] for op in hls4ml_fixes.POOL_OPS}
    hls4ml_fixes._onnx_pooling_handler()
    hls4ml_fixes._merge_constant_batch_axis()
    assert {op: handlers[op] for op in hls4ml_fixes.POOL_OPS} == before
    assert all(h.trigger_fix for h in before.values())


def test_constant_with_batch_axis_becomes_per_channel_bias(tmp_path):
    """tf2onnx's Conv1D bias: Conv (no bias) -> Add of a (1, C, 1) constant."""
    rng = np.random.default_rng(0)
    w = rng.normal(size=(8, 4, 3)).astype(np.float32)
    b = rng.normal(size=(1, 8, 1)).astype(np.float32)
    nodes = [
        helper.make_node(
            "Conv", ["x", "w"], ["c"], kernel_shape=[3], pads=[0, 0], strides=[1], dilations=[1]
        ),  # no group
        helper.make_node("Add", ["c", "b"], ["y"]),
    ]
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")]
    path = _save(tmp_path / "m.onnx", nodes, [4, 10], [8, 8], inits)
    alpha = _layer(hls_model_of(path, tmp_path), "ApplyAlpha")
    bias = np.asarray(alpha.weights["bias"].data).reshape(8, 8)  # channels-last (L, C)
    np.testing.assert_array_equal(bias, np.broadcast_to(b[0, :, 0], (8, 8)))


@pytest.mark.slow
def test_maxpool1d_c_simulation_matches_onnxruntime(tmp_path):
    """Max pooling of values on the input grid is exact: the C simulation equals onnxruntime bit for bit."""
    import onnxruntime as ort

    path = _pool_model(tmp_path / "m.onnx", kernel_shape=[3], strides=[2], pads=[1, 1])
    hm = hls_model_of(path, tmp_path)
    hm.compile()
    x = np.round(np.random.default_rng(1).normal(size=(16, 4, 16)) * 64) / 64
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = sess.run(None, {"x": x.astype(np.float32)})[0]
    got = np.asarray(hm.predict(np.ascontiguousarray(x))).reshape(16, -1)  # transposed back before the Flatten
    np.testing.assert_array_equal(got, expected)


# ---- binary networks: FINN's TFC models from the QONNX zoo (tests/zoo/models), converted without C simulation

ZOO = __import__("pathlib").Path(__file__).resolve().parent / "zoo" / "models"


def test_binary_weights_with_2bit_data_get_an_accumulator_that_holds_every_sum(tmp_path):
    """TFC-w1a2: the default fixed<16,6> wrapped the first layer's 784-input sums (reaching 71) to 7."""
    from trigger.fixed import from_hls_precision, is_xnor_precision

    hls_model = hls_model_of(ZOO / "public_tfc_1w2a" / "model.onnx", tmp_path)
    dense = [layer for layer in hls_model.get_layers() if layer.class_name == "Dense"]
    assert len(dense) == 4
    for layer in dense:
        data = from_hls_precision(layer.get_input_variable().type.precision)
        bound = layer.get_attr("n_in") * max(abs(data.min_value), abs(data.max_value))  # |sum of +-a|
        for name in ("accum_t", "result_t"):
            ftype = from_hls_precision(layer.types[name].precision)
            assert ftype.min_value <= -bound and ftype.max_value >= bound, (layer.name, name, ftype)
        assert is_xnor_precision(layer.types["weight_t"].precision)  # the weights stay 1-bit


def test_negative_batchnorm_scales_of_a_binary_network_are_computed_negated(tmp_path):
    """TFC-w1a1: 12 channels with gamma < 0 feed a binary activation; each is computed as (-x) >= (-t)."""
    from trigger import binary_conversion
    from trigger.frontends import load_model

    path = ZOO / "public_tfc_1w1a" / "model.onnx"
    source = load_model(path)
    hls_model = hls_model_of(path, tmp_path)
    layers = {layer.name: layer for layer in hls_model.get_layers()}
    assert binary_conversion.conversion_deviations(hls_model, source=source) == []
    negated = {}
    for i in range(3):
        dense, bnbt = layers[f"Dense_MatMul_{i}"], layers[f"bnbt_BatchNormalization_{i}"]
        node = source.wrapper.get_node_from_name(f"BatchNormalization_{i}")
        gamma, beta, mean, var = (np.asarray(source.wrapper.get_initializer(n), np.float64) for n in node.input[1:])
        eps = next((a.f for a in node.attribute if a.name == "epsilon"), 1e-5)
        scale = gamma / np.sqrt(var + eps)
        channels = tuple(int(c) for c in np.flatnonzero(scale < 0))
        assert dense.trigger_negated_channels == bnbt.trigger_negated_channels == channels
        negated[i] = len(channels)
        model_bits = np.asarray(dense.weights["weight"].data_unquantized) >= 0
        firmware_bits = np.asarray(dense.weights["weight"].data) != 0
        sign = np.where(scale < 0, -1, 1)
        np.testing.assert_array_equal(firmware_bits, np.where(sign < 0, ~model_bits, model_bits))
        # every dot product x the Dense can output: firmware bit (sign * x >= threshold) is the model's sign
        n = dense.get_attr("n_in")
        x = np.arange(-n, n + 1, 2, dtype=np.float64)[:, None]
        model = scale * (x - mean) + beta >= 0
        firmware = sign * x >= np.asarray(bnbt.weights["threshold"].data, np.float64)[None, :]
        np.testing.assert_array_equal(firmware, model)
    assert negated == {0: 1, 1: 5, 2: 6}


def test_per_particle_qdense_keeps_its_quantizers(tmp_path):
    """hls4ml turns a QDense on (particles, features) into a pointwise Conv1D; its weights must be the
    QKeras quantizer's, not the float weights truncated to the weight type."""
    import tensorflow as tf
    from conftest import hls_model_of
    from qkeras import QDense, quantized_bits

    inp = tf.keras.Input((5, 8), name="particles")
    q = quantized_bits(4, 0, alpha=1)
    out = QDense(4, kernel_quantizer=q, bias_quantizer=q, name="phi")(inp)
    model = tf.keras.Model(inp, out)
    rng = np.random.default_rng(0)
    kernel = rng.uniform(-1, 1, (8, 4))
    kernel[0, 0] = 0.49  # truncates to 0.375 on the fixed<4,1> grid; QKeras rounds it to 0.5
    model.get_layer("phi").set_weights([kernel, rng.uniform(-1, 1, 4)])
    model.save(tmp_path / "deepsets.h5")
    hm = hls_model_of(tmp_path / "deepsets.h5", tmp_path)
    layer = hm.graph["phi"]
    assert "Conv1D" in layer.class_name
    want = q(tf.constant(kernel, tf.float32)).numpy().astype(np.float64)
    assert want[0, 0] == 0.5
    np.testing.assert_array_equal(np.asarray(layer.weights["weight"].data, dtype=np.float64).reshape(8, 4), want)
