"""ONNX frontend: QONNX (`Quant` nodes) and float ONNX, from any exporter.

A model is read, canonicalised (`onnx_canon`: forms real exporters emit that hls4ml's handlers do not
expect), cleaned with qonnx's sequence (constant folding, channels-last, Gemm -> MatMul), and only
then are its ops checked.  Each node keeps its original name in `doc_string`, so messages name the
node as the user's file does.  The reference executor is qonnx's for QONNX and for graphs with
qonnx custom-domain nodes, onnxruntime otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import InputError
from trigger.frontends import register
from trigger.frontends.base import SourceModel
from trigger.frontends.onnx_canon import IMPLICIT_PERM_NOTE, _attr, canonicalize
from trigger.frontends.validate_onnx import STANDARD_DOMAINS, check_runs, node_name, validate

QUANT_OPS = {"Quant", "IntQuant", "BipolarQuant", "Trunc"}


def _clean(model, path: Path):
    """The qonnx clean-up sequence hls4ml's ONNX converter needs (see docs/stack.md)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.transformation.remove import RemoveIdentityOps
    from qonnx.util.cleanup import cleanup_model

    try:
        w = cleanup_model(ModelWrapper(model))
        w = _keeping_names(w, ConvertToChannelsLastAndClean())
        w = _keeping_names(w, GemmToMatMul())
        w = w.transform(RemoveIdentityOps())
        return cleanup_model(w)
    except Exception as exc:
        raise InputError(f"{path}: qonnx clean-up failed ({type(exc).__name__}: {exc}).") from exc


def _keeping_names(wrapper, transformation):
    """Apply a qonnx transformation; nodes it creates inherit the file's name of the node they replace
    (a node gone after the transformation that shares a tensor with them: Gemm -> MatMul + Add)."""
    before = {n.doc_string: list(n.output) + list(n.input) for n in wrapper.graph.node}
    wrapper = wrapper.transform(transformation)
    surviving = {n.doc_string for n in wrapper.graph.node}
    by_tensor: dict[str, str] = {}
    for tag, tensors in before.items():
        if tag.startswith(NAME_TAG) and tag not in surviving:
            for t in tensors:
                by_tensor.setdefault(t, tag)
    for node in wrapper.graph.node:
        if not node.doc_string.startswith(NAME_TAG):
            tag = next((by_tensor[t] for t in list(node.output) + list(node.input) if t in by_tensor), None)
            if tag:
                node.doc_string = tag
    return wrapper


def _read(path: Path):
    import onnx
    from google.protobuf.message import DecodeError

    try:
        model = onnx.load(str(path))
    except (DecodeError, ValueError, OSError) as exc:
        raise InputError(f"{path}: is not a readable ONNX model ({type(exc).__name__}: {exc}).") from exc
    if len(model.graph.node) == 0 or len(model.graph.input) == 0:
        raise InputError(f"{path}: is not an ONNX model with a graph (no nodes or no inputs).")
    return model


def _input_dependent(graph) -> set[str]:
    """Tensors computed from the graph input (the rest, e.g. quantized weights, carry no batch axis)."""
    inits = {i.name for i in graph.initializer}
    live = {i.name for i in graph.input if i.name not in inits}
    for node in graph.node:  # topologically sorted
        if any(i in live for i in node.input):
            live.update(node.output)
    return live


NAME_TAG = "trigger-original-name:"


def _tag_names(model) -> None:
    """Remember each node's name in the file (qonnx's clean-up renames nodes to `<op>_<k>`)."""
    for node in model.graph.node:
        node.doc_string = NAME_TAG + node_name(node)


def original_name(node) -> str:
    """The name a node had in the user's file (its current name if it was made by a rewrite)."""
    doc = (node.doc_string or "").split("\n")[0]  # rewrites add notes on further lines
    return doc[len(NAME_TAG) :] if doc.startswith(NAME_TAG) else node.name


def _check_batch_axis(graph, path: Path) -> None:
    """hls4ml takes every tensor batch-first: a Transpose that moves axis 0 cannot be converted.

    A Transpose without `perm` reverses all axes (ONNX's default), so it always moves the batch axis
    (seen in an onnxmltools 1.3 export of a Keras MLP with BatchNormalization, which onnxruntime
    cannot run either).
    """
    live = _input_dependent(graph)
    for node in graph.node:
        if node.op_type != "Transpose" or node.input[0] not in live:  # weights may be transposed freely
            continue
        perm = _attr(node, "perm")
        if perm is not None and list(perm[:1]) != [0]:
            implicit = (
                "has no perm attribute, so it reverses all axes"
                if node.doc_string.endswith(IMPLICIT_PERM_NOTE)
                else f"has perm {perm}"
            )
            raise InputError(
                f"{path}: node '{original_name(node)}' (op Transpose) {implicit}, moving the batch axis; "
                "hls4ml needs the batch axis first in every tensor."
            )


