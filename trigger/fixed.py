"""Fixed-point helpers: hls4ml precision types to (width, integer, signed) and raw integers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from trigger.errors import InputError

_AP_RE = re.compile(r"^(ap_)?(u?)fixed<\s*(\d+)\s*,\s*(-?\d+)\s*(,\s*\w+\s*)*>$")


@dataclass(frozen=True)
class FixedType:
    """A two's-complement (or unsigned) fixed-point type."""

    width: int
    integer: int
    signed: bool

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
        return f"{'' if self.signed else 'u'}fixed<{self.width},{self.integer}>"

    def to_raw(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw integers of `x` and a mask of values that lie on this type's grid."""
        scaled = np.asarray(x, dtype=np.float64) * 2.0**self.frac
        raw = np.round(scaled)
        return raw.astype(np.int64), raw == scaled

    def from_raw(self, raw: np.ndarray) -> np.ndarray:
        """Real values of raw integers."""
        return np.asarray(raw, dtype=np.float64) * self.lsb

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Place values on the grid (truncate towards minus infinity) and saturate to the range."""
        q = np.floor(np.asarray(x, dtype=np.float64) * 2.0**self.frac) * self.lsb
        return np.clip(q, self.min_value, self.max_value)


def from_hls_precision(precision) -> FixedType:
    """FixedType of an hls4ml `FixedPrecisionType` / `IntegerPrecisionType`."""
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
