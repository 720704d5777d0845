"""Canonical ONNX for hls4ml: rewrites of what real exporters emit into what hls4ml's handlers assume.

Each rewrite is a qonnx `Transformation` registered with `@canonical`; `canonicalize` applies them in
order, before qonnx's own clean-up (which folds constant shape arithmetic such as Brevitas'
`Shape -> Gather -> Unsqueeze -> Concat -> Reshape` flatten).  A new rewrite touches this file only.

Only graph forms whose meaning is unchanged are rewritten; each names the exporter that produces it.
"""

from __future__ import annotations

from collections.abc import Callable

from onnx import helper
from qonnx.transformation.base import Transformation

_REWRITES: list[type[Transformation]] = []


def canonical(cls: type[Transformation]) -> type[Transformation]:
    """Register a rewrite (applied in registration order)."""
    _REWRITES.append(cls)
    return cls


def rewrites() -> list[str]:
    """Names of the registered rewrites, in order."""
    return [c.__name__ for c in _REWRITES]


def canonicalize(wrapper, on_applied: Callable[[str], None] | None = None):
    """Apply every registered rewrite; `on_applied(name)` is called for each that changed the graph."""
    for cls in _REWRITES:
        before = wrapper.model.SerializeToString()
        wrapper = wrapper.transform(cls())
        if on_applied and wrapper.model.SerializeToString() != before:
            on_applied(cls.__name__)
    return wrapper


def _rank(wrapper, tensor: str) -> int | None:
    shape = wrapper.get_tensor_shape(tensor)
    return None if shape is None else len(shape)


def _attr(node, name: str, default=None):
    """An attribute's value (strings decoded), or `default` when the node does not have it."""
    a = next((a for a in node.attribute if a.name == name), None)
    if a is None:
        return default
    value = helper.get_attribute_value(a)
    return value.decode() if isinstance(value, bytes) else value


IMPLICIT_PERM_NOTE = "\nperm: ONNX default (reversed axes)"


@canonical
class ExplicitTransposePerm(Transformation):
    """A `Transpose` without `perm` reverses the axes (ONNX default); hls4ml's handler reads
    `node.attribute[0]` and raises IndexError without one (seen in an onnxmltools 1.3 export of a
    Keras MLP in hls4ml's example models).  Write the default permutation out (and note it)."""

    def apply(self, model):
        changed = False
        for node in model.graph.node:
            if node.op_type == "Transpose" and _attr(node, "perm") is None:
                rank = _rank(model, node.input[0])
                if rank is None:
                    continue  # unknown rank: leave it, the op check names the node
                node.attribute.append(helper.make_attribute("perm", list(reversed(range(rank)))))
                node.doc_string += IMPLICIT_PERM_NOTE
                changed = True
        return model, changed


def _consumers(model, tensor: str) -> list:
    return [n for n in model.graph.node if tensor in n.input]


def _axes(model, node) -> list[int] | None:
    """Axes of a Squeeze/Unsqueeze: attribute (opset < 13) or constant second input (opset >= 13)."""
    axes = _attr(node, "axes")
    if axes is None and len(node.input) > 1 and node.input[1]:
        init = model.get_initializer(node.input[1])
        axes = None if init is None else [int(a) for a in init.ravel()]
    return None if axes is None else [int(a) for a in axes]


def _norm_axes(axes: list[int], rank: int) -> list[int]:
    return sorted(a % rank for a in axes)


PER_CHANNEL_OPS = {"BatchNormalization"}


