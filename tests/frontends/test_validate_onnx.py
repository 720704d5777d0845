"""Invalid ONNX / QONNX files are refused at load with InputError naming the node, tensor or reason.

Each mutant is made from a small valid model (the float MLP of tests/models.py, or the QONNX MLP of
the exporter corpus) by one change the fuzz campaign of issue 12 found accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import pytest
from models import float_mlp
from onnx import TensorProto, helper, numpy_helper
from zoo.corpus import MODELS

from trigger.cli import compile_main
from trigger.errors import InputError
from trigger.frontends import load_model

QONNX_MLP = MODELS / "qonnx_qkeras_mlp" / "model.onnx"  # Quant_0..3 on weights, Quant_4 on the activation


@pytest.fixture(scope="module")
def float_base(tmp_path_factory) -> onnx.ModelProto:
    return onnx.load(str(float_mlp(tmp_path_factory.mktemp("base") / "m.onnx")))


@pytest.fixture(scope="module")
def qonnx_base() -> onnx.ModelProto:
    return onnx.load(str(QONNX_MLP))


def _mutant(base: onnx.ModelProto, change: Callable[[onnx.ModelProto], None], path: Path) -> Path:
    model = onnx.ModelProto()
    model.CopyFrom(base)
    change(model)
    onnx.save(model, str(path))
    return path


def _node(model: onnx.ModelProto, name: str) -> onnx.NodeProto:
    return next(n for n in model.graph.node if n.name == name)


def _set_init(name: str, value: float, dtype=None) -> Callable[[onnx.ModelProto], None]:
    """Set every element of initializer `name` to `value` (keeping its type unless `dtype` is given)."""

    def change(model: onnx.ModelProto) -> None:
        init = next(i for i in model.graph.initializer if i.name == name)
        old = numpy_helper.to_array(init)
        init.CopyFrom(numpy_helper.from_array(np.full(old.shape, value, dtype=dtype or old.dtype), name))

    return change


def _nan_at(name: str, value: float) -> Callable[[onnx.ModelProto], None]:
    def change(model: onnx.ModelProto) -> None:
        init = next(i for i in model.graph.initializer if i.name == name)
        arr = numpy_helper.to_array(init).copy()
        arr.flat[3] = value
        init.CopyFrom(numpy_helper.from_array(arr, name))

    return change


def _dim(value: int, which: str = "input", k: int = 0) -> Callable[[onnx.ModelProto], None]:
    def change(model: onnx.ModelProto) -> None:
        vi = (model.graph.input if which == "input" else model.graph.output)[0]
        d = vi.type.tensor_type.shape.dim[k]
        d.Clear()
        d.dim_value = value

    return change


FLOAT_MUTANTS: dict[str, tuple[Callable[[onnx.ModelProto], None], str]] = {
    "nan weight": (_nan_at("w1", np.nan), r"initializer 'w1' \(read by node 'fc1' \(op Gemm\)\).*non-finite"),
    "inf bias": (_nan_at("b2", np.inf), r"initializer 'b2' \(read by node 'fc2' \(op Gemm\)\).*inf"),
    "-inf bias": (_nan_at("b1", -np.inf), r"initializer 'b1'.*-inf"),
    "no outputs": (lambda m: m.graph.ClearField("output"), r"declares no outputs"),
    "output renamed": (
        lambda m: setattr(m.graph.output[0], "name", "nothing"),
        r"graph output 'nothing' is not written by any node",
    ),
    "input rewired": (
        lambda m: _node(m, "relu1").input.__setitem__(0, "missing"),
        r"node 'relu1' \(op Relu\) reads tensor 'missing', which no node",
    ),
    "node deleted": (lambda m: m.graph.node.remove(_node(m, "relu1")), r"node 'fc2' \(op Gemm\) reads tensor 'a1'"),
    "last node deleted": (
        lambda m: m.graph.node.remove(_node(m, "softmax")),
        r"graph output 'y' is not written by any node",
    ),
    "cycle": (
        lambda m: _node(m, "relu1").input.__setitem__(0, "a1"),
        r"node 'relu1' \(op Relu\) reads its own output 'a1'",
    ),
    "two writers": (
        lambda m: _node(m, "relu1").output.__setitem__(0, "h1"),
        r"tensor 'h1' is written by two nodes, node 'fc1' \(op Gemm\) and node 'relu1' \(op Relu\)",
    ),
    "opset 99": (lambda m: setattr(m.opset_import[0], "version", 99), r"ai.onnx opset 99 is not supported"),
    "opset 1": (lambda m: setattr(m.opset_import[0], "version", 1), r"ai.onnx opset 1 is not supported"),
    "ir_version 99": (lambda m: setattr(m, "ir_version", 99), r"ir_version 99 is not supported"),
    "string input": (
        lambda m: setattr(m.graph.input[0].type.tensor_type, "elem_type", TensorProto.STRING),
        r"input 'x' has element type STRING",
    ),
    "double input": (
        lambda m: setattr(m.graph.input[0].type.tensor_type, "elem_type", TensorProto.DOUBLE),
        r"input 'x' has element type DOUBLE",
    ),
    "output shape": (_dim(7, "output", 1), r"node 'softmax' \(op Softmax\).*graph output 'y'"),
    "batch 0": (_dim(0), r"input 'x' has batch dimension 0"),
    "batch negative": (_dim(-3), r"input 'x' has batch dimension -3"),
    "input dim negative": (_dim(-16, k=1), r"input 'x' dimension 1 is '-16'"),
    "output dim 0": (_dim(0, "output", 1), r"output 'y' has dimension 1 of size 0"),
    "input dim contradicts Gemm": (
        _dim(12, k=1),
        r"node 'fc1' \(op Gemm\): the reference executor \(onnxruntime\) cannot run",
    ),
    "input rank": (
        lambda m: m.graph.input[0].type.tensor_type.shape.dim.add().__setattr__("dim_value", 3),
        r"node 'fc1' \(op Gemm\).*rank",
    ),
    "unknown attribute": (
        lambda m: _node(m, "relu1").attribute.append(helper.make_attribute("foo", 1)),
        r"node 'relu1' \(op Relu\) is invalid \(Unrecognized attribute: foo",
    ),
    "missing required attribute": (
        lambda m: _node(m, "relu1").__setattr__("op_type", "Cast"),
        r"node 'relu1' \(op Cast\) is invalid",
    ),
}


@pytest.mark.parametrize("name", list(FLOAT_MUTANTS))
def test_float_onnx_mutant_is_refused(float_base, tmp_path, name):
    change, message = FLOAT_MUTANTS[name]
    path = _mutant(float_base, change, tmp_path / "m.onnx")
    with pytest.raises(InputError, match=message) as info:
        load_model(path)
    assert str(path) in str(info.value)


def _quant_attr(node: str, name: str, value) -> Callable[[onnx.ModelProto], None]:
    return lambda m: _node(m, node).attribute.append(helper.make_attribute(name, value))


QONNX_MUTANTS: dict[str, tuple[Callable[[onnx.ModelProto], None], str]] = {
    "nan quantized weight": (_nan_at("Quant_2_param0", np.nan), r"initializer 'Quant_2_param0'.*node 'Quant_2'"),
    "scale 0": (_set_init("Quant_4_param0", 0.0), r"node 'Quant_4' \(op Quant\) has scale \('Quant_4_param0'\).*is 0"),
    "scale nan": (_set_init("Quant_2_param1", np.nan), r"initializer 'Quant_2_param1'.*non-finite"),
    "scale inf": (_set_init("Quant_3_param1", np.inf), r"initializer 'Quant_3_param1'.*non-finite"),
    "bit width 0": (_set_init("Quant_4_param2", 0.0), r"node 'Quant_4' \(op Quant\) has bit width.*is 0; it must be"),
    "bit width negative": (_set_init("Quant_2_param3", -3.0), r"node 'Quant_2'.*bit width.*is -3"),
    "bit width fractional": (
        _set_init("Quant_2_param3", 2.5, np.float32),
        r"node 'Quant_2'.*bit width.*2.5, not an integer",
    ),
    "bit width 64": (_set_init("Quant_2_param3", 64), r"node 'Quant_2'.*bit width.*is 64.*at most 63 bits"),
    "unsigned bit width 63": (_set_init("Quant_4_param2", 63), r"node 'Quant_4'.*is 63; unsigned.*at most 62 bits"),
    "unknown Quant attribute": (_quant_attr("Quant_4", "bogus", 1), r"node 'Quant_4' \(op Quant\).*'bogus'"),
    "output shape": (_dim(9, "output", 1), r"node 'Identity_1' \(op Identity\).*graph output 'global_out'"),
    "input dim contradicts MatMul": (_dim(12, k=1), r"node 'MatMul_0' \(op MatMul\)"),
    "opset 1": (lambda m: setattr(m.opset_import[0], "version", 1), r"ai.onnx opset 1 is not supported"),
}


@pytest.mark.parametrize("name", list(QONNX_MUTANTS))
def test_qonnx_mutant_is_refused(qonnx_base, tmp_path, name):
    change, message = QONNX_MUTANTS[name]
    path = _mutant(qonnx_base, change, tmp_path / "m.onnx")
    with pytest.raises(InputError, match=message):
        load_model(path)


@pytest.mark.parametrize("bits", [1, 2, 63])
def test_legal_quant_bit_widths_load(qonnx_base, tmp_path, bits):
    """1-bit signed Quant is qonnx's BIPOLAR type; 63 bits keep qonnx's int64 clamp bounds exact."""
    path = _mutant(qonnx_base, _set_init("Quant_2_param3", float(bits)), tmp_path / "m.onnx")
    assert load_model(path).quantized


def test_huge_finite_weights_still_load(float_base, tmp_path):
    """Representability in the chosen type is a report warning, not a load error."""
    path = _mutant(float_base, _nan_at("w1", 1e30), tmp_path / "m.onnx")
    assert load_model(path).kind == "onnx"


def test_unnamed_nodes_are_named_by_their_output(float_base, tmp_path):
    def change(m: onnx.ModelProto) -> None:
        for n in m.graph.node:
            n.name = ""
        m.graph.node[1].attribute.append(helper.make_attribute("foo", 1))

    path = _mutant(float_base, change, tmp_path / "m.onnx")
    with pytest.raises(InputError, match=r"node 'a1' \(op Relu\)"):
        load_model(path)


def test_cli_refuses_invalid_onnx_with_exit_2_and_no_output(qonnx_base, tmp_path, capsys):
    path = _mutant(qonnx_base, _set_init("Quant_4_param2", 0.0), tmp_path / "m.onnx")
    out = tmp_path / "prj"
    code = compile_main([str(path), "--target", "xcvu9p", "-o", str(out), "--stop-after", "hls"])
    assert code == 2
    assert re.search(r"node 'Quant_4' \(op Quant\) has bit width", capsys.readouterr().err)
    assert not out.exists()