def _check_ops(graph, path: Path) -> None:
    """Every node left after the clean-up must have an hls4ml handler (constant subgraphs are folded by then)."""
    import hls4ml

    supported = set(hls4ml.converters.get_supported_onnx_layers())
    for node in graph.node:
        if node.op_type not in supported:
            raise InputError(
                f"{path}: node '{original_name(node)}' has op type {node.op_type}, which hls4ml cannot "
                f"convert. Supported ONNX ops: {', '.join(sorted(supported))}."
            )


@register(".onnx")
def load_onnx(path: Path, weights: Path | None = None) -> SourceModel:
    """Load a QONNX or float ONNX model: validate the file, canonicalise and clean it for hls4ml, check its ops,
    and run the reference once."""
    from qonnx.core.modelwrapper import ModelWrapper

    model = _read(path)
    validate(model, path)  # the file as written: versions, structure, schemas, parameters, shapes
    _tag_names(model)
    applied: list[str] = []
    try:
        wrapper = canonicalize(cleanup_for_rewrites(ModelWrapper(model)), applied.append)
    except Exception as exc:
        raise InputError(f"{path}: cannot be prepared for hls4ml ({type(exc).__name__}: {exc}).") from exc
    _check_batch_axis(wrapper.graph, path)
    file_ops = {node_name(n): n.op_type for n in model.graph.node}
    wrapper = _clean(wrapper.model, path)
    _check_ops(wrapper.graph, path)
    inits = {i.name for i in model.graph.initializer}
    file_inputs = [i.name for i in model.graph.input if i.name not in inits]
    source = OnnxModel(path, [path], wrapper, applied, file_ops, file_inputs)
    check_runs(source, path)  # the reference executor accepts the cleaned graph
    return source


def cleanup_for_rewrites(wrapper):
    """Shapes (and the domains qonnx expects) on every tensor, so the rewrites can read ranks."""
    from qonnx.transformation.infer_shapes import InferShapes

    for node in wrapper.graph.node:  # the same domain fix qonnx's cleanup_model makes first
        if node.op_type in ("Quant", "Trunc", "BipolarQuant"):
            node.domain = "qonnx.custom_op.general"
    return wrapper.transform(InferShapes())


