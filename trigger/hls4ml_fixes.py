"""Workarounds for hls4ml 1.3.0 bugs, in one place; each names the upstream symptom it works around.

`apply()` installs them (idempotent); `trigger.hls.convert` calls it before every conversion.
"""

from __future__ import annotations

import importlib

_applied = False


def apply() -> None:
    """Install every workaround once per process."""
    global _applied
    if _applied:
        return
    _applied = True
    _onnx_pooling_handler()
    _merge_constant_batch_axis()
    _onnx_conv_group_default()
    _binary_networks()
    _multidimensional_dense_quantizers()
    _qkeras_v3_qactivation()


# ---- ONNX MaxPool / AveragePool ------------------------------------------------------------------
#
# Upstream symptom: `Attribute "pad_left" of layer MaxPool_0 (Pooling1D) not set and no default value is
# specified.`  hls4ml's ONNX pooling handler (hls4ml/converters/onnx/pooling.py, `parse_pool_layer`)
# never sets pad_left/pad_right for a 1-D pool, and reads n_filt/n_in as input_shapes[0][1]/[2]
# (channels-first) although it requires the node channels-last (qonnx's (N, L, C)), so n_out is wrong
# too.  It also ignores `count_include_pad` (AveragePool; hls4ml's `count_pad`), `ceil_mode` and
# `dilations` (hls4ml's pooling has neither), giving silently wrong results for those.
# The 1-D fields are set as hls4ml's Conv 1-D handler and its Keras Pooling1D handler set them.

POOL_OPS = ("MaxPool", "AveragePool")


def _onnx_pooling_handler() -> None:
    # the module, not the function of the same name that hls4ml.converters re-exports
    onnx_to_hls = importlib.import_module("hls4ml.converters.onnx_to_hls")

    for op in POOL_OPS:
        upstream = onnx_to_hls.layer_handlers.get(op)
        if upstream is not None and not getattr(upstream, "trigger_fix", False):
            onnx_to_hls.layer_handlers[op] = _fixed_pool_handler(upstream)


def _fixed_pool_handler(upstream):
    get_onnx_attribute = importlib.import_module("hls4ml.converters.onnx_to_hls").get_onnx_attribute

    def parse_pool_layer(node, input_names, input_shapes, graph):
        layer = upstream(node, input_names, input_shapes, graph)
        kernel = list(get_onnx_attribute(node, "kernel_shape"))
        n = len(kernel)
        strides = list(get_onnx_attribute(node, "strides") or [1] * n)
        pads = list(get_onnx_attribute(node, "pads") or [0] * 2 * n)
        dilations = list(get_onnx_attribute(node, "dilations") or [1] * n)
        if any(d != 1 for d in dilations):
            raise ValueError(f"{node.op_type} with dilations {dilations}: hls4ml's pooling has no dilation")
        if node.op_type == "AveragePool":
            layer["count_pad"] = bool(get_onnx_attribute(node, "count_include_pad", 0))
        spatial = [int(d) for d in input_shapes[0][1:-1]]  # channels-last (N, spatial..., C)
        if get_onnx_attribute(node, "ceil_mode", 0):
            room = [s + p0 + p1 - k for s, p0, p1, k in zip(spatial, pads[:n], pads[n:], kernel, strict=True)]
            if any(r % st for r, st in zip(room, strides, strict=True)):  # ceil((..) / s) != floor((..) / s)
                raise ValueError(f"{node.op_type} with ceil_mode=1 changes the output size; hls4ml rounds it down")
        if len(input_shapes[0]) == 3:
            n_in, n_filt = int(input_shapes[0][1]), int(input_shapes[0][2])
            layer.update(
                n_in=n_in,
                n_filt=n_filt,
                pool_width=kernel[0],
                stride_width=strides[0],
                pad_left=pads[0],
                pad_right=pads[1],
                n_out=(n_in + pads[0] + pads[1] - kernel[0]) // strides[0] + 1,
            )
        return layer

    parse_pool_layer.trigger_fix = True
    parse_pool_layer.handles = getattr(upstream, "handles", list(POOL_OPS))
    return parse_pool_layer


