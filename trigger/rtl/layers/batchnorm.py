"""BatchNormalization (not folded into a Dense) and ApplyAlpha (a scale/bias after a MatMul, from ONNX):
y = Q_res(x * scale + bias) per channel (the last axis), product and sum at full precision (nnet::normalize)."""

from __future__ import annotations

from alkaid.trace import FVArray

from trigger.rtl.apfixed import quantize_array
from trigger.rtl.matmul import check_constants, check_product
from trigger.rtl.registry import TraceContext, Unsupported, handles, output_precision, single
from trigger.rtl.weights import layer_weights


@handles("BatchNormalization", "ApplyAlpha")
def batchnorm(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    check_product(layer)
    scale, bias = layer_weights(layer, "scale"), layer_weights(layer, "bias")
    n = scale.size
    if n == x.size:  # one scale per value (hls4ml's n_filt = -1)
        scale, bias = scale.reshape(x.shape), bias.reshape(x.shape)
    elif n == x.shape[-1]:  # one per channel, channels last
        scale, bias = scale.reshape(n), bias.reshape(n)
    else:
        raise Unsupported(layer.name, layer.class_name, f"{n} scales for an input of shape {x.shape}")
    check_constants(layer, scales=scale)
    return quantize_array(x * scale + bias, output_precision(layer))
