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
