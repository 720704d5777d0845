"""Checks on a traced alkaid design that its own bookkeeping stayed exact.

alkaid keeps every bound, step and constant as float64, but finds the grid (lowest set bit) of a value
with `get_lsb_loc`, which works in float32 precision: a constant whose odd mantissa has more than 24
bits gets too coarse a grid, and is then emitted truncated (alkaid 0.8.2; e.g. the added constant
2**-9 - 2**-34 is stored as 0 and x + it computes x, in `CombLogic.predict` and in the Verilog alike).
An added constant is also packed into a 32-bit odd mantissa with a shift (`FVariable._const_add`).
And a word wider than float64's 53-bit mantissa would have inexact bounds.  Each of these is
`Unsupported`, naming the value, instead of a design that computes something else.
"""

from __future__ import annotations

from alkaid.trace import FVariable
from alkaid.trace.tracer import gather_variables

from trigger.rtl.registry import Unsupported

FLOAT_BITS = 53  # float64 mantissa


def _signed32(word: int) -> int:
    return ((word & 0xFFFFFFFF) + (1 << 31)) % (1 << 32) - (1 << 31)


def stored_added_constant(v: FVariable) -> float:
    """The constant alkaid emits for a `cadd` variable (what its Verilog adds)."""
    return _signed32(v._data) * 2.0 ** -_signed32(v._data >> 32) * v._factor


def _off_grid(v: FVariable) -> float | None:
    """A term of v's affine form (its constant, or a coefficient times an input's step) that is not a
    whole number of v's step, or None: alkaid's grid for v is then too coarse."""
    aff = v._affine
    terms = [aff.bias, *(coeff * atom.qint.step for atom, coeff in aff.coeffs.items())]
    for t in terms:
        if t and not (t / v.step).is_integer():
            return t
    return None


def check_trace(inputs, outputs, layer: str, cls: str) -> None:
    """Raise Unsupported if alkaid would emit a traced value inexactly (see the module docstring)."""
    for v in gather_variables(list(inputs), list(outputs)):
        bad = _off_grid(v)
        if bad is not None:
            raise Unsupported(
                layer,
                cls,
                f"alkaid gives {bad!r} the grid {v.step!r} (it finds grids in float32 precision, "
                "24 significant bits); the value needs a finer one",
            )
        if v.low != v.high and max(abs(v.low), abs(v.high)) / v.step >= 2.0**FLOAT_BITS:
            raise Unsupported(
                layer, cls, f"a word of range [{v.low}, {v.high}] at step {v.step} exceeds float64's {FLOAT_BITS} bits"
            )
        if v.opr == "cadd":  # v = r * parent + c, r the ratio of their word scales (a power of two)
            parent = v._from[0]
            r = v._factor / parent._factor
            intended = v.low - min(r * parent.low, r * parent.high)
            if stored_added_constant(v) != intended:
                raise Unsupported(
                    layer,
                    cls,
                    f"alkaid would add {stored_added_constant(v)!r} for the constant {intended!r} (it finds a "
                    "constant's grid in float32 precision, 24 significant bits, and packs it in 32)",
                )
