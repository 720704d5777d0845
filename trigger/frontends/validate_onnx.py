"""Validation of an ONNX / QONNX file as written, before any rewrite, and a trial run after loading.

`validate(model, path)` runs an ordered list of checks, each raising `InputError` that names the node,
tensor or initializer of the user's file: versions, graph inputs/outputs, graph structure (missing
tensors, cycles, two writers), each node against its schema (onnx's for standard ops, qonnx's
attribute list for qonnx custom ops), onnx's model checker, finite parameters, Quant parameters, and
strict type and shape inference (with qonnx custom ops replaced by their shape-compatible standard
op, as qonnx's own `InferShapes` does, so shapes flow through them).  `check_runs` executes the
loaded reference once (onnxruntime or qonnx execution), so a graph the executor refuses fails at load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

from trigger.culprit import first_line
from trigger.errors import InputError
from trigger.input_layout import InputLayout

QONNX_DOMAIN = "qonnx.custom_op.general"
STANDARD_DOMAINS = ("", "ai.onnx")
# qonnx executes standard nodes with onnxruntime, which implements ai.onnx opsets from 7 on
MIN_OPSET = 7
# qonnx's Quant computes its clamp bounds 2**(bits-1) (signed) or 2**bits (unsigned) in int64, and
# trigger's emulation reads raw fixed-point values as int64 (trigger/fixed.py)
MAX_SIGNED_BITS = 63
FLOAT_TYPES = {TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16, TensorProto.BFLOAT16}
# input index -> what it is, for the quantizer ops (qonnx's definitions)
QUANT_INPUTS: dict[str, dict[int, str]] = {
    "Quant": {1: "scale", 2: "zero point", 3: "bit width"},
    "IntQuant": {1: "scale", 2: "zero point", 3: "bit width"},
    "BipolarQuant": {1: "scale"},
    "Trunc": {1: "scale", 2: "zero point", 3: "input bit width", 4: "output bit width"},
}

Check = Callable[[onnx.ModelProto, Path], None]


def node_name(node: onnx.NodeProto) -> str:
    """A node's name in the file (its first output's name if it has none), as the loader tags it."""
    return node.name or (node.output[0] if node.output else "?")


def describe(node: onnx.NodeProto) -> str:
    return f"node '{node_name(node)}' (op {node.op_type})"


def _is_qonnx(node: onnx.NodeProto) -> bool:
    from qonnx.util.basic import is_finn_op

    return is_finn_op(node.domain) or (node.op_type in QUANT_INPUTS and node.domain in STANDARD_DOMAINS)


def check_versions(model: onnx.ModelProto, path: Path) -> None:
    """IR version and ai.onnx opset within what onnx (checker) and onnxruntime (executor) implement."""
    if not 3 <= model.ir_version <= onnx.IR_VERSION:
        raise InputError(
            f"{path}: ir_version {model.ir_version} is not supported (onnx {onnx.__version__} reads IR versions "
            f"3 to {onnx.IR_VERSION})."
        )
    latest = onnx.defs.onnx_opset_version()
    default = [o.version for o in model.opset_import if o.domain in STANDARD_DOMAINS]
    if not default:
        raise InputError(f"{path}: the model imports no ai.onnx opset (opset_import has no default domain).")
    for version in default:
        if not MIN_OPSET <= version <= latest:
            raise InputError(
                f"{path}: ai.onnx opset {version} is not supported (onnxruntime and onnx {onnx.__version__} "
                f"implement opsets {MIN_OPSET} to {latest})."
            )


def check_io(model: onnx.ModelProto, path: Path) -> None:
    """float32 inputs (one or more), batch first with every other dimension fixed; outputs named, sized > 0."""
    graph = model.graph
    inits = {i.name for i in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if not inputs:
        raise InputError(f"{path}: the model has no inputs (every graph input is an initializer).")
    for inp in inputs:
        _check_input(inp, path)
    if len(graph.output) == 0:
        raise InputError(f"{path}: the graph declares no outputs.")
    for out in graph.output:
        for k, d in enumerate(out.type.tensor_type.shape.dim):
            if d.HasField("dim_value") and d.dim_value <= 0:
                raise InputError(f"{path}: output '{out.name}' has dimension {k} of size {d.dim_value}.")


def _check_input(inp: onnx.ValueInfoProto, path: Path) -> None:
    """A float32 tensor, batch first, every other dimension a fixed size > 0."""
    if not inp.type.HasField("tensor_type"):
        raise InputError(f"{path}: input '{inp.name}' is not a tensor.")
    elem = inp.type.tensor_type.elem_type
    if elem != TensorProto.FLOAT:
        raise InputError(
            f"{path}: input '{inp.name}' has element type {TensorProto.DataType.Name(elem)}; trigger feeds "
            "the model FLOAT (float32) inputs."
        )
    dims = inp.type.tensor_type.shape.dim
    if len(dims) < 2:
        raise InputError(f"{path}: input '{inp.name}' has rank {len(dims)}; expected a batch dimension first.")
    if dims[0].HasField("dim_value") and dims[0].dim_value <= 0:
        raise InputError(f"{path}: input '{inp.name}' has batch dimension {dims[0].dim_value}; it must be >= 1.")
    for k, d in enumerate(dims[1:], start=1):
        if not d.HasField("dim_value") or d.dim_value <= 0:
            size = d.dim_value if d.HasField("dim_value") else (d.dim_param or "?")
            raise InputError(
                f"{path}: input '{inp.name}' dimension {k} is '{size}', not a fixed size; "
                "firmware needs every dimension but the batch fixed (and > 0)."
            )


def _order(graph: onnx.GraphProto, path: Path) -> list[onnx.NodeProto]:
    """The nodes in an execution order; rejects missing tensors, two writers and cycles."""
    given = {i.name for i in graph.input} | {i.name for i in graph.initializer} | {""}
    writer: dict[str, onnx.NodeProto] = {}
    for node in graph.node:
        for t in node.output:
            if t in given:
                raise InputError(
                    f"{path}: {describe(node)} writes '{t}', which is already a graph input or initializer."
                )
            if t in writer:
                raise InputError(
                    f"{path}: tensor '{t}' is written by two nodes, {describe(writer[t])} and {describe(node)}."
                )
            writer[t] = node
    for node in graph.node:
        for t in node.input:
            if t not in given and t not in writer:
                raise InputError(
                    f"{path}: {describe(node)} reads tensor '{t}', which no node, initializer or graph input provides."
                )
    for out in graph.output:
        if out.name not in writer:
            raise InputError(f"{path}: graph output '{out.name}' is not written by any node.")
    done, order, pending = set(given), [], list(graph.node)
    while pending:
        ready = [n for n in pending if all(t in done for t in n.input)]
        if not ready:
            node = pending[0]
            own = [t for t in node.input if t in node.output]
            if own:
                raise InputError(f"{path}: {describe(node)} reads its own output '{own[0]}' (a cycle).")
            names = ", ".join(f"'{node_name(n)}'" for n in pending)
            raise InputError(f"{path}: the graph has a cycle through nodes {names}.")
        for n in ready:
            done.update(n.output)
        order += ready
        pending = [n for n in pending if n not in ready]
    return order


def check_graph(model: onnx.ModelProto, path: Path) -> None:
    """Every tensor read is provided, every tensor written once, every graph output written, no cycle."""
    _order(model.graph, path)


def check_nodes(model: onnx.ModelProto, path: Path) -> None:
    """Each standard node against its onnx schema (inputs, attributes); qonnx nodes against qonnx's attributes."""
    from qonnx.custom_op import registry

    ctx = onnx.checker.C.CheckerContext()
    ctx.ir_version = model.ir_version
    ctx.opset_imports = {o.domain or "": o.version for o in model.opset_import}
    for node in model.graph.node:
        if _is_qonnx(node):
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            copy.domain = QONNX_DOMAIN
            try:
                known = registry.getCustomOp(copy).get_nodeattr_types()
            except Exception:
                continue  # not a qonnx op: the op check after the clean-up names it
            odd = [a.name for a in node.attribute if a.name not in known]
            if odd:
                raise InputError(
                    f"{path}: {describe(node)} has attribute '{odd[0]}', which qonnx's {node.op_type} lacks."
                )
            continue
        if node.domain not in STANDARD_DOMAINS and node.domain not in ctx.opset_imports:
            raise InputError(f"{path}: {describe(node)} is in domain '{node.domain}', which the model does not import.")
        try:
            onnx.checker.check_node(node, ctx)
        except Exception as exc:  # ValidationError, or SchemaError for an unknown op
            raise InputError(f"{path}: {describe(node)} is invalid ({_first(exc)}).") from exc


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _checkable(model: onnx.ModelProto, path: Path) -> onnx.ModelProto:
    """A copy onnx can check: named and sorted nodes, qonnx ops replaced by shape-compatible standard ops."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.custom_op import registry

    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    order = _order(copy.graph, path)
    nodes = [onnx.NodeProto() for _ in order]
    for new, old in zip(nodes, order, strict=True):
        new.CopyFrom(old)
        new.name = node_name(old)
    del copy.graph.node[:]
    copy.graph.node.extend(nodes)
    wrapper = ModelWrapper(copy)
    for k, node in enumerate(copy.graph.node):
        if not _is_qonnx(node):
            continue
        node.domain = QONNX_DOMAIN
        try:
            standin = registry.getCustomOp(node).make_shape_compatible_op(wrapper)
        except Exception:
            continue  # unknown to qonnx: left in place (skipped by onnx), named by the op check later
        standin.name = node.name
        copy.graph.node[k].CopyFrom(standin)
    domains = {o.domain for o in copy.opset_import}
    for domain in {n.domain for n in copy.graph.node} - domains - set(STANDARD_DOMAINS):
        copy.opset_import.append(onnx.helper.make_opsetid(domain, 1))
    return copy


_NODE_IN_MESSAGE = re.compile(r"\(op_type:([^,]*), node name: ([^)]*)\): (.*)")
_NAME_IN_CONTEXT = re.compile(r"Name: (.*) OpType: (\S+)")


def _explain(exc: BaseException, graph: onnx.GraphProto) -> str:
    """An onnx checker/inference message with the node it concerns named first."""
    text = str(exc)
    m = _NODE_IN_MESSAGE.search(text)
    if m:
        op, name, reason = m.groups()
        reason = reason.split("\n")[0].replace("[ShapeInferenceError] ", "").replace("[TypeInferenceError] ", "")
        node = next((n for n in graph.node if node_name(n) == name), None)
        written = [t for t in (node.output if node else []) if t in {o.name for o in graph.output}]
        extra = f" (it writes graph output '{written[0]}', declared with a different shape)" if written else ""
        return f"node '{name}' (op {op}): {reason}{extra}"
    m = _NAME_IN_CONTEXT.search(text)
    if m:
        return f"node '{m.group(1).strip()}' (op {m.group(2)}): {_first(exc)}"
    return _first(exc)


def check_model(model: onnx.ModelProto, path: Path) -> None:
    """onnx's model checker on the file (initializers, value infos, graph rules not covered above)."""
    copy = _checkable(model, path)
    try:
        onnx.checker.check_model(copy)
    except onnx.checker.ValidationError as exc:
        raise InputError(f"{path}: onnx's checker rejects the model: {_explain(exc, copy.graph)}.") from exc


