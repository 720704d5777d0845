"""Binary (bipolar) networks: where hls4ml 1.3.0's conversion computes a different function from the model's.

`check_conversion` refuses such a conversion (exit code 2) before any C simulation, naming each layer in
the user's file and why; `conversion_deviations` lists them.  The workarounds that make hls4ml compute the
right function live in `trigger.hls4ml_fixes`; what they cannot fix is caught here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from trigger.errors import InputError
from trigger.fixed import from_hls_precision, is_xnor_precision

if TYPE_CHECKING:
    from trigger.emulation import ComparePoint
    from trigger.frontends.base import SourceModel


@dataclass(frozen=True)
class Deviation:
    """A layer of the converted graph that computes a different function from the model's, and why."""

    layer: str
    layer_type: str
    reason: str


def conversion_deviations(hls_model, layers: set[str] | None = None, source=None) -> list[Deviation]:
    """Layers (of `layers`, default all) whose firmware provably differs from the model, in graph order.

    Read from the converted graph, before any simulation; each check is one hls4ml 1.3.0 behaviour:

    * binary weights binarized twice: `QuantizeDenseOutput` (a binary Dense after a binary activation)
      passes the stored {0, 1} bits through its `BinaryQuantizer` again, which maps bit 0 (-1) to 1;
    * a binary Dense's bias: that pass sets it to zero, and `nnet::cast` of a binary Dense returns
      2 * (bias + agreements) - n_in, so a bias that stays counts twice;
    * a binary Dense whose result type cannot hold every +-1 dot product -n_in..n_in (the first one
      keeps the default precision, e.g. fixed<16,6> for 32 inputs, where 32 wraps to -32);
    * binary-activation thresholds rounded down: that pass floors the thresholds of the following
      BatchNormalization + binary activation to integers, and `normalize_binary_tanh` tests
      x >= threshold, so an input v with floor(t) <= v < t gives +1 where the model gives -1;
    * a binary-activation threshold outside its type's range, which the C++ initializer wraps;
    * a BatchNormalization with a negative (or zero) scale before a binary activation: the model's +1
      is then x <= threshold, but `normalize_binary_tanh` always tests x >= threshold (read from the
      source's BatchNormalization node, for ONNX models), unless hls4ml_fixes negated that channel of the
      binary Dense before it and its threshold (`trigger_negated_channels`: (-x) >= (-t) is x <= t).
    """
    found: list[Deviation] = []
    producer = {out: layer for layer in hls_model.get_layers() for out in layer.outputs}
    for layer in hls_model.get_layers():
        if layers is not None and layer.name not in layers:
            continue
        for reason in (
            _rebinarized_weights(layer),
            _binary_dense_bias(layer),
            _binary_dense_range(layer),
            _rounded_down_thresholds(layer, producer.get(layer.inputs[0]) if layer.inputs else None),
            _thresholds_out_of_range(layer),
            _non_positive_scales(layer, source, producer.get(layer.inputs[0]) if layer.inputs else None),
        ):
            if reason:
                found.append(Deviation(layer.name, layer.class_name, reason))
    return found


def check_conversion(hls_model, source: SourceModel, point: ComparePoint | None = None) -> None:
    """Refuse (exit code 2) a conversion that computes a different function up to the compare point."""
    layers = None
    if point is not None:
        producer = {out: layer for layer in hls_model.get_layers() for out in layer.outputs}
        current = next((layer for layer in hls_model.get_layers() if layer.name == point.layer), None)
        if current is not None:
            from trigger.emulation import ancestors  # (import here: emulation imports this module)

            layers = ancestors(current, producer) | {current.name}
    found = conversion_deviations(hls_model, layers, source)
    if not found:
        return
    import hls4ml

    where = "; ".join(f"{_origin(source, d.layer, d.layer_type)}, hls4ml layer '{d.layer}': {d.reason}" for d in found)
    raise InputError(
        f"{source.path}: hls4ml {hls4ml.__version__} converts this binary network into a different function, "
        f"so no emulation can match it (the C simulation was not run). {where}."
    )


def _origin(source: SourceModel, name: str, layer_type: str) -> str:
    """The user's node an hls4ml layer came from (hls4ml prefixes `Dense_`, `bnbt_` to the node's name)."""
    for prefix in ("", "bnbt_", "Dense_"):
        if name.startswith(prefix) and source.has_layer(name[len(prefix) :]):
            return source.describe(name[len(prefix) :], layer_type)
    return source.describe(name, layer_type)


