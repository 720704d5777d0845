"""A failure inside hls4ml names the node/layer it happened on (read from the traceback), exit 2."""

from __future__ import annotations

import pytest
from conftest import leftovers
from models import float_mlp

from trigger.culprit import find_culprit


def _raise_index_error(*args, **kwargs):
    return [][0]


def test_handler_failure_names_the_onnx_node(tmp_path, compile_cli, monkeypatch):
    import importlib

    onnx_to_hls = importlib.import_module("hls4ml.converters.onnx_to_hls")  # the package re-exports a function
    monkeypatch.setitem(onnx_to_hls.layer_handlers, "Relu", _raise_index_error)
    model = float_mlp(tmp_path / "m.onnx")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--stop-after", "hls")
    assert run.code == 2, run.err
    assert "Traceback" not in run.err and "internal error" not in run.err
    assert "m.onnx: node 'relu1' (op Relu): hls4ml cannot convert it (IndexError: list index out of range)" in run.err
    assert leftovers(tmp_path / "out") == []


def test_pass_failure_names_the_layer_and_the_pass(tmp_path, compile_cli, monkeypatch):
    from hls4ml.model.optimizer import get_optimizer

    opt = get_optimizer("infer_precision_types")
    original, original_match = opt.transform, opt.match

    def fail_on_fc2(model, node):
        if node.class_name == "Dense" and node.name.endswith("_1"):  # the second Dense (Gemm fc2 in the file)
            raise ValueError("Unexpected new precision type: <NamedType>")
        return original(model, node)

    monkeypatch.setattr(opt, "transform", fail_on_fc2)
    monkeypatch.setattr(opt, "match", lambda node: node.class_name == "Dense" or original_match(node))
    model = float_mlp(tmp_path / "m.onnx")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--stop-after", "hls")
    assert run.code == 2, run.err
    assert "node 'fc2' (op Gemm): hls4ml cannot convert it in its infer_precision_types pass" in run.err
    assert "ValueError: Unexpected new precision type" in run.err


def test_no_culprit_outside_hls4ml():
    with pytest.raises(ZeroDivisionError) as err:
        node = 0  # a local of that name outside hls4ml is ignored
        print(1 / node)
    assert find_culprit(err.value) is None