def _constant_tensors(graph: onnx.GraphProto) -> Iterator[tuple[str, onnx.TensorProto]]:
    """(tensor name, TensorProto) of every initializer and Constant node value."""
    for init in graph.initializer:
        yield init.name, init
    for node in graph.node:
        if node.op_type == "Constant":
            for attr in node.attribute:
                if attr.name == "value":
                    yield node.output[0], attr.t


def _float_arrays(graph: onnx.GraphProto) -> Iterator[tuple[str, np.ndarray]]:
    """(tensor name, array) of every floating-point initializer and Constant value."""
    for name, tensor in _constant_tensors(graph):
        if tensor.data_type in FLOAT_TYPES:
            yield name, numpy_helper.to_array(tensor)


def check_finite(model: onnx.ModelProto, path: Path) -> None:
    """No NaN or infinity in any weight, bias or other constant."""
    for name, values in _float_arrays(model.graph):
        values = np.asarray(values, dtype=np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            readers = [describe(n) for n in model.graph.node if name in n.input]
            where = f" (read by {', '.join(readers)})" if readers else ""
            first = tuple(int(i) for i in np.argwhere(bad)[0]) if values.ndim else ()
            raise InputError(
                f"{path}: initializer '{name}'{where} holds {int(bad.sum())} non-finite value(s) "
                f"({values[first] if first else values.item()} at index {first}); parameters must be finite."
            )


def _constants(graph: onnx.GraphProto) -> dict[str, np.ndarray]:
    return {name: numpy_helper.to_array(tensor) for name, tensor in _constant_tensors(graph)}


def _quant_reason(what: str, values: np.ndarray, signed: bool) -> str | None:
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        return f"is {values.ravel()[~np.isfinite(values.ravel())][0]}"
    if what == "scale" and (values == 0).any():
        return "is 0"
    if "bit width" in what:
        limit = MAX_SIGNED_BITS if signed else MAX_SIGNED_BITS - 1
        if (values != np.round(values)).any():
            return f"is {values.ravel()[values.ravel() != np.round(values.ravel())][0]}, not an integer"
        if (values < 1).any():
            return f"is {values.min():g}; it must be at least 1"
        if (values > limit).any():
            return (
                f"is {values.max():g}; {'signed' if signed else 'unsigned'} quantizers of at most {limit} bits "
                "keep their bounds and raw values within 64-bit integers (qonnx's reference, trigger's emulation)"
            )
    return None


def check_quant_params(model: onnx.ModelProto, path: Path) -> None:
    """Quant/BipolarQuant/Trunc: scale finite and non-zero, zero point finite, bit widths integers in 1..63."""
    consts = _constants(model.graph)
    for node in model.graph.node:
        for index, what in QUANT_INPUTS.get(node.op_type, {}).items():
            if index >= len(node.input) or node.input[index] not in consts:
                continue  # computed at run time: hls4ml then refuses the node itself
            signed = next((a.i for a in node.attribute if a.name == "signed"), 1) != 0
            reason = _quant_reason(what, consts[node.input[index]], signed)
            if reason:
                raise InputError(f"{path}: {describe(node)} has {what} ('{node.input[index]}') that {reason}.")


def check_inference(model: onnx.ModelProto, path: Path) -> None:
    """onnx's strict type and shape inference (with data propagation): shapes must agree everywhere."""
    copy = _checkable(model, path)
    try:
        onnx.shape_inference.infer_shapes(copy, check_type=True, strict_mode=True, data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError) as exc:
        raise InputError(f"{path}: shape/type inference fails: {_explain(exc, copy.graph)}.") from exc


CHECKS: list[Check] = [
    check_versions,
    check_io,
    check_graph,
    check_nodes,
    check_model,
    check_finite,
    check_quant_params,
    check_inference,
]


def validate(model: onnx.ModelProto, path: Path) -> None:
    """Run every check on the file as written; the first failure raises InputError."""
    for check in CHECKS:
        check(model, path)


def check_runs(source, path: Path) -> None:
    """Run the loaded reference executor once on zeros: a graph it refuses fails at load, named by node.

    `source` is an `OnnxModel`; node names in the executor's message are mapped to the file's names.
    """
    x = np.zeros((1, *InputLayout.of_source(source).row_shape), dtype=np.float32)
    try:
        source.predict(x)
    except Exception as exc:
        reason = first_line(exc)
        node = next(
            (n for n in source.wrapper.graph.node if n.name and re.search(rf"\b{re.escape(n.name)}\b", reason)), None
        )
        where = f"{source.describe(node.name, node.op_type)}: " if node is not None else ""
        raise InputError(
            f"{path}: {where}the reference executor ({source.reference_name}) cannot run the model ({reason})."
        ) from exc
