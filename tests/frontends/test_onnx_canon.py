"""Canonical ONNX rewrites: each keeps the graph's meaning (onnxruntime before == after) and gives hls4ml
the form its handlers assume; graphs that cannot be made so are rejected naming the node."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from conftest import leftovers
from models import bn_mlp_permless_transposes, bn_mlp_unsqueezed, conv2d_auto_pad
from qonnx.core.modelwrapper import ModelWrapper

from trigger.errors import InputError
from trigger.frontends import load_model
from trigger.frontends.onnx import cleanup_for_rewrites
from trigger.frontends.onnx_canon import canonicalize, rewrites


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, {model.graph.input[0].name: x})[0]


def _canonical(path) -> tuple[onnx.ModelProto, list[str]]:
    applied: list[str] = []
    wrapper = canonicalize(cleanup_for_rewrites(ModelWrapper(onnx.load(str(path)))), applied.append)
    return wrapper.model, applied


def test_rewrites_are_registered_in_order():
    names = rewrites()
    assert names[:3] == ["ExplicitTransposePerm", "RemoveUnsqueezeAroundBatchNorm", "ExplicitWindowAttributes"]


def test_unsqueeze_squeeze_around_batchnorm_is_dropped_and_meaning_kept(tmp_path):
    path = bn_mlp_unsqueezed(tmp_path / "bn_unsq.onnx")
    model, applied = _canonical(path)
    assert applied == ["RemoveUnsqueezeAroundBatchNorm"]
    assert [n.op_type for n in model.graph.node] == ["Gemm", "BatchNormalization", "Relu", "Gemm"]
    x = np.random.default_rng(0).normal(size=(64, 16)).astype(np.float32)
    # the same float32 ops in the same order: identical results
    np.testing.assert_array_equal(_run(model, x), _run(onnx.load(str(path)), x))
    src = load_model(path)
    assert {n.op_type for n in src.wrapper.graph.node} <= {"MatMul", "Add", "BatchNormalization", "Relu"}


def test_unsqueeze_on_another_axis_is_left_alone(tmp_path):
    path = bn_mlp_unsqueezed(tmp_path / "bn_unsq.onnx")
    model = onnx.load(str(path))
    axes = next(i for i in model.graph.initializer if i.name == "axes")
    axes.CopyFrom(onnx.numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"))  # (N, 1, C): channel moves
    onnx.save(model, str(path))
    _, applied = _canonical(path)
    assert "RemoveUnsqueezeAroundBatchNorm" not in applied
    with pytest.raises(InputError, match=r"node 'bn1_unsqueeze' has op type Unsqueeze"):
        load_model(path)


def test_permless_transpose_is_rejected_naming_the_node(tmp_path):
    path = bn_mlp_permless_transposes(tmp_path / "three_layer_bn.onnx")
    with pytest.raises(InputError) as err:
        load_model(path)
    msg = str(err.value)
    assert "three_layer_bn.onnx" in msg and "'batch_normalization_1_transpose_in' (op Transpose)" in msg
    assert "no perm attribute" in msg and "batch axis" in msg


def test_permless_transpose_cli_exit_2(tmp_path, compile_cli):
    path = bn_mlp_permless_transposes(tmp_path / "three_layer_bn.onnx")
    run = compile_cli(path, "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    assert run.code == 2 and "Traceback" not in run.err and "(op Transpose)" in run.err
    assert leftovers(tmp_path / "out") == []


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET"])
def test_window_defaults_written_out(tmp_path, auto_pad):
    path = conv2d_auto_pad(tmp_path / "conv.onnx", auto_pad)
    model, applied = _canonical(path)
    assert applied == ["ExplicitWindowAttributes"]
    conv = model.graph.node[0]
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in conv.attribute}
    assert "auto_pad" not in attrs and {"pads", "strides", "dilations", "kernel_shape"} <= set(attrs)
    x = np.random.default_rng(1).normal(size=(8, 2, 7, 6)).astype(np.float32)
    np.testing.assert_array_equal(_run(model, x), _run(onnx.load(str(path)), x))


def test_same_upper_pads_differ_from_same_lower(tmp_path):
    pads = {}
    for mode in ("SAME_UPPER", "SAME_LOWER"):
        model, _ = _canonical(conv2d_auto_pad(tmp_path / f"{mode}.onnx", mode))
        pads[mode] = next(list(a.ints) for a in model.graph.node[0].attribute if a.name == "pads")
    # 7x6 input, kernel 3, stride 2 -> totals 2 (H) and 1 (W): UPPER puts the odd one at the end
    assert pads == {"SAME_UPPER": [1, 0, 1, 1], "SAME_LOWER": [1, 1, 1, 0]}