# ---- Add / Sub / Mul / Div with a constant that keeps the batch axis -----------------------------
#
# Upstream symptom: `ValueError: input operand has more dimensions than allowed by the axis remapping`
# in hls4ml's MergeToApplyAlpha / MergeToApplyAlphaDiv passes (hls4ml/model/optimizer/passes/merge_const.py).
# They broadcast the constant to the layer's shape, which has no batch axis, with `np.broadcast_to`; a
# constant written with the batch axis (tf2onnx's Conv1D bias `(1, C, 1)`, made `(1, 1, C)` by qonnx's
# channels-last conversion) has one axis too many.  Leading size-1 axes beyond the other operand's rank
# are dropped first: under ONNX/numpy broadcasting that leaves every result unchanged.


def _merge_constant_batch_axis() -> None:
    from hls4ml.model.optimizer.passes import merge_const

    for cls in (merge_const.MergeToApplyAlpha, merge_const.MergeToApplyAlphaDiv):
        if not getattr(cls.transform, "trigger_fix", False):
            cls.transform = _trimming_transform(cls.transform)


def _trimming_transform(upstream):
    import numpy as np
    from hls4ml.model.layers import Constant

    def transform(self, model, node):
        for name in node.inputs:
            const = node.get_input_node(name)
            others = [i for i in node.inputs if i != name]
            if not isinstance(const, Constant) or len(others) != 1:
                continue
            rank = len(node.get_input_variable(others[0]).shape)
            value = np.asarray(const.attributes["value"])
            while value.ndim > rank and value.shape[0] == 1:
                value = value.reshape(value.shape[1:])
            const.attributes["value"] = value
        return upstream(self, model, node)

    transform.trigger_fix = True
    return transform


# ---- QDense on a 2-D/3-D input (per-particle Dense) keeps its QKeras quantizers ----------------------
#
# Upstream symptom: a QKeras QDense applied to the last axis of an (n_particles, n_features) input compiles,
# but its weights are truncated to the weight type instead of rounded by the QKeras quantizer (e.g. -0.9896
# left off the fixed<4,1> grid), so the C simulation is no longer the QAT model.  hls4ml's
# ReplaceMultidimensionalDenseWithConv (hls4ml/model/optimizer/passes/multi_dense.py) builds the Conv node
# from the Dense's float `weight_data`/`bias_data` without its `weight_quantizer`/`bias_quantizer`.  They
# are handed on to the node it makes.

_QUANTIZER_ATTRS = ("weight_quantizer", "bias_quantizer")


def _multidimensional_dense_quantizers() -> None:
    from hls4ml.model.optimizer.passes.multi_dense import ReplaceMultidimensionalDenseWithConv as cls

    if not getattr(cls.transform, "trigger_fix", False):
        cls.transform = _quantizer_keeping_transform(cls.transform)


def _quantizer_keeping_transform(upstream):
    def transform(self, model, node):
        kept = {k: node.get_attr(k) for k in _QUANTIZER_ATTRS if node.get_attr(k) is not None}
        if not kept:
            return upstream(self, model, node)
        make_node = model.make_node

        def make_node_with_quantizers(kind, name, attributes, inputs, outputs=None, initialize=True):
            return make_node(kind, name, {**attributes, **kept}, inputs, outputs, initialize)

        model.make_node = make_node_with_quantizers
        try:
            return upstream(self, model, node)
        finally:
            del model.make_node  # the instance attribute; the class method is visible again

    transform.trigger_fix = True
    return transform


# ---- ONNX Conv without a `group` attribute -------------------------------------------------------
#
# Upstream symptom: `TypeError: int() argument must be a string, a bytes-like object or a real number, not
# 'NoneType'` in hls4ml's ONNX Conv handler (hls4ml/converters/onnx/convolution.py, `parse_conv_layer`): it
# reads `group` without ONNX's default of 1.  The default is written out before the handler runs.


