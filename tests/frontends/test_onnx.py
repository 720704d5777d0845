import numpy as np
import onnxruntime as ort
import pytest
from models import float_mlp

from trigger.frontends import load_model


def test_qonnx_export_is_detected_and_executed_like_qkeras(jet_files):
    src = load_model(jet_files.onnx)
    assert src.kind == "qonnx" and src.quantized and src.reference_name == "qonnx-execution"
    x = np.floor(np.random.default_rng(1).normal(size=(200, 16)) * 1024) / 1024
    logits = src.predict_input_of(x, "Softmax_0")
    import tensorflow as tf

    keras_logits = tf.keras.Model(jet_files.model.input, jet_files.model.get_layer("softmax").input).predict(
        x, verbose=0
    )
    np.testing.assert_array_equal(logits, keras_logits)


@pytest.mark.parametrize("batch", ["N", 1])
def test_float_onnx_reference_is_onnxruntime_on_the_original(tmp_path, batch):
    path = float_mlp(tmp_path / "m.onnx", batch=batch)
    src = load_model(path)
    assert src.kind == "onnx" and not src.quantized and src.reference_name == "onnxruntime"
    x = np.random.default_rng(2).normal(size=(32, 16)).astype(np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    expected = np.concatenate([sess.run(None, {"x": x[i : i + 1]})[0] for i in range(len(x))])
    np.testing.assert_allclose(src.predict(x), expected, rtol=1e-6, atol=1e-7)  # float32 reference: not a bit check
