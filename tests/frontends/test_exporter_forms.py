"""The graph forms real exporters produce (issue classes 1, 2, 4, 8), checked at load time on the shipped corpus.

End-to-end compiles of the same models are in tests/zoo/; these are the fast, loader-level checks.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from trigger.frontends import load_model

ZOO = __import__("pathlib").Path(__file__).resolve().parents[1] / "zoo" / "models"
SHAPE_OPS = {"Shape", "Gather", "Unsqueeze", "Concat"}


@pytest.mark.parametrize("name", ["brevitas_mlp_4b", "brevitas_mlp_2b", "public_tfc_2w2a"])
def test_brevitas_flatten_subgraph_is_folded_before_the_op_check(name):
    """Class 1: `Shape -> Gather -> Unsqueeze -> Concat -> Reshape` (a dynamic-batch flatten) is constant
    once shapes are known; the op check runs after qonnx's clean-up has folded it."""
    path = ZOO / name / "model.onnx"
    assert SHAPE_OPS <= {n.op_type for n in onnx.load(str(path)).graph.node}
    src = load_model(path)
    assert src.quantized and not SHAPE_OPS & {n.op_type for n in src.wrapper.graph.node}
    # the folded Reshape constant holds the batch of 1: the batched reference must equal vector by vector
    # (these models end in float biases/BatchNorm: float32 sums whose order onnxruntime's kernels vary with
    # the batch size, so ~1 ulp; a wrong flatten would differ by O(1))
    x = np.load(ZOO / name / "inputs.npy")[:8]
    batched = src.predict(x)
    one_by_one = np.concatenate([src.predict(x[i : i + 1]) for i in range(len(x))])
    np.testing.assert_allclose(batched, one_by_one, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("name", ["torch_mlp_bn", "torch_mlp_bn_dynamo", "tf2onnx_mlp_bn"])
def test_float_exports_with_batchnorm_load_and_their_reference_is_the_file(name):
    """Class 2: PyTorch/tf2onnx float MLPs with BatchNorm load; the reference (onnxruntime on the cleaned
    graph) equals onnxruntime on the user's own file (float32: same ops, tolerance of float reordering)."""
    path = ZOO / name / "model.onnx"
    src = load_model(path)
    assert not src.quantized and src.reference_name == "onnxruntime"
    x = np.load(ZOO / name / "inputs.npy")[:64].astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(src.predict(x), sess.run(None, {sess.get_inputs()[0].name: x})[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["tf2onnx_conv2d", "tf2onnx_conv1d", "torch_conv1d"])
def test_float_conv_reference_runs_on_the_channels_last_graph(name):
    """Class 4: the clean-up makes channels-last Conv/MaxPool nodes of qonnx's custom domain, which
    onnxruntime rejects; the reference runs them under qonnx and equals onnxruntime on the user's file."""
    path = ZOO / name / "model.onnx"
    src = load_model(path)
    assert src.custom_nodes and src.reference_name == "qonnx-execution"
    x = np.load(ZOO / name / "inputs.npy")[:32].astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(src.predict(x), sess.run(None, {sess.get_inputs()[0].name: x})[0], rtol=1e-5, atol=1e-5)


def test_float_keras_softmax_is_tapped_before_the_split_activation():
    """Class 8: hls4ml splits `Dense(5, activation='softmax')` into `output` + `output_softmax`; the reference
    at the compare point is that Dense's pre-activation output (the logits), as for a QKeras model."""
    import tensorflow as tf

    src = load_model(ZOO / "keras_float_softmax" / "model.json")
    assert src.has_layer("output_softmax") and not src.has_layer("output_relu")
    x = np.load(ZOO / "keras_float_softmax" / "inputs.npy")[:64]
    logits = src.predict_input_of(x, "output_softmax")
    dense = src.model.get_layer("output")
    w, b = dense.get_weights()
    hidden = tf.keras.Model(src.model.inputs, dense.input).predict(x, verbose=0)
    np.testing.assert_allclose(logits, hidden @ w + b, rtol=1e-5, atol=1e-5)
    probs = src.predict(x)
    np.testing.assert_allclose(probs, tf.nn.softmax(logits).numpy(), rtol=1e-5, atol=1e-6)
