"""Transpose (nnet::transpose): out = numpy.transpose(in, perm), each word converted to the result type.

hls4ml maps output index i (row-major over the permuted shape) to input index
sum_d unravel(i)[d] * stride_in[perm[d]] (hls4ml/utils/transpose_utils.py `transpose_config_gen`), which is
numpy's transpose: output axis d is input axis perm[d].  `perm` has no batch axis (the parsers drop it).
"""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVArray

from trigger.rtl.apfixed import quantize_array
from trigger.rtl.layers.conv import check_io_parallel
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles, output_precision, output_shape, single


@handles("Transpose")
def transpose(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    check_io_parallel(layer)
    perm = [int(p) for p in layer.get_attr("perm")]
    if sorted(perm) != list(range(x.ndim)):  # e.g. hls4ml's dummy perm [0] of a multi-axis input
        raise Unsupported(layer.name, layer.class_name, f"perm {perm} for an input of shape {x.shape}")
    y = fv_array(np.transpose(np.asarray(x), perm), x)
    if y.shape != output_shape(layer):
        raise Unsupported(layer.name, layer.class_name, f"perm {perm} gives {y.shape}, the layer {output_shape(layer)}")
    src, dst = layer.get_input_variable().type.precision, output_precision(layer)
    return y if str(src) == str(dst) else quantize_array(y, dst)
