"""Reshape / Flatten: the same words in row-major order (an io_parallel array is flat); a result type
other than the input's is a conversion."""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVArray

from trigger.rtl.apfixed import quantize_array
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles, output_precision, output_shape, single


@handles("Reshape")
def reshape(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    shape = output_shape(layer)
    if int(np.prod(shape)) != x.size:
        raise Unsupported(layer.name, layer.class_name, f"{x.shape} -> {shape} changes the number of values")
    y = fv_array(np.asarray(x).reshape(shape), x)
    src = layer.get_input_variable().type.precision
    dst = output_precision(layer)
    return y if str(src) == str(dst) else quantize_array(y, dst)