def _xnor(var) -> bool:
    return var is not None and is_xnor_precision(var.type.precision)


def _both_binary_dense(layer) -> bool:
    """A Dense whose inputs and weights are both hls4ml bits (`product::both_binary` + the 2p - n cast)."""
    if layer.class_name != "Dense" or not layer.inputs:
        return False
    return _xnor(layer.get_input_variable()) and _xnor(layer.weights.get("weight"))


def _unquantized(var) -> np.ndarray | None:
    """The model's values of a weight variable (before hls4ml's quantizer), if hls4ml kept them."""
    values = getattr(var, "data_unquantized", None)
    if values is None:
        return None
    values = np.asarray(values, dtype=np.float64)
    return values if values.shape == np.shape(var.data) else None


def _rebinarized_weights(layer) -> str | None:
    weight = layer.weights.get("weight")
    if not _xnor(weight) or type(weight.quantizer).__name__ != "BinaryQuantizer":
        return None
    model = _unquantized(weight)
    if model is None:
        return None
    expected = model >= 0  # BipolarQuant: x >= 0 -> +1 (bit 1), else -1 (bit 0)
    negated = list(_negated_channels(layer))
    if negated and expected.ndim == 2:  # hls4ml_fixes: columns negated for a negative-scale binary activation
        expected[:, negated] = ~expected[:, negated]
    got = np.asarray(weight.data) != 0
    wrong = int(np.count_nonzero(expected != got))
    if wrong == 0:
        return None
    n, negative = expected.size, int(np.count_nonzero(~expected))
    if got.all():
        return (
            f"all {n} binary weights are +1 in the firmware, {negative} of them -1 in the model (hls4ml's "
            "QuantizeDenseOutput pass binarizes the stored bits a second time and its BinaryQuantizer maps bit 0, "
            "i.e. -1, to 1)"
        )
    return f"{wrong} of its {n} binary weights have the opposite sign in the firmware"


def _binary_dense_bias(layer) -> str | None:
    bias = layer.weights.get("bias")
    if bias is None or not _both_binary_dense(layer):
        return None
    data = np.asarray(bias.data, dtype=np.float64)
    model = _unquantized(bias)
    n = data.size
    if model is not None and np.any(model != 0) and not np.any(data != 0):
        dropped = int(np.count_nonzero(model))
        return (
            f"{dropped} of its {n} biases are non-zero in the model and 0 in the firmware (hls4ml's "
            "QuantizeDenseOutput pass sets them to 0)"
        )
    if np.any(data != 0):
        return (
            f"{int(np.count_nonzero(data))} of its {n} biases are non-zero and count twice: hls4ml's binary Dense "
            "returns 2 * (bias + agreements) - n_in (nnet::cast for 1-bit inputs and weights)"
        )
    return None


def _binary_dense_range(layer) -> str | None:
    values = _binary_dense_values(layer)
    if values is None:
        return None
    ftype = from_hls_precision(layer.get_output_variable().type.precision)
    if ftype.bipolar:
        return None
    outside = values[(values < ftype.min_value) | (values > ftype.max_value)]
    if len(outside) == 0:
        return None
    n = int(layer.get_attr("n_in"))
    return (
        f"its result type {ftype} holds {ftype.min_value} to {ftype.max_value}, but the +-1 dot product of its "
        f"{n} inputs ranges from {-n} to {n}: {', '.join(f'{v:g}' for v in outside)} cannot be represented "
        "(hls4ml's precision inference gives a binary Dense the default precision, --precision)"
    )


