"""Bit-accurate emulation: hls4ml C simulation on the vectors, compared exactly with the reference.

Layers that are lookup-table approximations by design (softmax, sigmoid, tanh, ...) cannot be
bit-exact.  When they end the network, the exact comparison is made on the tensor that feeds them
(the logits); their own error is measured and reported separately.

Binary (bipolar) networks: hls4ml stores a value of {-1, +1} as one bit b meaning 2b - 1 (its
`XnorPrecisionType`, compared through `FixedType(bipolar=True)`).  A Dense layer whose inputs and
weights are both such bits sums the agreements p = #(a == w) (`nnet::product::both_binary`) and its
`nnet::cast` returns 2 * (bias + p) - n_in, i.e. the +-1 dot product itself, so its output is compared
as the plain integer it is.  Where hls4ml 1.3.0's conversion of a binary network computes a different
function (`conversion_deviations`), the model is refused before the C simulation, naming each layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trigger.culprit import first_line
from trigger.errors import CheckFailed, InputError
from trigger.fixed import FixedType, from_hls_precision, hls_quantize_np, is_xnor_precision, precision_spec
from trigger.frontends.base import SourceModel

LUT_ACTIVATIONS = {"sigmoid", "tanh", "softplus", "softsign", "elu", "selu", "softmax"}
LUT_CLASSES = {"Softmax", "ELU", "SELU"}


def is_approximate(layer) -> bool:
    """True for layers hls4ml implements with lookup tables."""
    if layer.class_name in LUT_CLASSES:
        return True
    act = str(layer.get_attr("activation", "") or "").lower()
    return layer.class_name in {"Activation", "ParametrizedActivation"} and act in LUT_ACTIVATIONS


@dataclass
class ComparePoint:
    """Where the exact comparison happens.

    `layer` is the hls4ml layer whose traced output is compared; `anchor` is the approximate layer
    it feeds (None when the network's own output is compared).  `approximate_why` says, per
    approximate layer, why it cannot be bit-exact (a lookup table, or parameters hls4ml rounded).
    """

    layer: str
    layer_type: str
    ftype: FixedType
    anchor: str | None
    approximate_layers: list[str]
    exact_possible: bool
    approximate_why: dict[str, str] = field(default_factory=dict)


def rounded_parameters(layer) -> str | None:
    """Why hls4ml's values of a layer's parameters are not the model's own, or None.

    A quantized model whose every parameter lies on its quantizer's grid is exact; a float parameter
    left in a QONNX/QKeras model (e.g. a Brevitas bias without a bias quantizer, a float BatchNorm
    after the last quantizer) is rounded by hls4ml to the layer's type, so no emulation can equal
    the model bit for bit from there on.
    """
    for key, var in layer.weights.items():
        data = getattr(var, "data", None)
        if data is None:
            continue
        try:
            spec = precision_spec(var.type.precision)
        except NotImplementedError:  # binary (xnor) or exponent types hold their values exactly
            continue
        values = np.asarray(data, dtype=np.float64)
        off = int(np.count_nonzero(hls_quantize_np(values, spec) != values))
        if off:
            grid = var.type.precision
            return f"{off} of {values.size} {key} values are not on the grid of {grid}: hls4ml rounds them"
    return None


def _why_approximate(layer, check_parameters: bool) -> str | None:
    if is_approximate(layer):
        return f"lookup table ({layer.class_name} {layer.get_attr('activation', '') or ''})".replace(" )", ")")
    return rounded_parameters(layer) if check_parameters else None


def compare_point(hls_model, check_parameters: bool = False) -> ComparePoint:
    """Walk back from the output over trailing approximate layers to the last exact one.

    Approximate: lookup-table layers, and (`check_parameters`, for quantized models) layers whose
    parameters hls4ml rounds.  An approximate layer upstream of the compared one makes the
    comparison approximate (`exact_possible` False); `approximate_why` gives every reason.
    """
    layers = list(hls_model.get_layers())
    producer = {out: layer for layer in layers for out in layer.outputs}
    why = {layer.name: r for layer in layers if (r := _why_approximate(layer, check_parameters))}
    current, anchor = layers[-1], None
    while current.name in why and current.inputs and current.inputs[0] in producer:
        anchor = current.name
        current = producer[current.inputs[0]]
    upstream = _ancestors(current, producer) | {current.name}
    exact = not any(name in upstream for name in why)
    ftype = from_hls_precision(current.get_output_variable().type.precision)
    return ComparePoint(current.name, current.class_name, ftype, anchor, list(why), exact, why)


def output_point(hls_model, point: ComparePoint) -> ComparePoint:
    """Compare at the network output itself (when the reference cannot be tapped before it)."""
    last = list(hls_model.get_layers())[-1]
    ftype = from_hls_precision(last.get_output_variable().type.precision)
    approx = point.approximate_layers
    return ComparePoint(last.name, last.class_name, ftype, None, approx, not approx, point.approximate_why)


def _ancestors(layer, producer) -> set[str]:
    seen: set[str] = set()
    stack = list(layer.inputs)
    while stack:
        tensor = stack.pop()
        parent = producer.get(tensor)
        if parent is not None and parent.name not in seen:
            seen.add(parent.name)
            stack.extend(parent.inputs)
    return seen


@dataclass
class Comparison:
    """Emulation against reference at the compare point, and at the final output."""

    emulation_raw: np.ndarray
    reference_raw: np.ndarray
    reference_on_grid: np.ndarray
    equal: np.ndarray
    max_abs_diff: float
    argmax_agreement: float | None
    final_max_abs_diff: float
    final_argmax_agreement: float | None

    @property
    def exact_fraction(self) -> float:
        return float(self.equal.mean())

    def first_mismatch(self) -> dict | None:
        """The first differing (vector, lane) as raw integers, or None."""
        return first_difference(self.reference_raw, self.emulation_raw, ~self.equal)


def first_difference(expected: np.ndarray, got: np.ndarray, differs: np.ndarray | None = None) -> dict | None:
    """First (vector, lane) where `differs` (default: expected != got) holds, with both raw values; or None."""
    n = len(expected)
    if n == 0:
        return None
    expected, got = expected.reshape(n, -1), got.reshape(n, -1)
    differs = expected != got if differs is None else differs.reshape(n, -1)
    bad = np.argwhere(differs)
    if len(bad) == 0:
        return None
    v, lane = (int(i) for i in bad[0])
    return {"vector": v, "lane": lane, "expected_raw": int(expected[v, lane]), "got_raw": int(got[v, lane])}


def _argmax_agreement(a: np.ndarray, b: np.ndarray) -> float | None:
    if a.ndim != 2 or a.shape[1] < 2:
        return None
    return float(np.mean(np.argmax(a, axis=1) == np.argmax(b, axis=1)))


def run(hls_model, source: SourceModel, point: ComparePoint, x: np.ndarray) -> tuple[Comparison, dict]:
    """Compile the C simulation with tracing, run it and the reference on `x`, compare.

    A model that hls4ml converted into a different function (`check_conversion`) is refused first.
    """
    check_conversion(hls_model, source, point)
    x = np.ascontiguousarray(x, dtype=np.float64)
    try:
        final_emu, trace = hls_model.trace(x)  # writes, compiles (g++) and runs hls4ml's C simulation
    except Exception as exc:
        raise InputError(
            f"{source.path}: hls4ml's C simulation of this model does not build or run ({first_line(exc)}); "
            "the compiler output is in the emulate log."
        ) from exc
    out_type = from_hls_precision(list(hls_model.get_layers())[-1].get_output_variable().type.precision)
    final_emu = out_type.from_hls_values(final_emu).reshape(len(x), -1)
    emu = point.ftype.from_hls_values(trace[point.layer]).reshape(len(x), -1)
    ref_final = source.predict(x).reshape(len(x), -1)
    ref = source.predict_input_of(x, point.anchor).reshape(len(x), -1) if point.anchor else ref_final
    emu_raw, emu_on_grid = point.ftype.to_raw(emu)
    ref_raw, ref_on_grid = point.ftype.to_raw(ref)
    if not emu_on_grid.all():  # an invariant of ap_fixed; kept under python -O
        v = int(np.argwhere(~emu_on_grid.reshape(len(x), -1))[0][0])
        raise CheckFailed(
            f"the C simulation produced values off the grid of {point.ftype} at layer {point.layer} "
            f"(first at vector {v}); its trace cannot be compared as raw integers."
        )
    equal = (emu_raw == ref_raw) & ref_on_grid
    comparison = Comparison(
        emulation_raw=emu_raw,
        reference_raw=ref_raw,
        reference_on_grid=ref_on_grid,
        equal=equal,
        max_abs_diff=float(np.max(np.abs(emu - ref))),
        argmax_agreement=_argmax_agreement(emu, ref),
        final_max_abs_diff=float(np.max(np.abs(final_emu - ref_final))),
        final_argmax_agreement=_argmax_agreement(final_emu, ref_final),
    )
    arrays = {"emulation": emu, "reference": ref, "emulation_output": final_emu, "reference_output": ref_final}
    return comparison, arrays


# ------------------------------------------------------------------------------------------------------
# Binary networks: where hls4ml 1.3.0's conversion computes a different function from the model's


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
            layers = _ancestors(current, producer) | {current.name}
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
