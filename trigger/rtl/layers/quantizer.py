"""hls4ml's FixedPointQuantizer (what HGQ2's heterogeneous quantizers become): element by element,
out[j] = ap_[u]fixed<b_j, i_j, RND, SAT>(in[j]) assigned to the result type (0 where b_j = 0), as the
mask function hls4ml writes (hls4ml/backends/fpga/passes/hgq_proxy_model.py, `generate_mask_fn`)."""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVariable, FVArray

from trigger.fixed import precision_spec
from trigger.rtl.apfixed import quantize_var
from trigger.rtl.registry import TraceContext, fv_array, handles, output_precision, single


def element_spec(k: int, b: int, i: int, rnd: str, sat: str) -> dict:
    """The quantize_var spec of ap_fixed<b, i, RND, SAT> (k = 1) or ap_ufixed<b, i, RND, SAT> (k = 0)."""
    return dict(k=k, i=i - k, f=b - i, width=b, rnd=rnd, sat=sat, signed=bool(k))


@handles("FixedPointQuantizer")
def fixed_point_quantizer(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    k, b, i = (np.broadcast_to(np.asarray(m)[0], x.shape) for m in layer.get_attr("mask_kbi"))
    rnd, sat = str(layer.get_attr("RND")), str(layer.get_attr("SAT"))
    result = precision_spec(output_precision(layer))
    out = np.empty(x.shape, dtype=object)
    for idx, v in np.ndenumerate(np.asarray(x)):
        if int(b[idx]) == 0:
            q = FVariable.from_const(0.0, hwconf=v.hwconf)
        else:
            q = quantize_var(v, element_spec(int(k[idx]), int(b[idx]), int(i[idx]), rnd, sat))
        out[idx] = quantize_var(q, result)
    return fv_array(out, x)
