"""Canonical ONNX rewrites for convolution and pooling graphs (registered into `onnx_canon`).

tf2onnx writes Keras' `Conv1D` / `MaxPooling1D` / `AveragePooling1D` as 2-D ops on a tensor with a unit
axis added by `Unsqueeze` (or a `Reshape` that only adds a 1) and removed again by `Squeeze`; hls4ml has
no Squeeze/Unsqueeze handlers.  The rewrites below turn them into the 1-D ops on (N, C, L) that hls4ml
converts.  They rely on one fact: `Unsqueeze`, `Squeeze` and a `Reshape` that keeps the non-unit
dimensions in order (the batch carried) only add or drop axes of size 1, so they never move data;
a chain of them is the identity on the data, whatever the unit axes are called.

Registration order matters: `MoveUnsqueezePastTranspose` first (it exposes the Unsqueeze in front of
the Conv), then the 1-D conv and pool rewrites, then `CancelSqueezeUnsqueezePairs` for what is left.
Anything not matching exactly is left untouched (the op check then names the node).
"""

from __future__ import annotations

import numpy as np
from qonnx.transformation.base import Transformation
from qonnx.transformation.general import SortGraph
from qonnx.transformation.infer_shapes import InferShapes

from trigger.frontends.onnx_canon import _attr, _axes, _set_attr, canonical

UNIT_OPS = {"Unsqueeze", "Squeeze", "Reshape"}
POOL_OPS = {"MaxPool", "AveragePool"}


# ---- small graph helpers -------------------------------------------------------------------------


def _shape(model, tensor: str) -> list[int] | None:
    shape = model.get_tensor_shape(tensor)
    return None if shape is None else [int(d) for d in shape]


def _is_graph_output(model, tensor: str) -> bool:
    return any(o.name == tensor for o in model.graph.output)


def _sole_consumer(model, tensor: str):
    """The only node reading `tensor` (None if it has several readers or is a graph output)."""
    users = [n for n in model.graph.node if tensor in n.input]
    return users[0] if len(users) == 1 and not _is_graph_output(model, tensor) else None


def _opset(model) -> int:
    return next((o.version for o in model.model.opset_import if o.domain in ("", "ai.onnx")), 13)


def _set_axes(model, node, axes: list[int]) -> None:
    """New axes for a Squeeze/Unsqueeze, in its opset's form (a fresh initializer: the old one may be shared)."""
    if _opset(model) < 13:
        _set_attr(node, "axes", list(axes))
        return
    name = model.make_new_valueinfo_name()
    model.set_initializer(name, np.asarray(axes, dtype=np.int64))
    if len(node.input) > 1:
        node.input[1] = name
    else:
        node.input.append(name)


def _set_new_initializer(model, node, index: int, value: np.ndarray) -> None:
    """Point `node.input[index]` at a fresh initializer holding `value` (the old one may be shared)."""
    name = model.make_new_valueinfo_name()
    model.set_initializer(name, value)
    node.input[index] = name


def _refresh(model, stale: set[str]):
    """Drop the shapes of changed tensors, sort the graph and infer shapes again."""
    for vi in [vi for vi in model.graph.value_info if vi.name in stale]:
        model.graph.value_info.remove(vi)
    model = model.transform(SortGraph(), cleanup=False)
    return model.transform(InferShapes(), cleanup=False)


# ---- unit-axis chains ----------------------------------------------------------------------------


def _non_unit(dims: list[int]) -> list[int]:
    return [d for d in dims if d != 1]


def _is_unit_op(model, node) -> bool:
    """True for a node that only adds or drops axes of size 1 (the batch, axis 0, stays where it is)."""
    if node.op_type not in UNIT_OPS or not node.output or not node.input:
        return False
    x, y = _shape(model, node.input[0]), _shape(model, node.output[0])
    if x is None or y is None or not x or not y:
        return False
    if node.op_type in ("Squeeze", "Unsqueeze"):
        return _axes(model, node) is not None and x[0] == y[0] and _non_unit(x[1:]) == _non_unit(y[1:])
    # Reshape: a constant target whose first entry carries the batch and the rest are explicit sizes
    target = model.get_initializer(node.input[1]) if len(node.input) > 1 else None
    if target is None or target.ndim != 1 or len(target) < 1:
        return False
    first, rest = int(target[0]), [int(d) for d in target[1:]]
    carries_batch = first == -1 or (first == 0 and not _attr(node, "allowzero", 0)) or first == x[0] > 0
    return (
        carries_batch
        and all(d > 0 for d in rest)
        and int(np.prod(rest)) == int(np.prod(x[1:]))
        and _non_unit(rest) == _non_unit(x[1:])
        and y[1:] == rest
    )


