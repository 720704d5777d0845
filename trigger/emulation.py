"""Bit-accurate emulation: hls4ml C simulation on the vectors, compared exactly with the reference.

Layers that are lookup-table approximations by design (softmax, sigmoid, tanh, ...) cannot be
bit-exact.  When they end the network, the exact comparison is made on the tensor that feeds them
(the logits); their own error is measured and reported separately.

Binary (bipolar) networks: hls4ml stores a value of {-1, +1} as one bit b meaning 2b - 1 (its
`XnorPrecisionType`, compared through `FixedType(bipolar=True)`).  A Dense layer whose inputs and
weights are both such bits sums the agreements p = #(a == w) (`nnet::product::both_binary`) and its
`nnet::cast` returns 2 * (bias + p) - n_in, i.e. the +-1 dot product itself, so its output is compared
as the plain integer it is.  Where hls4ml 1.3.0's conversion of a binary network computes a different
function (`trigger.binary_conversion`), the model is refused before the C simulation, naming each layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from trigger.csim import CsimCrashed, run_csim
from trigger.culprit import first_line
from trigger.errors import CheckFailed, InputError
from trigger.fixed import FixedType, from_hls_precision, hls_quantize_np, precision_spec
from trigger.frontends.base import SourceModel
from trigger.hls import parameter_arrays
from trigger.input_layout import InputLayout

LUT_ACTIVATIONS = {"sigmoid", "tanh", "softplus", "softsign", "elu", "selu", "softmax"}
LUT_CLASSES = {"Softmax", "ELU", "SELU"}


def is_approximate(layer) -> bool:
    """True for layers hls4ml implements with lookup tables."""
    if layer.class_name in LUT_CLASSES:
        return True
    act = str(layer.get_attr("activation", "") or "").lower()
    return layer.class_name in {"Activation", "ParametrizedActivation"} and act in LUT_ACTIVATIONS


def is_traced(layer) -> bool:
    """True when hls4ml's C simulation records the layer's output (it has C++ of its own)."""
    return bool(layer.get_attr("function_cpp", None)) or layer.class_name == "Input"


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
    tensor: str | None = None  # the source model's tensor tapped for the reference, when not found by layer name


def rounded_parameters(layer) -> str | None:
    """Why hls4ml's values of a layer's parameters are not the model's own, or None.

    A quantized model whose every parameter lies on its quantizer's grid is exact; a float parameter
    left in a QONNX/QKeras model (e.g. a Brevitas bias without a bias quantizer, a float BatchNorm
    after the last quantizer) is rounded by hls4ml to the layer's type, so no emulation can equal
    the model bit for bit from there on.
    """
    for key, var, values in parameter_arrays(layer):
        try:
            spec = precision_spec(var.type.precision)
        except NotImplementedError:  # binary (xnor) or exponent types hold their values exactly
            continue
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
    # a layer the C simulation does not trace (e.g. an io_parallel Reshape, a no-op) has no values to
    # compare: its input is the same words
    while anchor is not None and not is_traced(current) and current.inputs and current.inputs[0] in producer:
        current = producer[current.inputs[0]]
    upstream = ancestors(current, producer) | {current.name}
    exact = not any(name in upstream for name in why)
    ftype = from_hls_precision(current.get_output_variable().type.precision)
    return ComparePoint(current.name, current.class_name, ftype, anchor, list(why), exact, why)


def output_point(hls_model, point: ComparePoint) -> ComparePoint:
    """Compare at the network output itself (when the reference cannot be tapped before it)."""
    last = list(hls_model.get_layers())[-1]
    ftype = from_hls_precision(last.get_output_variable().type.precision)
    approx = point.approximate_layers
    return ComparePoint(last.name, last.class_name, ftype, None, approx, not approx, point.approximate_why)


def ancestors(layer, producer) -> set[str]:
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


def _first_nonfinite(values: np.ndarray) -> int | None:
    """The first vector (row) holding NaN or Inf, or None."""
    bad = ~np.isfinite(values.reshape(len(values), -1)).all(axis=1)
    return int(np.argmax(bad)) if bad.any() else None


def _require_finite(source: SourceModel, point: ComparePoint, ref, ref_final, emu, final_emu) -> None:
    """NaN/Inf never compares: in the reference it is an input problem (InputError), in the C simulation a
    failed check (CheckFailed); a comparison with either would report NaN differences and could pass."""
    for values, where in ((ref, f"layer {point.layer}"), (ref_final, "the model's output")):
        if (v := _first_nonfinite(values)) is not None:
            raise InputError(
                f"{source.path}: the reference model produced NaN/Inf at {where} for vector {v} "
                "(finite inputs: a float overflow or a non-finite parameter); nothing can be compared there."
            )
    for values, where in ((emu, f"layer {point.layer}"), (final_emu, "the output")):
        if (v := _first_nonfinite(values)) is not None:
            raise CheckFailed(f"the C simulation produced NaN/Inf at {where} for vector {v}.")


def run(
    hls_model, source: SourceModel, point: ComparePoint, x: np.ndarray, layout: InputLayout | None = None
) -> tuple[Comparison, dict]:
    """Compile the C simulation with tracing, run it and the reference on `x` (packed inputs, see
    trigger.input_layout; `layout` unpacks them for hls4ml when the model has several), compare.

    A model that hls4ml converted into a different function (`check_conversion`) is refused first.
    """
    from trigger.binary_conversion import check_conversion

    check_conversion(hls_model, source, point)
    x = np.ascontiguousarray(x, dtype=np.float64)
    try:
        feed = layout.hls_feed(x) if layout is not None else x
        final_emu, trace = run_csim(hls_model, feed)  # writes, compiles (g++), then runs it in a child process
    except CsimCrashed as exc:
        raise InputError(
            f"{source.path}: {exc}; the model is not one its generated C++ can run (e.g. a zero-width type)."
        ) from exc
    except Exception as exc:
        raise InputError(
            f"{source.path}: hls4ml's C simulation of this model does not build or run ({first_line(exc)})."
        ) from exc
    out_type = from_hls_precision(list(hls_model.get_layers())[-1].get_output_variable().type.precision)
    final_emu = out_type.from_hls_values(final_emu).reshape(len(x), -1)
    emu = point.ftype.from_hls_values(trace[point.layer]).reshape(len(x), -1)
    ref_final = source.predict(x).reshape(len(x), -1)
    if point.tensor:
        ref = source.predict_tensor(x, point.tensor).reshape(len(x), -1)
    elif point.anchor:
        ref = source.predict_input_of(x, point.anchor).reshape(len(x), -1)
    else:
        ref = ref_final
    _require_finite(source, point, ref, ref_final, emu, final_emu)
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
