"""Two-input merges (nnet_merge.h, io_parallel): element-wise `Merge` ops and `Concatenate`.

Element-wise, over the flat arrays, `res[i] = op(data1[i % n1], data2[i % n2])` for i < max(n1, n2):
add a + b, subtract a - b, multiply a * b and average (a + b) * ap_ufixed<1,0>(0.5) are computed at full
precision (ap_fixed's operator result types hold them exactly) and converted once to result_t; maximum /
minimum select the input at full precision and convert the selected one (a > b ? res_T(a) : res_T(b)),
i.e. Q_res(max(a, b)).  Concatenate copies each input's words, converted to result_t, in
concatenate{1,2,3}d's order (the axis as its C++ maps Keras' axis).
"""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVArray

from trigger.rtl.alkaid_fixes import var_mul
from trigger.rtl.apfixed import quantize_array
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles, output_precision, output_shape

OPS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": var_mul,
    "average": lambda a, b: (a + b) * 0.5,
    "maximum": lambda a, b: a.max_of(b),
    "minimum": lambda a, b: a.min_of(b),
}


def _two(layer, inputs: list[FVArray]) -> tuple[FVArray, FVArray]:
    if len(inputs) != 2:
        raise Unsupported(layer.name, layer.class_name, f"{len(inputs)} inputs; nnet_merge.h takes two")
    return inputs[0], inputs[1]


@handles("Merge")
def merge(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    a, b = _two(layer, inputs)
    op = str(layer.get_attr("op", "")).lower()
    fn = OPS.get(op)
    if fn is None:
        raise Unsupported(layer.name, layer.class_name, f"op {op!r}; supported: {', '.join(OPS)}")
    shape = output_shape(layer)
    fa, fb = np.asarray(a).ravel(), np.asarray(b).ravel()
    n = max(fa.size, fb.size)
    if n != int(np.prod(shape)):
        raise Unsupported(layer.name, layer.class_name, f"inputs of {fa.size} and {fb.size} values for output {shape}")
    out = np.array([fn(fa[i % fa.size], fb[i % fb.size]) for i in range(n)], dtype=object)
    return quantize_array(fv_array(out.reshape(shape), a), output_precision(layer))


def concat_axis(rank: int, axis: int) -> int:
    """The axis (of the hls4ml shape, no batch) concatenate{rank}d joins for Keras' `axis` (batch included)."""
    if rank == 1:
        return 0
    if rank == 2:
        return 1 if axis in (2, -1) else 0
    if rank == 3:
        return 2 if axis in (3, -1) else 1 if axis in (2, -2) else 0
    raise ValueError(f"rank {rank}")


@handles("Concatenate")
def concatenate(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    a, b = _two(layer, inputs)
    op = str(layer.get_attr("op", ""))
    rank = a.ndim
    if op != f"concatenate{rank}d" or b.ndim != rank:
        raise Unsupported(layer.name, layer.class_name, f"op {op!r} for inputs of shapes {a.shape} and {b.shape}")
    axis = concat_axis(rank, int(layer.get_attr("axis")))
    if a.shape[:axis] != b.shape[:axis] or a.shape[axis + 1 :] != b.shape[axis + 1 :]:
        raise Unsupported(layer.name, layer.class_name, f"shapes {a.shape} and {b.shape} differ off axis {axis}")
    y = np.concatenate([np.asarray(a), np.asarray(b)], axis=axis)
    if y.shape != output_shape(layer):
        raise Unsupported(
            layer.name, layer.class_name, f"concatenation gives {y.shape}, hls4ml's variable is {output_shape(layer)}"
        )
    return quantize_array(fv_array(y, a), output_precision(layer))