def _onnx_conv_group_default() -> None:
    onnx_to_hls = importlib.import_module("hls4ml.converters.onnx_to_hls")
    upstream = onnx_to_hls.layer_handlers.get("Conv")
    if upstream is None or getattr(upstream, "trigger_fix", False):
        return

    def parse_conv_layer(node, input_names, input_shapes, graph):
        if not any(a.name == "group" for a in node.attribute):
            from onnx import helper

            node.attribute.append(helper.make_attribute("group", 1))
        return upstream(node, input_names, input_shapes, graph)

    parse_conv_layer.trigger_fix = True
    parse_conv_layer.handles = getattr(upstream, "handles", ["Conv"])
    onnx_to_hls.layer_handlers["Conv"] = parse_conv_layer


# ---- Binary (BipolarQuant) networks ----------------------------------------------------------------
#
# Upstream symptoms (hls4ml 1.3.0, no error: the firmware computes another function):
# * QuantizeDenseOutput (hls4ml/backends/vivado/passes/bn_quant.py), for a binary Dense after a
#   BatchNormalization + binary activation, passes the stored {0, 1} weight bits through BinaryQuantizer(bits=1)
#   again (x >= 0 -> 1): bit 0 (-1) becomes 1, every weight is +1.  It also floors the next layer's thresholds
#   to integers: for an integer x, x >= t is x >= ceil(t), not x >= floor(t).
# * BatchNormalizationQuantizedTanh.set_thresholds (hls4ml/backends/fpga/fpga_layers.py) floors the thresholds
#   onto the input's grid (same off-by-one, on the 2**-F grid) and stores them in the input type, which wraps
#   thresholds outside its range.
# * Precision inference (InferPrecisionTypes._infer_common_precision) does not handle 1-bit xnor types and gives
#   a binary Dense the default precision: fixed<16,6> cannot hold the dot product +32 of 32 inputs (wraps to -32).
#   nnet::cast for 1-bit inputs and weights returns ap_int<ceillog2(n_in) + 2>(2 * sum - n_in): that width is used.
# Weights are binarized once from the model's values (data_unquantized), thresholds are rounded up onto the grid
# and clipped to the input type's range (equivalent for every input of that type).
# * normalize_binary_tanh only tests x >= threshold: a BatchNormalization channel with a negative scale gives +1
#   for x <= t in the model (sign(s * x + b) with s < 0), the firmware for x >= t (FINN's TFC-w1a1 has 12 such).
#   When the binary Dense feeding it has no other consumer and no bias, such a channel c is computed as
#   (-x) >= (-t): column c of the xnor weights is inverted (bit b -> 1 - b, i.e. w -> -w) and threshold c is
#   -t rounded up, which is exact for every input including ties.  The Dense and the BatchNormalization layer
#   get `trigger_negated_channels` (binary_conversion.conversion_deviations reads them); a zero scale stays refused.


