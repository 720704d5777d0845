"""Parameters that do not fit the fixed-point type hls4ml gave them.

hls4ml writes each weight and bias as a number and lets the C++ type convert it: a value beyond the
type's range is then saturated, wrapped or zeroed, per the type's overflow mode, without a word.  The
model compiles and the emulation of it may even agree with itself, but it is not the model trained.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from trigger.fixed import hls_quantize_np, int_bounds, precision_spec
from trigger.hls import parameter_arrays

OVERFLOW = {
    "SAT": "saturates them to the range",
    "SAT_SYM": "saturates them to the symmetric range",
    "SAT_ZERO": "sets them to zero",
    "WRAP": "wraps them around (two's complement)",
}


def parameter_warnings(hls_model, describe: Callable[[str, str], str] | None = None) -> list[str]:
    """One sentence per weight variable holding values its type cannot represent (empty when all fit).

    `describe(name, class)` names a layer the user's way (`SourceModel.describe`: the file's node); the
    default is hls4ml's layer name.
    """
    out = []
    for layer in hls_model.get_layers():
        for key, var, array in parameter_arrays(layer):
            text = _check(layer, key, var, array, describe)
            if text:
                out.append(text)
    return out


def _check(layer, key: str, var, array: np.ndarray, describe: Callable[[str, str], str] | None) -> str | None:
    try:
        spec = precision_spec(var.type.precision)
    except NotImplementedError:  # binary (xnor), exponent or float types: nothing to overflow here
        return None
    values = array.ravel()
    finite = np.isfinite(values)
    over = ~finite
    over[finite] = _overflows(values[finite], spec)
    if not over.any():
        return None
    lo, hi = _range(spec)
    magnitude = np.where(over, np.where(np.isnan(values), np.inf, np.abs(values)), -1.0)
    at = int(np.argmax(magnitude))
    worst, index = float(values[at]), list(np.unravel_index(at, array.shape)) if array.ndim else []
    became = f" ({worst:.6g} becomes {_stored(worst, spec):.6g})" if math.isfinite(worst) else ""
    name = getattr(var, "name", key)
    who = f"layer {layer.name} ({layer.class_name})"
    if describe is not None:
        who = f"{describe(layer.name, layer.class_name)}, hls4ml {who}"
    return (
        f"{who}: {int(over.sum())} of {values.size} {key} values ({name}) lie "
        f"outside {var.type.precision}, whose range is [{lo:.6g}, {hi:.6g}]; the largest magnitude is "
        f"{abs(worst):.6g}, at {key}{[int(i) for i in index]}; hls4ml {OVERFLOW[spec['sat']]}{became}, so the "
        "firmware does not compute the model."
    )


def _range(spec: dict) -> tuple[float, float]:
    """Smallest and largest value of the type."""
    lo, hi = int_bounds(spec)
    if spec["sat"] == "SAT_SYM" and spec["signed"]:
        lo = -hi
    return lo * 2.0 ** -spec["f"], hi * 2.0 ** -spec["f"]


def _stored(value: float, spec: dict) -> float:
    """The value the type holds for `value` (exact also where value * 2**f is beyond float64's 53 bits)."""
    raw = value * 2.0 ** spec["f"]  # a power-of-two scaling: exact
    if spec["sat"] == "WRAP" and abs(raw) >= 2.0**52:  # an integer already: no rounding, wrap exactly
        lo, _ = int_bounds(spec)
        return float((int(raw) - lo) % 2 ** spec["width"] + lo) * 2.0 ** -spec["f"]
    return float(hls_quantize_np(np.array([value]), spec)[0])


def _overflows(values: np.ndarray, spec: dict) -> np.ndarray:
    """Which values, once rounded to the type's grid, fall outside its range."""
    if values.size == 0:
        return np.zeros(0, dtype=bool)
    biggest = float(np.max(np.abs(values)))
    integer = max(spec["width"] - spec["f"], math.ceil(math.log2(biggest + 1)) + 2)
    wide = {**spec, "width": spec["f"] + integer, "signed": True, "sat": "SAT"}  # same grid, room for every value
    lo, hi = _range(spec)
    rounded = hls_quantize_np(values, wide)
    return (rounded < lo) | (rounded > hi)
