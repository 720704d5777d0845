"""EinsumDense (nnet::einsum_dense, io_parallel, latency): the input transposed and viewed as (I, L0, C), one
nnet::dense per (inplace i, free l0) with kernel i (C x L1) and its own bias row, the (I, L0, L1) result
viewed as `out_interpert_shape` and transposed to the output.  The layout is what hls4ml's
`init_einsum_dense` (backends/vivado/vivado_backend.py) prepares: weight (I, C, L1), bias (I * L0 * L1)."""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVArray

from trigger.rtl.apfixed import quantize_array
from trigger.rtl.layers.conv import check_io_parallel
from trigger.rtl.matmul import affine
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles, output_precision, output_shape, single
from trigger.rtl.weights import layer_weights


@handles("EinsumDense")
def einsum_dense(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    check_io_parallel(layer)
    strategy = str(layer.get_attr("strategy", "latency")).lower()
    if strategy != "latency":
        raise Unsupported(layer.name, layer.class_name, f"strategy {strategy}; the RTL rebuilds the latency kernel")
    n_i, n_l0, n_l1, n_c = (int(layer.get_attr(k)) for k in ("n_inplace", "n_free_data", "n_free_kernel", "n_contract"))
    inp_shape = tuple(int(d) for d in layer.get_attr("inp_shape"))
    data = np.transpose(np.asarray(x).reshape(inp_shape), layer.get_attr("inp_tpose_idxs")).reshape(n_i, n_l0, n_c)
    W = layer_weights(layer, "weight").reshape(n_i, n_c, n_l1)
    b = layer_weights(layer, "bias")
    b = np.zeros((n_i, n_l0, n_l1)) if b is None else b.reshape(n_i, n_l0, n_l1)
    out = np.empty((n_i, n_l0, n_l1), dtype=object)
    records = []
    for i in range(n_i):
        # rows sharing a bias row go through one product (alkaid's CMVM shares adders across them)
        for bias_row in np.unique(b[i], axis=0):
            rows = np.flatnonzero((b[i] == bias_row).all(axis=1))
            y = affine(layer, fv_array(data[i, rows], x), W[i], bias_row, ctx)
            out[i, rows] = np.asarray(y)
            records.append(ctx.checks[layer.name])
    # the report keeps one record per layer: a per-product one if any group needed it
    ctx.checks[layer.name] = next((r for r in records if "not_exact_because" in r), records[0])
    interp = tuple(int(d) for d in layer.get_attr("out_interpert_shape"))
    y = np.transpose(out.reshape(interp), layer.get_attr("out_tpose_idxs"))
    if y.shape != output_shape(layer):
        raise Unsupported(layer.name, layer.class_name, f"result shape {y.shape}, the layer {output_shape(layer)}")
    return quantize_array(fv_array(y, x), output_precision(layer))