def _rounded_down_thresholds(layer, producer) -> str | None:
    if layer.class_name != "BatchNormalizationQuantizedTanh" or layer.get_attr("quantize") != 2:
        return None
    threshold = layer.weights.get("threshold")
    model = _unquantized(threshold) if threshold is not None else None
    if model is None:
        return None
    firmware = np.asarray(threshold.data, dtype=np.float64).reshape(-1)
    model = model.reshape(-1)
    below = firmware < model
    if not below.any():
        return None
    reachable = _binary_dense_values(producer)
    if reachable is not None:  # +-1 dot products of n inputs: -n, -n + 2, ..., n
        hit = (reachable[None, :] >= firmware[:, None]) & (reachable[None, :] < model[:, None])
        affected = hit.any(axis=1)
    else:  # any value of the input's grid: the firmware threshold itself lies on it
        affected = below
    if not affected.any():
        return None
    c = int(np.argmax(affected))
    v = float(reachable[hit[c]][0]) if reachable is not None else float(firmware[c])
    return (
        f"{int(affected.sum())} of its {firmware.size} thresholds are rounded down below the model's (hls4ml's "
        "QuantizeDenseOutput floors them to integers; normalize_binary_tanh outputs +1 for x >= threshold), so an "
        f"input it can receive gives +1 where the model gives -1 (first: channel {c}, threshold {model[c]:g} in the "
        f"model, {firmware[c]:g} in the firmware, input {v:g})"
    )


def _thresholds_out_of_range(layer) -> str | None:
    if layer.class_name != "BatchNormalizationQuantizedTanh" or layer.get_attr("quantize") != 2:
        return None
    threshold = layer.weights.get("threshold")
    if threshold is None:
        return None
    try:
        ftype = from_hls_precision(threshold.type.precision)
    except (AttributeError, TypeError, ValueError):
        return None
    values = np.asarray(threshold.data, dtype=np.float64).reshape(-1)
    outside = np.flatnonzero((values < ftype.min_value) | (values > ftype.max_value))
    if len(outside) == 0 or ftype.bipolar:
        return None
    c = int(outside[0])
    return (
        f"{len(outside)} of its {values.size} thresholds lie outside their type {ftype} ({ftype.min_value} to "
        f"{ftype.max_value}) and wrap in the firmware (first: channel {c}, threshold {values[c]:g})"
    )


def _binary_dense_values(layer) -> np.ndarray | None:
    """Every value a bias-free binary Dense can output (n_in + 1 of them), or None for any other layer."""
    if layer is None or not _both_binary_dense(layer):
        return None
    bias = layer.weights.get("bias")
    if bias is not None and np.any(np.asarray(bias.data) != 0):
        return None
    n = int(layer.get_attr("n_in"))
    return np.arange(-n, n + 1, 2, dtype=np.float64)


def _negated_channels(layer) -> tuple[int, ...]:
    """Output channels hls4ml_fixes computes negated (a binary Dense and the binary activation after it)."""
    return tuple(getattr(layer, "trigger_negated_channels", ()) or ()) if layer is not None else ()


def _non_positive_scales(layer, source, producer=None) -> str | None:
    if layer.class_name != "BatchNormalizationQuantizedTanh" or layer.get_attr("quantize") != 2:
        return None
    wrapper = getattr(source, "wrapper", None)  # an ONNX model: the BatchNormalization node hls4ml merged
    if wrapper is None or not layer.name.startswith("bnbt_"):
        return None
    node = wrapper.get_node_from_name(layer.name[len("bnbt_") :])
    if node is None or node.op_type != "BatchNormalization" or len(node.input) < 5:
        return None
    gamma, var = wrapper.get_initializer(node.input[1]), wrapper.get_initializer(node.input[4])
    if gamma is None or var is None:
        return None
    eps = next((a.f for a in node.attribute if a.name == "epsilon"), 1e-5)
    scale = np.broadcast_to(
        np.asarray(gamma, dtype=np.float64) / np.sqrt(np.asarray(var, dtype=np.float64) + eps), np.shape(var)
    )
    bad = np.flatnonzero(scale <= 0)
    # channels hls4ml_fixes computes as (-x) >= (-t): both the activation and the Dense feeding it negated them
    negated = set(_negated_channels(layer)) & set(_negated_channels(producer))
    bad = np.array([c for c in bad if not (scale.reshape(-1)[c] < 0 and int(c) in negated)], dtype=np.int64)
    if len(bad) == 0:
        return None
    return (
        f"{len(bad)} of its {scale.size} channels have a BatchNormalization scale <= 0 (first: channel {int(bad[0])}, "
        f"gamma {float(np.ravel(gamma)[bad[0]]):g}): the model outputs +1 there for inputs at or below the threshold, "
        "hls4ml's normalize_binary_tanh for inputs at or above it"
    )
