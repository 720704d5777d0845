"""ZeroPadding1D / ZeroPadding2D (nnet::zeropad{1,2}d_{cl,cf}): zeros around the spatial axes, every input
word converted to the result type ((res_T) data; hls4ml gives the result the input's type)."""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVariable, FVArray

from trigger.rtl.apfixed import quantize_array
from trigger.rtl.layers.conv import check_io_parallel
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles, output_precision, output_shape, single


def pads(layer) -> list[tuple[int, int]]:
    """(before, after) per spatial axis: (left, right) or (top, bottom), (left, right)."""
    sides = [("pad_left", "pad_right")]
    if layer.class_name == "ZeroPadding2D":
        sides.insert(0, ("pad_top", "pad_bottom"))
    return [(int(layer.get_attr(a)), int(layer.get_attr(b))) for a, b in sides]


@handles("ZeroPadding1D", "ZeroPadding2D")
def zero_padding(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    check_io_parallel(layer)
    src, dst = layer.get_input_variable().type.precision, output_precision(layer)
    converts = str(src) != str(dst)
    channels_first = layer.get_attr("data_format", "channels_last") == "channels_first"
    if channels_first and converts:  # zeropad*_cf writes (res_T) data into a data_T array
        raise Unsupported(layer.name, layer.class_name, "channels_first with a result type other than the input's")
    widths = pads(layer)
    if any(p < 0 for side in widths for p in side) or x.ndim != len(widths) + 1:
        raise Unsupported(layer.name, layer.class_name, f"pads {widths} for an input of shape {x.shape}")
    full = [(0, 0), *widths] if channels_first else [*widths, (0, 0)]
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, full, strict=True))
    if shape != output_shape(layer):
        raise Unsupported(layer.name, layer.class_name, f"pads {widths} give {shape}, the layer {output_shape(layer)}")
    y = quantize_array(x, dst) if converts else x
    out = np.full(shape, FVariable.from_const(0.0, hwconf=x.hwconf), dtype=object)
    out[tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, full, strict=True))] = np.asarray(y)
    return fv_array(out, x)