def _inserted_axes(x: list[int], y: list[int]) -> set[int]:
    """Axes a >= 1 such that y is x with a unit axis inserted at a."""
    if len(y) != len(x) + 1:
        return set()
    return {a for a in range(1, len(y)) if y[a] == 1 and y[:a] + y[a + 1 :] == x}


def _unsqueeze_source(model, tensor: str) -> tuple[str, set[int], list] | None:
    """Walk back from `tensor` over unit-axis ops (each read only by the next) to a tensor x such that
    `tensor` is x with one unit axis inserted: (x, the axes it may be called, the chain's nodes)."""
    y = _shape(model, tensor)
    if y is None:
        return None
    chain, current = [], tensor
    while True:
        node = model.find_producer(current)
        if node is None or not _is_unit_op(model, node):
            return None
        if chain and _sole_consumer(model, current) is None:
            return None
        chain.append(node)
        current = node.input[0]
        x = _shape(model, current)
        if x is None:
            return None
        axes = _inserted_axes(x, y)
        if axes:
            return current, axes, chain


def _squeeze_target(model, tensor: str) -> tuple[str, set[int], list] | None:
    """Walk forward from `tensor` over unit-axis ops (each the only reader of the one before) to a
    tensor z such that `tensor` is z with one unit axis inserted: (z, the axes, the chain's nodes)."""
    x = _shape(model, tensor)
    if x is None:
        return None
    chain, current = [], tensor
    while True:
        node = _sole_consumer(model, current)
        if node is None or not _is_unit_op(model, node) or node.input[0] != current:
            return None
        chain.append(node)
        current = node.output[0]
        z = _shape(model, current)
        if z is None:
            return None
        axes = _inserted_axes(z, x)
        if axes:
            return current, axes, chain


def _splice(model, node, source: str, target: str, src_chain: list, dst_chain: list) -> None:
    """Make `node` read `source` and write `target`; drop the squeeze chain (its last output is now
    `node`'s) and whatever part of the unsqueeze chain nothing else reads."""
    node.input[0], node.output[0] = source, target
    for n in dst_chain:
        model.graph.node.remove(n)
    for n in src_chain:  # from the node's input backwards
        if not any(o in m.input for o in n.output for m in model.graph.node) and not any(
            _is_graph_output(model, o) for o in n.output
        ):
            model.graph.node.remove(n)


@canonical
class MoveUnsqueezePastTranspose(Transformation):
    """`Unsqueeze(axes) -> Transpose(perm)` is `Transpose(perm') -> Unsqueeze(axes')`: the added axes hold
    no data, so only where they land changes.  tf2onnx writes Keras' `Conv1D` on a channels-last (N, L, C)
    input as `Unsqueeze(axis -3) -> Transpose(0, 3, 1, 2) -> Conv`; after the move it reads
    `Transpose(0, 2, 1) -> Unsqueeze(axis 2) -> Conv`, the form `Conv1DFromUnitConv2D` takes.
    (A Transpose left as the identity is dropped.)"""

    def apply(self, model):
        for t in list(model.graph.node):
            if t.op_type != "Transpose" or _attr(t, "perm") is None:
                continue
            u = model.find_producer(t.input[0])
            reader = _sole_consumer(model, t.input[0])
            if u is None or u.op_type != "Unsqueeze" or reader is None or reader.output[0] != t.output[0]:
                continue
            perm, axes = [int(p) for p in _attr(t, "perm")], _axes(model, u)
            if axes is None or len(perm) != len(_shape(model, t.input[0]) or []):
                continue
            added = {a % len(perm) for a in axes}
            new_axes = [j for j, p in enumerate(perm) if p in added]
            kept = [p - sum(1 for a in added if a < p) for p in perm if p not in added]
            x, out = u.input[0], t.output[0]
            stale = {t.input[0], out}
            if kept == list(range(len(kept))):  # the Transpose only moved unit axes: drop it
                u.output[0] = out
                model.graph.node.remove(t)
            else:
                mid = model.make_new_valueinfo_name()
                t.input[0], t.output[0] = x, mid
                _set_attr(t, "perm", kept)
                u.input[0], u.output[0] = mid, out
            _set_axes(model, u, new_axes)
            return _refresh(model, stale), True
        return model, False