def _binary_networks() -> None:
    import numpy as np
    from hls4ml.backends.fpga.fpga_layers import BatchNormalizationQuantizedTanh
    from hls4ml.backends.vivado.passes import bn_quant
    from hls4ml.model.optimizer.passes.infer_precision import InferPrecisionTypes
    from hls4ml.model.types import IntegerPrecisionType, XnorPrecisionType

    from trigger.fixed import from_hls_precision

    def ceil_onto(values, precision):
        t = from_hls_precision(precision)
        return np.clip(np.ceil(np.asarray(values, dtype=np.float64) * 2.0**t.frac) * t.lsb, t.min_value, t.max_value)

    quantize_dense_output = bn_quant.QuantizeDenseOutput.transform
    if not getattr(quantize_dense_output, "trigger_fix", False):

        def transform(self, model, node):
            weight = node.weights["weight"]
            weight.data = getattr(weight, "data_unquantized", weight.data)  # binarize the model's weights, once
            quantize_dense_output(self, model, node)
            out_type = node.get_output_variable().type.precision
            outputs = node.get_output_nodes()
            for out in outputs:
                if isinstance(out, BatchNormalizationQuantizedTanh) and "threshold" in out.weights:
                    threshold = out.weights["threshold"]
                    if len(outputs) == 1:
                        flip_negative_scales(model, node, out)
                    threshold.data = ceil_onto(threshold.data_unquantized, out_type)
            return False

        def flip_negative_scales(model, dense, bnbt):
            """Negative-scale channels of `bnbt` (its only consumer) computed as (-x) >= (-t): see below."""
            channels = np.asarray(getattr(bnbt, "trigger_negative_scale", ()), dtype=np.int64)
            weight, bias = dense.weights["weight"], dense.weights.get("bias")
            if (
                len(channels) == 0
                or not isinstance(weight.type.precision, XnorPrecisionType)
                or np.ndim(weight.data) != 2
                or np.shape(weight.data)[-1] != np.size(bnbt.weights["threshold"].data_unquantized)
                or np.shape(weight.data)[-1] != np.size(getattr(bnbt, "trigger_raw_threshold", ()))
                or (bias is not None and np.any(np.asarray(bias.data) != 0))
                or dense.outputs[0] in model.outputs
            ):
                return
            bits = np.array(weight.data, copy=True)
            bits[:, channels] = 1 - bits[:, channels]  # xnor bit b means 2b - 1: -w
            weight.data = bits
            if bias is not None and getattr(bias, "data_unquantized", None) is not None:
                unquantized = np.array(bias.data_unquantized, dtype=np.float64).reshape(-1)
                if unquantized.size == bits.shape[-1]:
                    unquantized[channels] = -unquantized[channels]
                    bias.data_unquantized = unquantized.reshape(np.shape(bias.data_unquantized))
            threshold = bnbt.weights["threshold"]
            t = np.array(threshold.data_unquantized, dtype=np.float64).reshape(-1)
            t[channels] = -bnbt.trigger_raw_threshold[channels]  # not the stored one, already rounded up
            threshold.data_unquantized = t.reshape(np.shape(threshold.data_unquantized))
            dense.trigger_negated_channels = bnbt.trigger_negated_channels = tuple(int(c) for c in channels)

        transform.trigger_fix = True
        bn_quant.QuantizeDenseOutput.transform = transform

    set_thresholds = BatchNormalizationQuantizedTanh.set_thresholds
    if not getattr(set_thresholds, "trigger_fix", False):

        def set_thresholds_up(self, scale, bias, ternary_threshold=0.5):
            set_thresholds(self, scale, bias, ternary_threshold)
            if self.get_attr("quantize") == 2:
                precision = self.model.config.backend.convert_precision_string(self.get_input_variable().type.precision)
                threshold = self.weights["threshold"]
                with np.errstate(divide="ignore", invalid="ignore"):
                    threshold.data = ceil_onto(-np.asarray(bias) / np.asarray(scale), precision)
                threshold.data_unquantized = threshold.data
                with np.errstate(divide="ignore", invalid="ignore"):
                    t = -np.asarray(bias, dtype=np.float64) / np.asarray(scale, dtype=np.float64)
                signs = np.broadcast_to(np.asarray(scale, dtype=np.float64), np.shape(t)).reshape(-1)
                self.trigger_negative_scale = np.flatnonzero((signs < 0) & np.isfinite(t.reshape(-1)))
                self.trigger_raw_threshold = t.reshape(-1)

        set_thresholds_up.trigger_fix = True
        BatchNormalizationQuantizedTanh.set_thresholds = set_thresholds_up

    infer_dense = InferPrecisionTypes._infer_dense_precision
    if not getattr(infer_dense, "trigger_fix", False):

        def infer_dense_precision(self, node, types_to_infer):
            inferred = infer_dense(self, node, types_to_infer)
            data_t, weight_t = node.get_input_variable().type.precision, node.types["weight_t"].precision
            if isinstance(data_t, XnorPrecisionType) and isinstance(weight_t, XnorPrecisionType):
                width = int(np.ceil(np.log2(node.get_attr("n_in")))) + 2
                for name in ("accum_t", "result_t"):
                    if name in inferred:
                        node.types[name].precision = IntegerPrecisionType(width=width, signed=True)
            elif isinstance(weight_t, XnorPrecisionType):
                _binary_weight_sum(self, node, inferred, node.get_attr("n_in"))
            return inferred

        infer_dense_precision.trigger_fix = True
        InferPrecisionTypes._infer_dense_precision = infer_dense_precision

    infer_conv = InferPrecisionTypes._infer_conv_precision
    if not getattr(infer_conv, "trigger_fix", False):

        def infer_conv_precision(self, node, types_to_infer):
            inferred = infer_conv(self, node, types_to_infer)
            data_t, weight_t = node.get_input_variable().type.precision, node.types["weight_t"].precision
            if isinstance(weight_t, XnorPrecisionType) and not isinstance(data_t, XnorPrecisionType):
                n_ops = node.get_attr("n_chan") * node.get_attr("filt_height", 1) * node.get_attr("filt_width")
                _binary_weight_sum(self, node, inferred, n_ops)
            return inferred

        infer_conv_precision.trigger_fix = True
        InferPrecisionTypes._infer_conv_precision = infer_conv_precision