class OnnxModel(SourceModel):
    """A cleaned ONNX graph, executed as the reference by qonnx (QONNX, or any graph holding qonnx's
    custom-domain nodes such as the channels-last Conv the clean-up makes) or else by onnxruntime."""

    def __init__(
        self,
        path: Path,
        files: list[Path],
        wrapper,
        rewrites: list[str] | None = None,
        file_ops: dict[str, str] | None = None,
        file_inputs: list[str] | None = None,
    ):
        super().__init__(path, files)
        self.wrapper = wrapper
        self.file_inputs = list(file_inputs or [])  # the inputs' names in the user's file, in order
        self.rewrites = list(rewrites or [])  # canonical rewrites that changed the graph
        self.file_ops = dict(file_ops or {})  # node name in the user's file -> its op type
        self.quantized = any(n.op_type in QUANT_OPS for n in wrapper.graph.node)
        self.kind = "qonnx" if self.quantized else "onnx"
        self.custom_nodes = [n.name for n in wrapper.graph.node if n.domain not in STANDARD_DOMAINS]
        self.use_qonnx = self.quantized or bool(self.custom_nodes)
        self.reference_name = "qonnx-execution" if self.use_qonnx else "onnxruntime"

    def input_names(self) -> list[str]:
        """The file's names of its inputs (the clean-up renames them global_in, global_in_1, ...; same order)."""
        return list(self.file_inputs) if self.file_inputs else self.graph_input_names()

    def graph_input_names(self) -> list[str]:
        """The cleaned graph's inputs that are not initializers, in order (hls4ml's input layers take these)."""
        inits = {i.name for i in self.wrapper.graph.initializer}
        return [i.name for i in self.wrapper.graph.input if i.name not in inits]

    def input_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(int(d) for d in self.wrapper.get_tensor_shape(n)[1:]) for n in self.graph_input_names()]

    def _feeds(self, x) -> dict[str, np.ndarray]:
        """The executor's feed dictionary of packed inputs (float32, one array per graph input)."""
        xs = self.feed(x)
        xs = [xs] if isinstance(xs, np.ndarray) else xs
        return {n: np.asarray(a, dtype=np.float32) for n, a in zip(self.graph_input_names(), xs, strict=True)}

    def hls_config(self, precision: str) -> dict[str, Any]:
        import hls4ml

        return hls4ml.utils.config_from_onnx_model(
            self.wrapper, granularity="name", backend="Vitis", default_precision=precision
        )

    def to_hls(self, config: dict[str, Any], **kwargs: Any):
        import hls4ml

        return hls4ml.converters.convert_from_onnx_model(self.wrapper, hls_config=config, backend="Vitis", **kwargs)

    def _batched(self, n: int):
        """A copy of the cleaned graph with batch dimension n (the clean-up fixes it to 1)."""
        import onnx
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.transformation.infer_shapes import InferShapes

        copy = ModelWrapper(onnx.ModelProto.FromString(self.wrapper.model.SerializeToString()))
        # every tensor of the cleaned graph is batch-first (hls4ml's convention); qonnx's custom ops
        # need their input shapes stored, so the batch is changed in place rather than re-inferred
        live = _input_dependent(copy.graph)
        for t in list(copy.graph.input) + list(copy.graph.output) + list(copy.graph.value_info):
            dims = t.type.tensor_type.shape.dim
            if len(dims) and t.name in live:
                dims[0].Clear()
                dims[0].dim_value = n
        for node in copy.graph.node:  # a flatten folded with batch 1 (e.g. Brevitas' x.view(x.size(0), -1))
            if node.op_type == "Reshape" and not _attr(node, "allowzero", 0):
                shape = copy.get_initializer(node.input[1])
                if shape is not None and shape.ndim == 1 and len(shape) >= 1 and shape[0] == 1:
                    shape = shape.copy()
                    shape[0] = 0  # ONNX: 0 copies the input's dimension (the batch, axis 0 for hls4ml)
                    copy.set_initializer(node.input[1], shape)
        return copy.transform(InferShapes())

    def _run(self, x: np.ndarray, tensor: str) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        try:
            return self._execute(self._batched(len(x)), x, tensor)
        except Exception:  # a graph with a hard-coded batch of 1 (e.g. Reshape constants): go vector by vector
            return np.concatenate([self._execute(self.wrapper, x[i : i + 1], tensor) for i in range(len(x))])

    def _execute(self, wrapper, x: np.ndarray, tensor: str) -> np.ndarray:
        if self.use_qonnx:
            from qonnx.core.onnx_exec import execute_onnx

            ctx = execute_onnx(wrapper, self._feeds(x), return_full_exec_context=True)
            return np.asarray(ctx[tensor], dtype=np.float64)
        import onnx
        import onnxruntime as ort

        model = onnx.ModelProto.FromString(wrapper.model.SerializeToString())
        if tensor not in [o.name for o in model.graph.output]:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(tensor))
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        return np.asarray(sess.run([tensor], self._feeds(x))[0], dtype=np.float64)

    def _node_of(self, name: str):
        """The cleaned graph's node hls4ml's layer `name` came from, or None (hls4ml turns '.' into '_' and
        prefixes what it builds from a node: "Dense_<MatMul>", "bn_<Add>", "bnbt_<BatchNormalization>")."""
        nodes = {n.name.replace(".", "_"): n for n in self.wrapper.graph.node}
        for candidate in [name] + [name.split("_", k)[-1] for k in (1, 2)]:
            if candidate in nodes:
                return nodes[candidate]
        return None

    def describe(self, name: str, op: str) -> str:
        """The user's name and op of the node hls4ml's layer `name` came from."""
        node = self._node_of(name)
        if node is None:
            return f"node '{name}' ({op}, made by hls4ml from the graph)"
        return f"node '{original_name(node)}' (op {self.file_ops.get(original_name(node), node.op_type)})"

    def tensor_of(self, hls_tensor: str, hls_producer: str) -> str | None:
        """hls4ml keeps the graph's tensor names: `hls_tensor` is the graph's tensor of that name, provided the
        graph's node writing it is the one hls4ml's producing layer came from (else a merge renamed it)."""
        node = self._node_of(hls_producer)
        return hls_tensor if node is not None and hls_tensor in node.output else None

    def predict_tensor(self, x: np.ndarray, tensor: str) -> np.ndarray:
        return self._run(x, tensor)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._run(x, self.wrapper.graph.output[0].name)

    def has_layer(self, layer: str) -> bool:
        return any(n.name == layer for n in self.wrapper.graph.node)

    def predict_input_of(self, x: np.ndarray, layer: str) -> np.ndarray:
        node = next((n for n in self.wrapper.graph.node if n.name == layer), None)
        if node is None:
            raise KeyError(layer)
        return self._run(x, node.input[0])
