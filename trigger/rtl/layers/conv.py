"""Conv1D / Conv2D and their 1x1 forms PointwiseConv1D / PointwiseConv2D (io_parallel, Latency strategy).

hls4ml's nnet::conv_1d_latency_cl / conv_2d_latency_cl fill, per output pixel, an im2col patch with its
generated `fill_buffer_<index>` (hls4ml/backends/fpga/fpga_backend.py `_compute_conv{1,2}d_im2col`:
patch entry (kh, kw, c) in row-major order, input row -pad_top + kh + oh * stride_h, column
-pad_left + kw + ow * stride_w, 0 outside the input) and run the dense_latency arithmetic on it with the
weights (kh, kw, c, f) flattened to (kh*kw*c, f): Q_res(Q_acc(b) + sum_j Q_acc(x_j W_jf)).  A 1x1
PointwiseConv1D with one partition takes nnet::pointwise_conv_1d_latency_cl instead, the same sums
(a padded pixel gives mult = 0).  hls4ml turns a Dense on the last axis of a 2-D/3-D input into these
(optimizer pass `ReplaceMultidimensionalDenseWithConv`, then the backend's `OptimizePointwiseConv`).
"""

from __future__ import annotations

import itertools

import numpy as np
from alkaid.trace import FVariable, FVArray

from trigger.rtl.apfixed import quantize_array
from trigger.rtl.matmul import affine, check_product
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles, output_precision, output_shape, single
from trigger.rtl.weights import layer_weights

# hls4ml's io_parallel entry point of each class, and the conv kernels (config `conv_kernel`) rebuilt here
FUNCTIONS = {
    "Conv1D": "nnet::conv_1d_cl<",
    "Conv2D": "nnet::conv_2d_cl<",
    "PointwiseConv1D": "nnet::pointwise_conv_1d_cl<",
    "PointwiseConv2D": "nnet::pointwise_conv_2d_cl<",
}
KERNELS_1D = ("nnet::Conv1DLatency<", "nnet::BatchedDenseForConv1D<")


def check_io_parallel(layer) -> None:
    """The RTL path rebuilds hls4ml's io_parallel C++ only."""
    io_type = layer.model.config.get_config_value("IOType")
    if io_type != "io_parallel":
        raise Unsupported(layer.name, layer.class_name, f"IOType {io_type}; only io_parallel is rebuilt")


def check_implementation(layer) -> None:
    """Refuse every conv implementation but the Latency-strategy io_parallel one rebuilt here."""
    name, cls = layer.name, layer.class_name
    check_io_parallel(layer)
    strategy = str(layer.get_attr("strategy", "")).lower()
    if strategy != "latency" or layer.get_attr("_weights_transposed", False):
        raise Unsupported(name, cls, f"strategy {strategy!r}; only the Latency strategy is rebuilt")
    if layer.get_attr("data_format", "channels_last") != "channels_last":
        raise Unsupported(name, cls, f"data_format {layer.get_attr('data_format')}; only channels_last")
    for attr in ("dilation", "dilation_width", "dilation_height"):
        if layer.get_attr(attr, 1) not in (1, None):
            raise Unsupported(name, cls, f"{attr} {layer.get_attr(attr)}; hls4ml's im2col has no dilation")
    function = layer.get_attr("function_cpp") or ""
    if FUNCTIONS[cls] not in function:
        raise Unsupported(name, cls, f"hls4ml calls {function.split('(')[0]!r}, not {FUNCTIONS[cls]}...>")
    config = layer.get_attr("config_cpp") or ""
    if "strategy = nnet::latency;" not in config:
        raise Unsupported(name, cls, "the C++ config is not nnet::latency")
    if cls.endswith("1D") and not any(f"conv_kernel = {k}" in config for k in KERNELS_1D):
        raise Unsupported(name, cls, f"conv_kernel is not one of {', '.join(k[:-1] for k in KERNELS_1D)}")
    if "using fill_buffer = " in config and f"::fill_buffer_{layer.index}<" not in config:
        raise Unsupported(name, cls, "fill_buffer is not hls4ml's generated im2col")
    check_product(layer)