# ---- Binary weights with multi-bit data (e.g. FINN's TFC-w1a2) ------------------------------------
#
# Upstream symptom (hls4ml 1.3.0, no error: the accumulator wraps): a Dense/Conv whose weights are 1-bit
# (XnorPrecisionType, `nnet::product::weight_binary`: w ? a : -a) and whose data is fixed/integer gets the
# default precision as accum_t/result_t, because InferPrecisionTypes._all_supported_types rejects the xnor
# weight type.  fixed<16,6> holds -32..32: a 784-input Dense of 2-bit data reaching 71 wraps to 7.
# The exact type is the one hls4ml infers for a weight of type int<2> (-1..1 holds +-1): hls4ml's own
# formula is rerun with that weight type, then the xnor type is put back.


def _binary_weight_sum(infer, node, inferred, n_ops) -> None:
    from hls4ml.model.types import IntegerPrecisionType

    targets = [name for name in ("accum_t", "result_t") if name in inferred]
    if not targets:
        return
    weight_type = node.types["weight_t"]
    xnor = weight_type.precision
    weight_type.precision = IntegerPrecisionType(width=2, signed=True)
    try:
        infer._infer_common_precision(node, targets, n_ops)
    finally:
        weight_type.precision = xnor


# ---- QKeras-v3 QActivation through the Keras-3 parser ----------------------------------------------
#
# Upstream symptom: `AssertionError: Activation function for layer relu1 is not a function` from
# `KerasV3HandlerDispatcher.v2_call` (hls4ml/converters/keras_v3_to_hls.py).  A QKeras-v3 QActivation has no
# Keras-3 handler, so hls4ml falls back to its Keras-2 QActivation handler, which already converts the
# quantizer; `v2_call` then reads `layer.activation` (the QKeras quantizer object, not a function) and tries
# to append a second activation layer.  The layer is handed to `v2_call` behind a view whose `activation`
# is None; every other attribute is the layer's own.


class _WithoutActivation:
    """A read-only view of a Keras layer whose `activation` is None (isinstance and names unchanged)."""

    def __init__(self, layer):
        object.__setattr__(self, "_layer", layer)

    @property
    def __class__(self):  # type(layer).__name__ is what hls4ml dispatches on
        return type(self._layer)

    activation = None

    def __getattr__(self, name):
        return getattr(self._layer, name)


def _qkeras_v3_qactivation() -> None:
    try:
        dispatcher = importlib.import_module("hls4ml.converters.keras_v3_to_hls").KerasV3HandlerDispatcher
    except ImportError:  # pragma: no cover - hls4ml 1.3.0 always has it
        return
    upstream = dispatcher.v2_call
    if getattr(upstream, "trigger_fix", False):
        return

    def v2_call(self, layer, inp_tensors, out_tensors):
        if type(layer).__name__ == "QActivation" and type(layer).__module__.startswith("qkeras"):
            layer = _WithoutActivation(layer)
        return upstream(self, layer, inp_tensors, out_tensors)

    v2_call.trigger_fix = True
    dispatcher.v2_call = v2_call
