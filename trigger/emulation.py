"""Bit-accurate emulation: hls4ml C simulation on the vectors, compared exactly with the reference.

Layers that are lookup-table approximations by design (softmax, sigmoid, tanh, ...) cannot be
bit-exact.  When they end the network, the exact comparison is made on the tensor that feeds them
(the logits); their own error is measured and reported separately.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trigger.fixed import FixedType, from_hls_precision
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
    it feeds (None when the network's own output is compared).
    """

    layer: str
    layer_type: str
    ftype: FixedType
    anchor: str | None
    approximate_layers: list[str]
    exact_possible: bool


def compare_point(hls_model) -> ComparePoint:
    """Walk back from the output over trailing approximate layers to the last exact one."""
    layers = list(hls_model.get_layers())
    producer = {out: layer for layer in layers for out in layer.outputs}
    approx = [layer.name for layer in layers if is_approximate(layer)]
    current, anchor = layers[-1], None
    while is_approximate(current) and current.inputs and current.inputs[0] in producer:
        anchor = current.name
        current = producer[current.inputs[0]]
    upstream = _ancestors(current, producer) | {current.name}
    exact = not any(name in upstream for name in approx)
    ftype = from_hls_precision(current.get_output_variable().type.precision)
    return ComparePoint(current.name, current.class_name, ftype, anchor, approx, exact)


def output_point(hls_model, approximate_layers: list[str]) -> ComparePoint:
    """Compare at the network output itself (when the reference cannot be tapped before it)."""
    last = list(hls_model.get_layers())[-1]
    ftype = from_hls_precision(last.get_output_variable().type.precision)
    return ComparePoint(last.name, last.class_name, ftype, None, approximate_layers, not approximate_layers)


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
    """Compile the C simulation with tracing, run it and the reference on `x`, compare."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    final_emu, trace = hls_model.trace(x)
    final_emu = np.asarray(final_emu, dtype=np.float64).reshape(len(x), -1)
    emu = np.asarray(trace[point.layer], dtype=np.float64).reshape(len(x), -1)
    ref_final = source.predict(x).reshape(len(x), -1)
    ref = source.predict_input_of(x, point.anchor).reshape(len(x), -1) if point.anchor else ref_final
    emu_raw, emu_on_grid = point.ftype.to_raw(emu)
    ref_raw, ref_on_grid = point.ftype.to_raw(ref)
    assert emu_on_grid.all(), "C simulation produced a value off its own type's grid"
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
