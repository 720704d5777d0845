"""ONNX frontend: QONNX (`Quant` nodes, executed by qonnx) and float ONNX (executed by onnxruntime)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import InputError
from trigger.frontends import register
from trigger.frontends.base import SourceModel

QUANT_OPS = {"Quant", "IntQuant", "BipolarQuant", "Trunc"}


def _clean(model, path: Path):
    """The qonnx clean-up sequence hls4ml's ONNX converter needs (see STACK.md)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
    from qonnx.transformation.gemm_to_matmul import GemmToMatMul
    from qonnx.transformation.remove import RemoveIdentityOps
    from qonnx.util.cleanup import cleanup_model

    try:
        w = cleanup_model(ModelWrapper(model))
        w = w.transform(ConvertToChannelsLastAndClean())
        w = w.transform(GemmToMatMul())
        w = w.transform(RemoveIdentityOps())
        return cleanup_model(w)
    except Exception as exc:
        raise InputError(f"{path}: qonnx clean-up failed ({type(exc).__name__}: {exc}).") from exc


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


def _check_shapes(model, path: Path) -> None:
    inits = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in inits]
    if len(inputs) != 1:
        raise InputError(f"{path}: the model has {len(inputs)} inputs; trigger supports one.")
    for inp in inputs:
        dims = inp.type.tensor_type.shape.dim
        if len(dims) < 2:
            raise InputError(f"{path}: input '{inp.name}' has rank {len(dims)}; expected a batch dimension first.")
        for k, d in enumerate(dims[1:], start=1):
            if not d.HasField("dim_value") or d.dim_value <= 0:
                raise InputError(
                    f"{path}: input '{inp.name}' dimension {k} is '{d.dim_param or '?'}', not a fixed size; "
                    "firmware needs every dimension but the batch fixed."
                )


# Ops the qonnx clean-up rewrites into supported ones (Gemm -> MatMul + Add, Identity/Dropout removed).
CLEANED_AWAY = {"Gemm", "Identity", "Dropout"}


def _input_dependent(graph) -> list:
    """Nodes that depend on the graph input (the rest are constant and folded by the clean-up)."""
    inits = {i.name for i in graph.initializer}
    live = {i.name for i in graph.input if i.name not in inits}
    nodes = []
    for node in graph.node:  # ONNX graphs are topologically sorted
        if any(i in live for i in node.input):
            live.update(node.output)
            nodes.append(node)
    return nodes


def _check_ops(graph, path: Path, allowed_extra: set[str] = frozenset()) -> None:
    import hls4ml

    supported = set(hls4ml.converters.get_supported_onnx_layers())
    for node in _input_dependent(graph):
        if node.op_type not in supported | allowed_extra:
            raise InputError(
                f"{path}: node '{node.name or node.output[0]}' has op type {node.op_type}, which hls4ml cannot "
                f"convert. Supported ONNX ops: {', '.join(sorted(supported))}."
            )


@register(".onnx")
def load_onnx(path: Path, weights: Path | None = None) -> SourceModel:
    """Load a QONNX or float ONNX model and clean it for hls4ml."""
    model = _read(path)
    _check_shapes(model, path)
    _check_ops(model.graph, path, CLEANED_AWAY)
    wrapper = _clean(model, path)
    _check_ops(wrapper.graph, path)
    return OnnxModel(path, [path], wrapper)


class OnnxModel(SourceModel):
    """A cleaned ONNX graph; QONNX runs under qonnx execution, float ONNX under onnxruntime."""

    def __init__(self, path: Path, files: list[Path], wrapper):
        super().__init__(path, files)
        self.wrapper = wrapper
        self.quantized = any(n.op_type in QUANT_OPS for n in wrapper.graph.node)
        self.kind = "qonnx" if self.quantized else "onnx"
        self.reference_name = "qonnx-execution" if self.quantized else "onnxruntime"

    @property
    def input_name(self) -> str:
        return self.wrapper.graph.input[0].name

    def input_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(int(d) for d in self.wrapper.get_tensor_shape(self.input_name)[1:])]

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
        del copy.graph.value_info[:]
        for t in list(copy.graph.input) + list(copy.graph.output):
            t.type.tensor_type.shape.dim[0].dim_value = n
        return copy.transform(InferShapes())

    def _run(self, x: np.ndarray, tensor: str) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        try:
            return self._execute(self._batched(len(x)), x, tensor)
        except Exception:  # a graph with a hard-coded batch of 1 (e.g. Reshape constants): go vector by vector
            return np.concatenate([self._execute(self.wrapper, x[i : i + 1], tensor) for i in range(len(x))])

    def _execute(self, wrapper, x: np.ndarray, tensor: str) -> np.ndarray:
        if self.quantized:
            from qonnx.core.onnx_exec import execute_onnx

            ctx = execute_onnx(wrapper, {self.input_name: x}, return_full_exec_context=True)
            return np.asarray(ctx[tensor], dtype=np.float64)
        import onnx
        import onnxruntime as ort

        model = onnx.ModelProto.FromString(wrapper.model.SerializeToString())
        if tensor not in [o.name for o in model.graph.output]:
            model.graph.output.append(onnx.helper.make_empty_tensor_value_info(tensor))
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        return np.asarray(sess.run([tensor], {self.input_name: x})[0], dtype=np.float64)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self._run(x, self.wrapper.graph.output[0].name)

    def has_layer(self, layer: str) -> bool:
        return any(n.name == layer for n in self.wrapper.graph.node)

    def predict_input_of(self, x: np.ndarray, layer: str) -> np.ndarray:
        node = next((n for n in self.wrapper.graph.node if n.name == layer), None)
        if node is None:
            raise KeyError(layer)
        return self._run(x, node.input[0])