@canonical
class RemoveUnsqueezeAroundBatchNorm(Transformation):
    """`Unsqueeze(axes) -> BatchNormalization -> Squeeze(axes)` on an (N, C) tensor, as PyTorch exports
    `BatchNorm1d` on a 2-D input, is a BatchNormalization of (N, C) itself (ONNX allows rank 2 with the
    channel on axis 1).  hls4ml has no Squeeze/Unsqueeze handlers; drop the pair when the added axes
    are trailing (the channel stays on axis 1)."""

    def apply(self, model):
        for unsq in list(model.graph.node):
            if unsq.op_type != "Unsqueeze":
                continue
            rank_in = _rank(model, unsq.input[0])
            axes = _axes(model, unsq)
            users = _consumers(model, unsq.output[0])
            if rank_in is None or axes is None or len(users) != 1 or users[0].op_type not in PER_CHANNEL_OPS:
                continue
            rank_out = rank_in + len(axes)
            if _norm_axes(axes, rank_out) != list(range(rank_in, rank_out)) or rank_in < 2:
                continue
            bn = users[0]
            sq_users = _consumers(model, bn.output[0])
            if len(sq_users) != 1 or sq_users[0].op_type != "Squeeze":
                continue
            sq = sq_users[0]
            sq_axes = _axes(model, sq)
            if sq_axes is None or _norm_axes(sq_axes, rank_out) != list(range(rank_in, rank_out)):
                continue
            if any(o.name == bn.output[0] for o in model.graph.output):
                continue
            # bn reads the Unsqueeze's input and writes the Squeeze's output
            bn.input[0] = unsq.input[0]
            bn.output[0] = sq.output[0]
            model.graph.node.remove(unsq)
            model.graph.node.remove(sq)
            return model, True  # shapes changed: run again (the transform loop re-infers nothing itself)
        return model, False


WINDOW_OPS = {"Conv": True, "MaxPool": False, "AveragePool": False}  # op -> has dilations


@canonical
class ExplicitWindowAttributes(Transformation):
    """Conv/MaxPool/AveragePool with ONNX's defaults left implicit (no `pads`, `strides`, `dilations`, or
    `auto_pad` SAME/VALID, as tf2onnx writes them): qonnx's channels-last ops require them explicit
    ("Required attribute pads unspecified") and hls4ml ignores `auto_pad`.  Write them out."""

    def apply(self, model):
        changed = False
        for node in model.graph.node:
            if node.op_type not in WINDOW_OPS:
                continue
            kernel = _attr(node, "kernel_shape")
            if kernel is None and node.op_type == "Conv":
                w = model.get_initializer(node.input[1])
                kernel = None if w is None else list(w.shape[2:])
            shape = model.get_tensor_shape(node.input[0])
            if kernel is None or shape is None:
                continue
            n = len(kernel)
            before = len(node.attribute)
            defaults = {"kernel_shape": list(kernel), "strides": [1] * n}
            if WINDOW_OPS[node.op_type]:
                defaults["dilations"] = [1] * n
            for name, value in defaults.items():
                if _attr(node, name) is None:
                    node.attribute.append(helper.make_attribute(name, value))
            auto = _attr(node, "auto_pad")
            if auto not in (None, "NOTSET") or _attr(node, "pads") is None:
                pads = _auto_pads(auto or "NOTSET", shape[2:], kernel, _attr(node, "strides"), _attr(node, "dilations"))
                _set_attr(node, "pads", pads)
                _drop_attr(node, "auto_pad")
            changed = changed or len(node.attribute) != before or auto not in (None, "NOTSET")
        return model, changed


def _auto_pads(auto: str, spatial, kernel, strides, dilations) -> list[int]:
    """Explicit ONNX `pads` (all begins, then all ends) for an `auto_pad` mode."""
    n = len(kernel)
    if auto in ("NOTSET", "VALID"):
        return [0] * (2 * n)
    strides, dilations = strides or [1] * n, dilations or [1] * n
    begins, ends = [], []
    for size, k, s, d in zip(spatial, kernel, strides, dilations, strict=True):
        total = max((-(-int(size) // s) - 1) * s + (k - 1) * d + 1 - int(size), 0)
        small, large = total // 2, total - total // 2
        begins.append(small if auto == "SAME_UPPER" else large)
        ends.append(large if auto == "SAME_UPPER" else small)
    return begins + ends


def _set_attr(node, name: str, value) -> None:
    _drop_attr(node, name)
    node.attribute.append(helper.make_attribute(name, value))


def _drop_attr(node, name: str) -> None:
    for a in [a for a in node.attribute if a.name == name]:
        node.attribute.remove(a)


from trigger.frontends import onnx_canon_conv  # noqa: E402, F401  (registers the conv/pool rewrites)
