"""Small ONNX models built with the onnx helper API for tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def float_mlp(
    path: Path, seed: int = 0, batch: int | str = "N", extra_op: str | None = None, in_dim: int | str = 16
) -> Path:
    """Float MLP 16-32-5: Gemm, Relu, Gemm, Softmax (optionally one unsupported op after the Relu)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, 0.4, (16, 32)).astype(np.float32)
    b1 = rng.normal(0, 0.2, 32).astype(np.float32)
    w2 = rng.normal(0, 0.4, (32, 5)).astype(np.float32)
    b2 = rng.normal(0, 0.2, 5).astype(np.float32)
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h1"], name="fc1"),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
    ]
    hidden = "a1"
    if extra_op:
        nodes.append(helper.make_node(extra_op, ["a1"], ["e1"], name="odd_node"))
        hidden = "e1"
    nodes += [
        helper.make_node("Gemm", [hidden, "w2", "b2"], ["logits"], name="fc2"),
        helper.make_node("Softmax", ["logits"], ["y"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "float_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, in_dim])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 5])],
        [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"), (b2, "b2"))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def deep_float_bn_mlp(
    directory: Path, seed: int = 0, n_in: int = 8, width: int = 8, depth: int = 6, n_out: int = 3
) -> tuple[Path, Path]:
    """Float Keras MLP n_in-(Dense-BatchNormalization-ReLU) x depth-Dense(n_out), saved as .h5 and as
    ONNX (tf2onnx: each Dense becomes MatMul+Add, each BatchNormalization Mul+Add -> hls4ml Dense and
    ApplyAlpha layers `bn_Mul_k`/`bn_Add_k`).  Trained statistics are replaced by random ones.
    Returns (h5, onnx)."""
    import tensorflow as tf

    from trigger.qonnx_export import keras_to_qonnx

    rng = np.random.default_rng(seed)
    inp = tf.keras.Input((n_in,), name="x")
    h = inp
    for k in range(depth):
        h = tf.keras.layers.Dense(width, name=f"fc{k}")(h)
        h = tf.keras.layers.BatchNormalization(name=f"bn{k}")(h)
        h = tf.keras.layers.ReLU(name=f"relu{k}")(h)
    out = tf.keras.layers.Dense(n_out, name="out")(h)
    model = tf.keras.Model(inp, out, name="deep_bn_mlp")
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            n = layer.get_weights()[0].shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 2, n), rng.normal(0, 0.5, n), rng.normal(0, 1, n), rng.uniform(0.5, 2, n)]
            )
        elif isinstance(layer, tf.keras.layers.Dense):
            w, b = layer.get_weights()
            layer.set_weights([rng.normal(0, 0.5, w.shape), rng.normal(0, 0.3, b.shape)])
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    h5 = directory / "deep_bn_mlp.h5"
    model.save(h5)
    return h5, keras_to_qonnx(model, directory / "deep_bn_mlp.onnx")


def _save(path: Path, nodes: list, inputs: list, outputs: list, inits: dict, opset: int = 13) -> Path:
    import onnx
    from onnx import helper, numpy_helper

    graph = helper.make_graph(
        nodes, path.stem, inputs, outputs, [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _bn_params(rng, prefix: str, n: int) -> dict:
    return {
        f"{prefix}_scale": rng.uniform(0.5, 1.5, n).astype(np.float32),
        f"{prefix}_bias": rng.normal(0, 0.2, n).astype(np.float32),
        f"{prefix}_mean": rng.normal(0, 0.3, n).astype(np.float32),
        f"{prefix}_var": rng.uniform(0.5, 2.0, n).astype(np.float32),
    }


def _mlp_params(rng) -> dict:
    """Weights of a 16-32-5 MLP (w1, b1, w2, b2)."""
    return {
        "w1": rng.normal(0, 0.4, (16, 32)).astype(np.float32),
        "b1": rng.normal(0, 0.2, 32).astype(np.float32),
        "w2": rng.normal(0, 0.4, (32, 5)).astype(np.float32),
        "b2": rng.normal(0, 0.2, 5).astype(np.float32),
    }


def bn_mlp_unsqueezed(path: Path, seed: int = 0) -> Path:
    """Float 16-32-5 MLP whose BatchNorm1d sits between Unsqueeze(axis 2) and Squeeze(axis 2), the form
    older PyTorch exporters wrote for BatchNorm1d on an (N, C) input (torch 2.13 no longer does)."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    inits = {
        **_mlp_params(rng),
        "axes": np.array([2], dtype=np.int64),
        **_bn_params(rng, "bn", 32),
    }
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h1"], name="fc1"),
        helper.make_node("Unsqueeze", ["h1", "axes"], ["u1"], name="bn1_unsqueeze"),
        helper.make_node("BatchNormalization", ["u1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["n1"], name="bn1"),
        helper.make_node("Squeeze", ["n1", "axes"], ["s1"], name="bn1_squeeze"),
        helper.make_node("Relu", ["s1"], ["a1"], name="relu1"),
        helper.make_node("Gemm", ["a1", "w2", "b2"], ["y"], name="fc2"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 5])
    return _save(path, nodes, [x], [y], inits)


def bn_mlp_permless_transposes(path: Path, seed: int = 0) -> Path:
    """Gemm -> Transpose (no perm) -> BatchNormalization -> Transpose (no perm) -> Relu -> Gemm: the form of
    hls4ml's example `three_layer_bn_keras.onnx` (onnxmltools 1.3.0, opset 7), which moves the batch axis."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    inits = {
        **_mlp_params(rng),
        **_bn_params(rng, "bn", 32),
    }
    nodes = [
        helper.make_node("Gemm", ["x", "w1", "b1"], ["h1"], name="dense_1"),
        helper.make_node("Transpose", ["h1"], ["t1"], name="batch_normalization_1_transpose_in"),
        helper.make_node("BatchNormalization", ["t1", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["n1"], name="bn"),
        helper.make_node("Transpose", ["n1"], ["t2"], name="batch_normalization_1_transpose_out"),
        helper.make_node("Relu", ["t2"], ["a1"], name="relu1"),
        helper.make_node("Gemm", ["a1", "w2", "b2"], ["y"], name="dense_2"),
    ]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])
    return _save(path, nodes, [x], [y], inits)


def conv2d_auto_pad(path: Path, auto_pad: str, seed: int = 0) -> Path:
    """Float Conv2D (4x6x6 -> 3 filters 3x3, stride 2, `auto_pad`, no pads/strides defaults written) -> Relu
    -> Flatten -> Gemm, with ONNX's implicit defaults as tf2onnx leaves them."""
    from onnx import TensorProto, helper

    rng = np.random.default_rng(seed)
    inits = {
        "w": rng.normal(0, 0.4, (3, 2, 3, 3)).astype(np.float32),
        "b": rng.normal(0, 0.2, 3).astype(np.float32),
    }
    conv_attrs = {"auto_pad": auto_pad, "strides": [2, 2]} if auto_pad != "NOTSET" else {}
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", **conv_attrs)]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 7, 6])
    y = helper.make_tensor_value_info("c", TensorProto.FLOAT, None)
    return _save(path, nodes, [x], [y], inits)
