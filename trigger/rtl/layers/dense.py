"""Dense (nnet::dense_latency): y = Q_res(Q_acc(b) + sum_j Q_acc(x_j W_jk)), on the last axis of its input."""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVArray

from trigger.rtl.apfixed import quantize_array
from trigger.rtl.matmul import affine
from trigger.rtl.registry import TraceContext, handles, output_precision, single
from trigger.rtl.weights import layer_weights


def dense_matrix(layer) -> tuple[np.ndarray, np.ndarray]:
    """The layer's (n_in, n_out) weight matrix and bias as the C simulation uses them."""
    n_in, n_out = int(layer.get_attr("n_in")), int(layer.get_attr("n_out"))
    W = layer_weights(layer, "weight")
    # hls4ml's Resource strategy stores the matrix transposed (passes/resource_strategy.py)
    W = W.reshape(n_out, n_in).T if layer.get_attr("_weights_transposed", False) else W.reshape(n_in, n_out)
    b = layer_weights(layer, "bias")
    return W, (np.zeros(n_out) if b is None else b.reshape(n_out))


@handles("Dense")
def dense(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    W, b = dense_matrix(layer)
    return quantize_array(affine(layer, x, W, b, ctx), output_precision(layer))