def geometry(layer, x: FVArray) -> tuple[tuple[int, ...], ...]:
    """(kernel, stride, pad_before, out) per spatial axis, from the layer's attributes."""
    axes = ("width",) if layer.class_name.endswith("1D") else ("height", "width")
    before = ("pad_left",) if len(axes) == 1 else ("pad_top", "pad_left")
    after = ("pad_right",) if len(axes) == 1 else ("pad_bottom", "pad_right")
    kernel = tuple(int(layer.get_attr(f"filt_{a}")) for a in axes)
    stride = tuple(int(layer.get_attr(f"stride_{a}")) for a in axes)
    lo = tuple(int(layer.get_attr(p)) for p in before)
    hi = tuple(int(layer.get_attr(p)) for p in after)
    spatial = tuple(x.shape[:-1])
    if len(spatial) != len(axes) or any(s < 0 for s in lo + hi):
        raise Unsupported(layer.name, layer.class_name, f"input shape {x.shape}, pads {lo + hi}")
    # out size as hls4ml's im2col generator computes it (it splits exactly these rows among the partitions)
    out = tuple((n + a + b - k) // s + 1 for n, a, b, k, s in zip(spatial, lo, hi, kernel, stride, strict=True))
    n_filt = int(layer.get_attr("n_filt"))
    if (*out, n_filt) != output_shape(layer):
        raise Unsupported(layer.name, layer.class_name, f"im2col gives {out} pixels, the layer {output_shape(layer)}")
    return kernel, stride, lo, out


def im2col(x: FVArray, kernel, stride, pad_before, out) -> FVArray:
    """Patches (*out, prod(kernel) * n_chan): entry (k..., c) of pixel o is x[o * stride + k - pad, c], or 0."""
    spatial, n_chan = x.shape[:-1], x.shape[-1]
    zero = FVariable.from_const(0.0, hwconf=x.hwconf)
    size = tuple(
        max(p + n, (o - 1) * s + k) for p, n, o, s, k in zip(pad_before, spatial, out, stride, kernel, strict=True)
    )
    padded = np.full((*size, n_chan), zero, dtype=object)
    padded[tuple(slice(p, p + n) for p, n in zip(pad_before, spatial, strict=True))] = np.asarray(x)
    patches = np.empty((*out, int(np.prod(kernel)) * n_chan), dtype=object)
    for o in itertools.product(*(range(n) for n in out)):
        window = tuple(slice(i * s, i * s + k) for i, s, k in zip(o, stride, kernel, strict=True))
        patches[o] = padded[window].reshape(-1)  # (k..., c) row-major, as fill_buffer
    return fv_array(patches, x)


def conv_matrix(layer, n_in: int) -> tuple[np.ndarray, np.ndarray]:
    """The (kernel * n_chan, n_filt) weight matrix and the bias as the C simulation uses them."""
    n_filt = int(layer.get_attr("n_filt"))
    W = layer_weights(layer, "weight")
    if W is None or W.size != n_in * n_filt:
        size = None if W is None else W.size
        raise Unsupported(layer.name, layer.class_name, f"{size} weights for a {n_in}x{n_filt} patch matrix")
    b = layer_weights(layer, "bias")
    return W.reshape(n_in, n_filt), (np.zeros(n_filt) if b is None else b.reshape(n_filt))


@handles("Conv1D", "Conv2D", "PointwiseConv1D", "PointwiseConv2D")
def conv(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    check_implementation(layer)
    kernel, stride, pad_before, out = geometry(layer, x)
    n_chan = int(layer.get_attr("n_chan"))
    if x.shape[-1] != n_chan:
        raise Unsupported(layer.name, layer.class_name, f"input shape {x.shape} for n_chan {n_chan}")
    W, b = conv_matrix(layer, int(np.prod(kernel)) * n_chan)
    patches = im2col(x, kernel, stride, pad_before, out)
    return quantize_array(affine(layer, patches, W, b, ctx), output_precision(layer))
