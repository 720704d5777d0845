"""Conv/pool canonical rewrites (trigger/frontends/onnx_canon_conv.py) on tiny graphs in the exporters' forms.

Each rewrite is applied alone to a graph built with onnx.helper, and the graph is run by onnxruntime (qonnx
for Quant) before and after on the same random inputs.  Pure data movement (Transpose/Unsqueeze/Squeeze,
MaxPool) must give equal outputs; a Conv or AveragePool that became 1-D may run another kernel with another
summation order, so those compare with rtol 1e-6.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper
from qonnx.core.modelwrapper import ModelWrapper

from trigger.frontends import load_model
from trigger.frontends.onnx import cleanup_for_rewrites
from trigger.frontends.onnx_canon import rewrites
from trigger.frontends.onnx_canon_conv import (
    CancelSqueezeUnsqueezePairs,
    Conv1DFromUnitConv2D,
    MoveUnsqueezePastTranspose,
    Pool1DFromUnitPool2D,
)

ZOO = Path(__file__).resolve().parents[1] / "zoo" / "models"
RNG = np.random.default_rng(0)


def _i64(name: str, values) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def _f32(name: str, values) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def _model(nodes, in_shape, out_shape, inits, opset: int = 13) -> ModelWrapper:
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", *in_shape])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", *out_shape])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return cleanup_for_rewrites(ModelWrapper(model))


def _run(wrapper: ModelWrapper, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(wrapper.model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {"x": x})[0]


def _ops(wrapper: ModelWrapper) -> list[str]:
    return [n.op_type for n in wrapper.graph.node]


def _x(*shape) -> np.ndarray:
    return RNG.normal(size=(3, *shape)).astype(np.float32)


def test_registered_after_the_generic_rewrites_in_dependency_order():
    names = rewrites()
    order = [
        "MoveUnsqueezePastTranspose",
        "Conv1DFromUnitConv2D",
        "Pool1DFromUnitPool2D",
        "CancelSqueezeUnsqueezePairs",
    ]
    assert [n for n in names if n in order] == order
    assert names.index("ExplicitWindowAttributes") < names.index("Conv1DFromUnitConv2D")


def test_unsqueeze_moves_past_transpose_tf2onnx_conv1d_input():
    """tf2onnx: (N, L, C) -> Unsqueeze(-3) -> Transpose(0, 3, 1, 2) -> (N, C, 1, L)."""
    nodes = [
        helper.make_node("Unsqueeze", ["x", "ax"], ["u"]),
        helper.make_node("Transpose", ["u"], ["y"], perm=[0, 3, 1, 2]),
    ]
    before = _model(nodes, [32, 4], [4, 1, 32], [_i64("ax", [-3])])
    after = before.transform(MoveUnsqueezePastTranspose())
    assert _ops(after) == ["Transpose", "Unsqueeze"]
    t, u = after.graph.node
    assert list(helper.get_attribute_value(t.attribute[0])) == [0, 2, 1]
    assert after.get_initializer(u.input[1]).tolist() == [2]
    x = _x(32, 4)
    np.testing.assert_array_equal(_run(after, x), _run(before, x))


def test_transpose_that_only_moves_the_new_axis_is_dropped():
    nodes = [
        helper.make_node("Unsqueeze", ["x", "ax"], ["u"]),
        helper.make_node("Transpose", ["u"], ["y"], perm=[0, 2, 1, 3]),
    ]
    before = _model(nodes, [5, 4], [5, 1, 4], [_i64("ax", [1])])
    after = before.transform(MoveUnsqueezePastTranspose())
    assert _ops(after) == ["Unsqueeze"]
    x = _x(5, 4)
    np.testing.assert_array_equal(_run(after, x), _run(before, x))


def _conv_graph(c=4, m=6, length=20, axis=2, k=3, stride=2, pads=(1, 2), dilation=2, group=1, opset=13):
    """tf2onnx's Conv1D: Unsqueeze(axis) -> Conv 2-D with a unit kernel on that axis -> Squeeze(axis)."""
    unit = axis - 2
    kernel = [1, k] if unit == 0 else [k, 1]
    w = RNG.normal(size=(m, c // group, *kernel)).astype(np.float32)
    out_len = (length + sum(pads) - dilation * (k - 1) - 1) // stride + 1
    two = lambda a, b: [a, b] if unit == 0 else [b, a]  # noqa: E731  (unit-axis value first when unit == 0)
    if opset >= 13:
        unsqueeze = helper.make_node("Unsqueeze", ["x", "ax"], ["u"])
        squeeze = helper.make_node("Squeeze", ["c", "ax"], ["y"])
    else:  # axes are attributes before opset 13
        unsqueeze = helper.make_node("Unsqueeze", ["x"], ["u"], axes=[axis])
        squeeze = helper.make_node("Squeeze", ["c"], ["y"], axes=[axis])
    nodes = [
        unsqueeze,
        helper.make_node(
            "Conv",
            ["u", "w", "b"],
            ["c"],
            kernel_shape=kernel,
            strides=two(1, stride),
            pads=two(0, pads[0]) + two(0, pads[1]),
            dilations=two(1, dilation),
            group=group,
        ),
        squeeze,
    ]
    inits = [_i64("ax", [axis]), _f32("w", w), _f32("b", RNG.normal(size=m))]
    return _model(nodes, [c, length], [m, out_len], inits, opset), w


@pytest.mark.parametrize("axis", [2, 3])
def test_unit_conv2d_becomes_conv1d(axis):
    before, w = _conv_graph(axis=axis)
    after = before.transform(Conv1DFromUnitConv2D())
    assert _ops(after) == ["Conv"]
    conv = after.graph.node[0]
    attrs = {a.name: list(helper.get_attribute_value(a)) for a in conv.attribute if a.name != "group"}
    assert attrs == {"kernel_shape": [3], "strides": [2], "pads": [1, 2], "dilations": [2]}
    np.testing.assert_array_equal(after.get_initializer(conv.input[1]), np.take(w, 0, axis=axis))
    x = _x(4, 20)
    np.testing.assert_allclose(_run(after, x), _run(before, x), rtol=1e-6, atol=1e-6)


def test_grouped_conv_and_opset11_attribute_axes():
    before, _ = _conv_graph(c=4, m=8, group=4, opset=11)
    after = before.transform(Conv1DFromUnitConv2D())
    assert _ops(after) == ["Conv"]
    x = _x(4, 20)
    np.testing.assert_allclose(_run(after, x), _run(before, x), rtol=1e-6, atol=1e-6)


def test_conv_not_directly_between_unsqueeze_and_squeeze_is_left_alone():
    """Unsqueeze -> Conv -> Relu -> Squeeze: the Relu sits between the Conv and the Squeeze, so no exact match."""
    nodes = [
        helper.make_node("Unsqueeze", ["x", "ax"], ["u"]),
        helper.make_node("Conv", ["u", "w"], ["c"], kernel_shape=[1, 3], pads=[0, 0, 0, 0]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Squeeze", ["r", "ax"], ["y"]),
    ]
    w = RNG.normal(size=(2, 4, 1, 3)).astype(np.float32)
    before = _model(nodes, [4, 10], [2, 8], [_i64("ax", [2]), _f32("w", w)])
    after = before.transform(Conv1DFromUnitConv2D())
    assert after.model.SerializeToString() == before.model.SerializeToString()


def test_quantized_weights_are_reshaped_with_the_quant():
    """QONNX (e.g. a QKeras Conv1D through tf2onnx): the weight is Quant(W, per-channel scale (M, 1, 1, 1))."""
    from qonnx.core.onnx_exec import execute_onnx

    m, c = 6, 4
    w = RNG.normal(size=(m, c, 1, 3)).astype(np.float32)
    scale = (2.0 ** -RNG.integers(1, 4, size=(m, 1, 1, 1))).astype(np.float32)
    nodes = [
        helper.make_node(
            "Quant",
            ["w", "s", "z", "bits"],
            ["wq"],
            domain="qonnx.custom_op.general",
            signed=1,
            narrow=0,
            rounding_mode="ROUND",
        ),
        helper.make_node("Unsqueeze", ["x", "ax"], ["u"]),
        helper.make_node("Conv", ["u", "wq"], ["c"], kernel_shape=[1, 3], pads=[0, 1, 0, 1]),
        helper.make_node("Squeeze", ["c", "ax"], ["y"]),
    ]
    inits = [_i64("ax", [2]), _f32("w", w), _f32("s", scale), _f32("z", 0.0), _f32("bits", 4.0)]
    before = _model(nodes, [c, 12], [m, 12], inits)
    before.model.opset_import.append(helper.make_opsetid("qonnx.custom_op.general", 1))
    after = before.transform(Conv1DFromUnitConv2D())
    assert _ops(after) == ["Quant", "Conv"]
    quant = after.graph.node[0]
    assert after.get_initializer(quant.input[0]).shape == (m, c, 3)
    assert after.get_initializer(quant.input[1]).shape == (m, 1, 1)
    x = _x(c, 12)

    def run(wr):
        return np.concatenate([execute_onnx(wr, {"x": x[i : i + 1]})["y"] for i in range(len(x))])

    for wr in (before, after):
        wr.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1
        wr.graph.output[0].type.tensor_type.shape.dim[0].dim_value = 1
    np.testing.assert_allclose(run(after), run(before), rtol=1e-6, atol=1e-6)


def test_tf2onnx_maxpool1d_becomes_1d_pool():
    """tf2onnx's MaxPooling1D: Unsqueeze(1) -> Reshape(-1, C, L, 1) -> MaxPool([k, 1]) -> Squeeze(3)."""
    nodes = [
        helper.make_node("Unsqueeze", ["x", "ax1"], ["u"]),
        helper.make_node("Reshape", ["u", "shape"], ["r"]),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 1], strides=[2, 1], pads=[0, 0, 0, 0]),
        helper.make_node("Squeeze", ["p", "ax3"], ["y"]),
    ]
    inits = [_i64("ax1", [1]), _i64("shape", [-1, 8, 30, 1]), _i64("ax3", [3])]
    before = _model(nodes, [8, 30], [8, 15], inits)
    after = before.transform(Pool1DFromUnitPool2D())
    assert _ops(after) == ["MaxPool"]
    pool = after.graph.node[0]
    attrs = {a.name: list(helper.get_attribute_value(a)) for a in pool.attribute}
    assert attrs == {"kernel_shape": [2], "strides": [2], "pads": [0, 0]}
    x = _x(8, 30)
    np.testing.assert_array_equal(_run(after, x), _run(before, x))


def test_averagepool_with_padding_keeps_count_include_pad():
    nodes = [
        helper.make_node("Unsqueeze", ["x", "ax"], ["u"]),
        helper.make_node(
            "AveragePool", ["u"], ["p"], kernel_shape=[1, 3], strides=[1, 2], pads=[0, 1, 0, 1], count_include_pad=1
        ),
        helper.make_node("Squeeze", ["p", "ax"], ["y"]),
    ]
    before = _model(nodes, [8, 9], [8, 5], [_i64("ax", [2])])
    after = before.transform(Pool1DFromUnitPool2D())
    assert _ops(after) == ["AveragePool"]
    pool = after.graph.node[0]
    attrs = {a.name: helper.get_attribute_value(a) for a in pool.attribute}
    assert attrs == {"kernel_shape": [3], "strides": [2], "pads": [1, 1], "count_include_pad": 1}
    x = _x(8, 9)
    np.testing.assert_allclose(_run(after, x), _run(before, x), rtol=1e-6, atol=1e-7)


def test_pool_without_squeeze_is_left_alone():
    nodes = [
        helper.make_node("Unsqueeze", ["x", "ax"], ["u"]),
        helper.make_node("MaxPool", ["u"], ["y"], kernel_shape=[2, 1], strides=[2, 1]),
    ]
    before = _model(nodes, [8, 30], [8, 15, 1], [_i64("ax", [3])])
    after = before.transform(Pool1DFromUnitPool2D())
    assert after.model.SerializeToString() == before.model.SerializeToString()


def test_squeeze_unsqueeze_pair_cancels():
    nodes = [
        helper.make_node("Unsqueeze", ["x", "ax"], ["u"]),
        helper.make_node("Squeeze", ["u", "ax"], ["s"]),
        helper.make_node("Relu", ["s"], ["y"]),
    ]
    before = _model(nodes, [8, 5], [8, 5], [_i64("ax", [2])])
    after = before.transform(CancelSqueezeUnsqueezePairs())
    assert _ops(after) == ["Relu"]
    x = _x(8, 5)
    np.testing.assert_array_equal(_run(after, x), _run(before, x))


def _supported_ops() -> set[str]:
    import hls4ml

    return set(hls4ml.converters.get_supported_onnx_layers())


@pytest.mark.parametrize("name", ["torch_conv1d", "tf2onnx_conv1d", "brevitas_conv1d_4b"])
def test_zoo_conv1d_models_load_to_ops_hls4ml_converts(name):
    src = load_model(ZOO / name / "model.onnx")
    ops = {n.op_type for n in src.wrapper.graph.node}
    assert ops <= _supported_ops(), ops - _supported_ops()
    assert {"Conv"} <= ops
    if name == "tf2onnx_conv1d":
        assert {"Conv1DFromUnitConv2D", "Pool1DFromUnitPool2D", "MoveUnsqueezePastTranspose"} <= set(src.rewrites)
        assert {
            len(src.wrapper.get_tensor_shape(n.output[0])) for n in src.wrapper.graph.node if n.op_type == "Conv"
        } == {3}


def test_tf2onnx_conv1d_reference_matches_the_exported_file():
    """The rewritten, cleaned graph computes what the file does (float: summation order may differ)."""
    path = ZOO / "tf2onnx_conv1d" / "model.onnx"
    x = np.load(ZOO / "tf2onnx_conv1d" / "inputs.npy")[:32].astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    np.testing.assert_allclose(load_model(path).predict(x), expected, rtol=1e-5, atol=1e-5)


def test_qkeras_conv1d_through_qonnx_from_keras(tmp_path):
    """trigger's own QKeras -> QONNX export (tf2onnx underneath): Quant-weighted Conv1D and MaxPooling1D in
    the tf2onnx form become 1-D ops, and the qonnx reference equals Keras exactly (values on a 2^-6 grid)."""
    import tensorflow as tf
    from qkeras import QActivation, QConv1D, QDense, quantized_bits, quantized_relu

    from trigger.qonnx_export import keras_to_qonnx

    q4, q8 = quantized_bits(4, 0, alpha=1), quantized_bits(8, 2, alpha=1)
    inp = tf.keras.Input((16, 3))
    h = QConv1D(4, 3, kernel_quantizer=q4, bias_quantizer=q8, name="c1")(inp)
    h = QActivation(quantized_relu(4, 2), name="r1")(h)
    h = tf.keras.layers.MaxPooling1D(2, name="p1")(h)
    h = tf.keras.layers.Flatten(name="f")(h)
    model = tf.keras.Model(inp, QDense(3, kernel_quantizer=q4, bias_quantizer=q8, name="d")(h))
    src = load_model(keras_to_qonnx(model, tmp_path / "m.onnx"))
    assert {"Conv1DFromUnitConv2D", "Pool1DFromUnitPool2D"} <= set(src.rewrites)
    assert {n.op_type for n in src.wrapper.graph.node} <= _supported_ops()
    x = np.round(np.random.default_rng(3).normal(size=(8, 16, 3)) * 64) / 64
    np.testing.assert_array_equal(src.predict(x), model.predict(x, verbose=0))
