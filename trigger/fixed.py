"""Fixed-point helpers: hls4ml precision types, raw integers, and ap_fixed conversion in numpy.

`hls_quantize_np` is the numpy reference of an ap_fixed assignment for every rounding (TRN, RND,
RND_CONV, ...) and overflow (WRAP, SAT, SAT_SYM, SAT_ZERO) mode; the RTL path (`trigger.rtl.apfixed`)
builds the same conversions in alkaid and checks against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from trigger.errors import InputError

_AP_RE = re.compile(r"^(ap_)?(u?)fixed<\s*(\d+)\s*,\s*(-?\d+)\s*(,\s*\w+\s*)*>$")


@dataclass(frozen=True)
class FixedType:
    """A two's-complement (or unsigned) fixed-point type, or hls4ml's one-bit bipolar encoding.

    `bipolar`: hls4ml's `XnorPrecisionType` (printed `uint<1>`) stores a value of {-1, +1} (a
    BipolarQuant / binary activation) as one bit b meaning 2b - 1; its raw integer is that bit.
    """

    width: int
    integer: int
    signed: bool
    bipolar: bool = False

    @property
    def frac(self) -> int:
        """Number of fractional bits."""
        return self.width - self.integer

    @property
    def lsb(self) -> float:
        """Value of one least-significant bit."""
        return 2.0**-self.frac

    @property
    def min_value(self) -> float:
        """Smallest representable value."""
        return -(2.0 ** (self.integer - 1)) if self.signed else 0.0

    @property
    def max_value(self) -> float:
        """Largest representable value."""
        top = self.integer - 1 if self.signed else self.integer
        return 2.0**top - self.lsb

    def __str__(self) -> str:
        if self.bipolar:
            return BIPOLAR_NAME
        return f"{'' if self.signed else 'u'}fixed<{self.width},{self.integer}>"

    def to_raw(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw integers of real values `x` and a mask of values that lie on this type's grid."""
        x = np.asarray(x, dtype=np.float64)
        if self.bipolar:  # -1 -> 0, +1 -> 1; anything else is off the grid
            return (x > 0).astype(np.int64), np.abs(x) == 1.0
        scaled = x * 2.0**self.frac
        raw = np.round(scaled)
        return raw.astype(np.int64), raw == scaled

    def from_raw(self, raw: np.ndarray) -> np.ndarray:
        """Real values of raw integers."""
        if self.bipolar:
            return 2.0 * np.asarray(raw, dtype=np.float64) - 1.0
        return np.asarray(raw, dtype=np.float64) * self.lsb

    def from_hls_values(self, values: np.ndarray) -> np.ndarray:
        """Real values of what hls4ml's C simulation prints for this type (a bipolar bit prints as 0/1)."""
        values = np.asarray(values, dtype=np.float64)
        return 2.0 * values - 1.0 if self.bipolar else values

    def spec(self, rnd: str = "TRN", sat: str = "SAT") -> dict:
        """This type as a conversion spec for `hls_quantize_np` (default: truncate, saturate)."""
        k = int(self.signed)
        return dict(k=k, i=self.integer - k, f=self.frac, width=self.width, rnd=rnd, sat=sat, signed=self.signed)

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Place values on the grid (truncate towards minus infinity) and saturate to the range."""
        if self.bipolar:  # BipolarQuant: x >= 0 -> +1, else -1
            return np.where(np.asarray(x, dtype=np.float64) >= 0, 1.0, -1.0)
        return hls_quantize_np(x, self.spec())


BIPOLAR_NAME = "bipolar<1>"
BIPOLAR = FixedType(1, 1, False, bipolar=True)


def fixed_type_from_str(text: str) -> FixedType:
    """FixedType of its own string form (`fixed<16,6>`, `ufixed<8,0>`, `bipolar<1>`) or an ap_fixed type string."""
    if text.strip() == BIPOLAR_NAME:
        return BIPOLAR
    m = _AP_RE.match(text.replace(" ", ""))
    if not m:
        raise ValueError(f"{text!r} is not a fixed-point type")
    return FixedType(int(m.group(3)), int(m.group(4)), m.group(2) != "u")


def is_xnor_precision(precision) -> bool:
    """True for hls4ml's `XnorPrecisionType`, also after a backend has re-classed it (the Vitis backend makes
    every precision an instance of a generated subclass such as `APXnorPrecisionType`)."""
    return any(cls.__name__ == "XnorPrecisionType" for cls in type(precision).__mro__)


def from_hls_precision(precision) -> FixedType:
    """FixedType of an hls4ml `FixedPrecisionType` / `IntegerPrecisionType` / `XnorPrecisionType`."""
    if is_xnor_precision(precision):
        return BIPOLAR
    width = int(precision.width)
    integer = int(getattr(precision, "integer", width))
    return FixedType(width, integer, bool(precision.signed))


def parse_precision(text: str) -> str:
    """Validate an `ap_fixed<W,I>` style precision string and return it normalised."""
    m = _AP_RE.match(text.replace(" ", ""))
    if not m or int(m.group(3)) < 1:
        raise InputError(
            f"--precision '{text}' is not a fixed-point type; use e.g. ap_fixed<16,6> or ap_fixed<18,8,AP_RND,AP_SAT>."
        )
    return text.replace(" ", "")


ROUNDING_MODES = ("TRN", "RND", "RND_CONV", "RND_ZERO", "RND_INF", "RND_MIN_INF", "TRN_ZERO")
SATURATION_MODES = ("WRAP", "SAT", "SAT_SYM", "SAT_ZERO")


def precision_spec(precision) -> dict:
    """(k, i, f, width, rounding, saturation) of an hls4ml Fixed/IntegerPrecisionType.

    k = sign bit (0/1), i = integer bits excluding the sign, f = fractional bits: alkaid's kif
    convention.  ap_fixed<W,I> -> (1, I-1, W-I);  ap_ufixed<W,I> -> (0, I, W-I).
    """
    for attr in ("width", "signed", "integer", "rounding_mode", "saturation_mode"):
        if not hasattr(precision, attr):
            raise NotImplementedError(
                f"precision type {precision!r} ({type(precision).__name__}) is not fixed-point/integer"
            )
    width, integer, signed = int(precision.width), int(precision.integer), bool(precision.signed)
    rnd, sat = str(precision.rounding_mode), str(precision.saturation_mode)
    sat_bits = int(getattr(precision, "saturation_bits", 0) or 0)
    if rnd not in ROUNDING_MODES:
        raise NotImplementedError(f"rounding mode {rnd} of {precision}")
    if sat not in SATURATION_MODES:
        raise NotImplementedError(f"saturation mode {sat} of {precision}")
    if sat_bits and sat == "WRAP":
        raise NotImplementedError(f"WRAP with saturation_bits={sat_bits} ({precision}) is not supported")
    k = int(signed)
    return dict(k=k, i=integer - k, f=width - integer, width=width, rnd=rnd, sat=sat, signed=signed)


def int_bounds(spec) -> tuple[int, int]:
    """Raw-integer range of a type, before any SAT_SYM adjustment."""
    w = spec["width"]
    return (-(2 ** (w - 1)), 2 ** (w - 1) - 1) if spec["signed"] else (0, 2**w - 1)


def _rounded(y: np.ndarray, tie_rule) -> np.ndarray:
    """Round half up, except where y is exactly halfway: there `tie_rule(y, floor(y))`."""
    fl = np.floor(y)
    tie = (y - fl) == 0.5
    return np.where(tie, tie_rule(y, fl), np.floor(y + 0.5))


_ROUNDINGS = {
    "TRN": np.floor,
    "RND": lambda y: np.floor(y + 0.5),
    "RND_MIN_INF": lambda y: _rounded(y, lambda y, fl: fl),
    "RND_CONV": lambda y: _rounded(y, lambda y, fl: fl + np.mod(fl, 2)),
    "RND_ZERO": lambda y: _rounded(y, lambda y, fl: np.where(y > 0, fl, fl + 1)),
    "RND_INF": lambda y: _rounded(y, lambda y, fl: np.where(y > 0, fl + 1, fl)),
    "TRN_ZERO": np.trunc,
}


def hls_quantize_np(x, precision) -> np.ndarray:
    """Numpy reference of `T(double)` / `T t = wider_value;` for ap_fixed type T (float64 exact).

    Valid while x * 2**f fits in float64's 53-bit mantissa (true for every use here).
    """
    spec = precision_spec(precision) if not isinstance(precision, dict) else precision
    f, rnd, sat = spec["f"], spec["rnd"], spec["sat"]
    y = np.asarray(x, dtype=np.float64) * 2.0**f
    q = _ROUNDINGS[rnd](y)  # only the mode asked for (the vectors of trigger-emulate pass here)
    lo, hi = int_bounds(spec)
    if sat == "WRAP":
        q = np.mod(q - lo, 2.0 ** spec["width"]) + lo
    elif sat == "SAT":
        q = np.clip(q, lo, hi)
    elif sat == "SAT_SYM":
        q = np.clip(q, -hi if spec["signed"] else lo, hi)
    elif sat == "SAT_ZERO":
        q = np.where((q < lo) | (q > hi), 0.0, q)
    return q * 2.0**-f