def _weight_source(model, conv):
    """The weight as something that can be reshaped: ('init', None) for an initializer, ('quant', node)
    for a Quant of an initializer read only by this Conv, else None."""
    if model.get_initializer(conv.input[1]) is not None:
        return "init", None
    q = model.find_producer(conv.input[1])
    reader = _sole_consumer(model, conv.input[1])
    if (
        q is not None
        and q.op_type == "Quant"
        and reader is not None
        and reader.output[0] == conv.output[0]
        and all(model.get_initializer(i) is not None for i in q.input)
    ):
        return "quant", q
    return None


def _drop_weight_axis(model, conv, axis: int) -> bool:
    """Remove the unit `axis` from the Conv weight (and from a Quant's per-channel parameters)."""
    source = _weight_source(model, conv)
    if source is None:
        return False
    kind, q = source
    if kind == "init":
        w = model.get_initializer(conv.input[1])
        if w.ndim != 4 or w.shape[axis] != 1:
            return False
        _set_new_initializer(model, conv, 1, np.take(w, 0, axis=axis))
        return True
    params = [model.get_initializer(i) for i in q.input]
    if params[0].ndim != 4 or params[0].shape[axis] != 1:
        return False
    if any(p.ndim not in (0, 1, 4) or (p.ndim == 1 and p.size != 1) for p in params[1:]):
        return False  # a parameter broadcast some other way: leave the node
    for k, p in enumerate(params):
        if p.ndim == 4:
            _set_new_initializer(model, q, k, np.take(p, 0, axis=axis))
    return True


def _unit_axis_window(node, axis: int, rank: int = 4) -> dict | None:
    """The 1-D window attributes of a 2-D Conv/pool whose spatial `axis` (2 or 3) has size 1 in its input,
    or None when that axis is not a plain pass-through (kernel 1, no padding) or `auto_pad` is set."""
    n = rank - 2
    if _attr(node, "auto_pad", "NOTSET") != "NOTSET":
        return None
    kernel = _attr(node, "kernel_shape")
    strides = _attr(node, "strides", [1] * n)
    pads = _attr(node, "pads", [0] * 2 * n)
    dilations = _attr(node, "dilations", [1] * n)
    if kernel is None or len(kernel) != n or len(strides) != n or len(pads) != 2 * n or len(dilations) != n:
        return None
    unit, keep = axis - 2, 1 - (axis - 2)
    if kernel[unit] != 1 or pads[unit] != 0 or pads[unit + n] != 0:
        return None  # on a size-1 axis, kernel 1 without padding always gives size 1, whatever stride/dilation
    return {
        "kernel_shape": [kernel[keep]],
        "strides": [strides[keep]],
        "pads": [pads[keep], pads[keep + n]],
        "dilations": [dilations[keep]],
    }


def _match_unit_window(model, node):
    """For a 2-D Conv/pool between unit-axis chains: (source, target, axes, unsqueeze chain, squeeze chain)."""
    if len(_shape(model, node.input[0]) or []) != 4 or not node.output or _is_graph_output(model, node.output[0]):
        return None
    src = _unsqueeze_source(model, node.input[0])
    dst = _squeeze_target(model, node.output[0])
    if src is None or dst is None:
        return None
    axes = sorted(src[1] & dst[1] & {2, 3})
    if not axes:
        return None
    return src[0], dst[0], axes, src[2], dst[2]


