"""hls4ml's Activation layer, dispatched on its `activation` attribute, and the piecewise-linear ones:
relu -> Q_res(max(x, 0)), linear -> Q_res(x)   (nnet::relu / nnet::linear)."""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVArray

from trigger.rtl.apfixed import quantize_array
from trigger.rtl.registry import (
    ACTIVATIONS,
    TraceContext,
    Unsupported,
    fv_array,
    handles,
    handles_activation,
    output_precision,
    single,
)


@handles("Activation")
def activation(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    act = str(layer.get_attr("activation", "")).lower()
    handler = ACTIVATIONS.get(act)
    if handler is None:
        known = ", ".join(sorted(ACTIVATIONS))
        raise Unsupported(layer.name, layer.class_name, f"activation {act!r}; supported: {known}")
    return handler(layer, inputs, ctx)


@handles_activation("relu")
def relu(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    y = fv_array(np.array([v.relu() for v in np.asarray(x).ravel()], dtype=object).reshape(x.shape), x)
    return quantize_array(y, output_precision(layer))


@handles_activation("linear")
def linear(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    return quantize_array(single(layer, inputs), output_precision(layer))