def _unit_window_of(model, node):
    """(source, target, unit axis, 1-D window attributes, source chain, target chain) of a 2-D Conv/Pool
    that runs over an axis added by an Unsqueeze chain and removed by a Squeeze chain, or None."""
    match = _match_unit_window(model, node)
    if match is None:
        return None
    source, target, axes, src_chain, dst_chain = match
    for axis in axes:
        window = _unit_axis_window(node, axis)
        if window is not None:
            return source, target, axis, window, src_chain, dst_chain
    return None


@canonical
class Conv1DFromUnitConv2D(Transformation):
    """tf2onnx's Keras `Conv1D`: `Unsqueeze(axis 2) -> Conv(2-D, kernel [1, k], strides [1, s],
    pads [0, p, 0, q], dilations [1, d]) -> Squeeze(axis 2)` on (N, C, L) is the 1-D Conv with kernel [k],
    strides [s], pads [p, q], dilations [d] and weights W[:, :, 0, :] (the same with the unit axis at 3 and
    kernel [k, 1]).  The Unsqueeze/Squeeze may be chains of unit-axis ops (Reshape that only adds a 1, ...).
    A Quant on the weights (QONNX) is reshaped the same way."""

    def apply(self, model):
        for conv in list(model.graph.node):
            if conv.op_type != "Conv" or len(conv.input) < 2:
                continue
            found = _unit_window_of(model, conv)
            if found is None:
                continue
            source, target, axis, window, src_chain, dst_chain = found
            if not _drop_weight_axis(model, conv, axis):
                continue
            stale = {conv.input[1], conv.output[0], *(o for n in src_chain + dst_chain for o in n.output)}
            for name, value in window.items():
                _set_attr(conv, name, value)
            _splice(model, conv, source, target, src_chain, dst_chain)
            return _refresh(model, stale), True
        return model, False


@canonical
class Pool1DFromUnitPool2D(Transformation):
    """tf2onnx's Keras `MaxPooling1D` / `AveragePooling1D`: `Unsqueeze -> Reshape (only moves the unit axis
    to the end) -> MaxPool(kernel [k, 1], strides [s, 1]) -> Squeeze(axis 3)` on (N, C, L) is the 1-D
    pool with kernel [k], strides [s] (pads, dilations, ceil_mode, count_include_pad carried over); the
    same with the unit axis at 2 and kernel [1, k]."""

    def apply(self, model):
        for pool in list(model.graph.node):
            if pool.op_type not in POOL_OPS or len([o for o in pool.output if o]) != 1:
                continue
            found = _unit_window_of(model, pool)
            if found is None:
                continue
            source, target, _, window, src_chain, dst_chain = found
            if _attr(pool, "dilations") is None:
                window.pop("dilations")  # optional on pools (AveragePool has it only from opset 19)
            stale = {pool.output[0], *(o for n in src_chain + dst_chain for o in n.output)}
            for name, value in window.items():
                _set_attr(pool, name, value)
            _splice(model, pool, source, target, src_chain, dst_chain)
            return _refresh(model, stale), True
        return model, False


@canonical
class CancelSqueezeUnsqueezePairs(Transformation):
    """`Squeeze -> Unsqueeze` or `Unsqueeze -> Squeeze` giving back the shape it started from is the
    identity (unit axes hold no data); left between ops once the 1-D rewrites took what they match."""

    def apply(self, model):
        for a in list(model.graph.node):
            if a.op_type not in ("Squeeze", "Unsqueeze") or not _is_unit_op(model, a):
                continue
            b = _sole_consumer(model, a.output[0])
            if b is None or b.op_type not in ("Squeeze", "Unsqueeze") or b.input[0] != a.output[0]:
                continue
            if not _is_unit_op(model, b) or _is_graph_output(model, b.output[0]):
                continue
            if _shape(model, a.input[0]) != _shape(model, b.output[0]):
                continue
            for n in model.graph.node:
                for k, name in enumerate(n.input):
                    if name == b.output[0]:
                        n.input[k] = a.input[0]
            model.graph.node.remove(a)
            model.graph.node.remove(b)
            return _refresh(model, {a.output[0], b.output[0]}), True
        return model, False
