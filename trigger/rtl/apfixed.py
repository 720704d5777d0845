"""ap_fixed conversion semantics on alkaid traced variables (numpy reference: `trigger.fixed.hls_quantize_np`).

Q_T(.) is the ap_fixed assignment conversion to type T: first the quantization (rounding) mode
(TRN, RND, RND_CONV, RND_ZERO, RND_INF, RND_MIN_INF, TRN_ZERO), then the overflow mode
(WRAP, SAT, SAT_SYM, SAT_ZERO).  alkaid's own `quantize` offers TRN, RND and RND_CONV (the last with WRAP
only); every rounding mode is expressed here as "add a (possibly data-dependent) offset, then truncate":

    RND          x + s/2
    RND_MIN_INF  x + s/2 - e
    RND_CONV     x + s/2 - e + e*b          b = bit of x that becomes the new LSB  (ties to even)
    RND_INF      x + s/2 - e*n              n = sign bit of x                      (ties away from 0)
    RND_ZERO     x + s/2 - e + e*n                                                 (ties toward 0)
    TRN_ZERO     x + (s - e)*n                                                     (towards 0)

with s = 2**-f_target and e = the step of x (one LSB of the wider source).  Then SAT/SAT_SYM clip
(limits are constants at their own scale), WRAP drops the high bits,
and SAT_ZERO muxes overflowing values to 0.

alkaid keeps bounds, steps and constants as float64: every value here is a dyadic number of at most 53
significant bits (`trigger.rtl.checks` refuses wider words), so the float arithmetic below is exact.
The three work-arounds below were written for da4ml 0.5.2 and are kept because they are exact in any
case; `tests/rtl/test_quantize_var.py` checks every mode against the numpy reference on alkaid.
"""

from __future__ import annotations

from math import floor, frexp

import numpy as np
from alkaid.trace import FVariable, FVArray

from trigger.fixed import hls_quantize_np, precision_spec


def _sign_bit(v: FVariable):
    """0/1 variable: 1 when v < 0 (or the python int 0 when v can't be negative)."""
    if v.low >= 0:
        return 0
    if v.high < 0:
        return 1
    return v.is_negative()  # quantize(0, i+1, -i) >> i: the two's complement sign bit, as {0, 1}


def _ceil_log2(d: float) -> int:
    """The least integer e with 2**e >= d (d > 0), exactly (frexp: d = m * 2**e with 0.5 <= m < 1)."""
    m, e = frexp(d)
    return e - 1 if m == 0.5 else e


def _wrap(v: FVariable, k: int, i: int, f: int) -> FVariable:
    """WRAP (after truncation to f) to (k, i, f), sign extension included.

    da4ml 0.5.2's `quantize(0, i, f, "WRAP")` of a value that can be negative caps i at one more than the
    integer bits of its range, so a negative value loses the ones of its sign extension (ap_fixed<6,1>
    -1.0 to ap_ufixed<2,2> gave 1, not 3).  Adding a power of two 2**p >= -low with p >= i first makes
    the value non-negative without changing it modulo 2**i.
    """
    if not k and v.low < 0:
        _k, _i, _f = v.kif
        step = 2.0 ** -min(f, _f)
        _i = max(_i, _ceil_log2(-floor(v.low / step) * step))
        if i > _i + 1:
            v = v + 2.0 ** max(i, _ceil_log2(-v.low))
    return v.quantize(k, i, f, "WRAP", "TRN")


def _saturate(v: FVariable, k: int, i: int, f: int, symmetric: bool) -> FVariable:
    """SAT / SAT_SYM of a variable already offset for its rounding mode: truncate to f, clip, drop to (k, i, f).

    The limits are constants at their own scale (`FVariable.from_const`); da4ml 0.5.2 built them at the
    clipped word's scale and emitted them on a wrong grid below 2**-32 (FINN TFC-w2a2).
    """
    _k, _i, _f = v.kif
    s = 2.0**-f
    hi = 2.0**i - s
    lo = -hi * k if symmetric else -(2.0**i) * k
    if _k <= k and _i <= i and _f <= f and (v.low >= lo):
        return v  # fits already (SAT_SYM also needs v > -2**i)
    if f < _f and _k + _i + f > 0:
        v = v.quantize(_k, _i, f, "WRAP", "TRN")  # truncation only: (k, i) still hold the range
    v = v.max_of(FVariable.from_const(lo, hwconf=v.hwconf)).min_of(FVariable.from_const(hi, hwconf=v.hwconf))
    return v.quantize(k, i, f, "WRAP", "TRN")


def _zero_outside(t: FVariable, lo: float, hi: float, s: float) -> FVariable:
    """t where lo <= t <= hi, else 0 (t, lo and hi on the grid of s; t's may be coarser).

    da4ml 0.5.2's `d.msb_mux(a, b)` of a negated word d (negative `_factor`) returns `(-d).msb_mux(b, a)`:
    wrong at d == 0, and when -d cannot be negative it tests the top bit of an unsigned word, not a sign
    (-fixed<8,4> into SAT_ZERO fixed<8,4>: 8 stayed -8, 4 became 0).  Such a t is handled as -(-t).
    """
    if t._factor < 0:
        return -_zero_outside(-t, -hi, -lo, s)
    zero = FVariable.from_const(0, hwconf=t.hwconf)
    if t.high > hi:
        if t.low > hi:
            t = zero
        else:
            d = t - (hi + s)  # < 0  <=>  t <= hi
            t = d.msb_mux(t, zero)
    if t.low < lo and not (t.low == t.high == 0):
        if t.high < lo:
            t = zero
        else:
            d = t - lo  # < 0  <=>  t < lo
            t = d.msb_mux(zero, t)
    return t


def quantize_var(v: FVariable, spec: dict) -> FVariable:
    """ap_fixed conversion of one exact alkaid variable to the type described by `spec`."""
    k, i, f, rnd, sat = spec["k"], spec["i"], spec["f"], spec["rnd"], spec["sat"]

    if v.low == v.high:  # constant: fold with the numpy reference
        val = float(hls_quantize_np(float(v.low), spec))
        return FVariable.from_const(val, hwconf=v.hwconf)

    _k, _i, _f = v.kif
    if f < _f:  # rounding needed
        s = 2.0**-f  # target LSB
        e = v.step  # source LSB
        if rnd == "RND":
            v = v + s / 2
        elif rnd == "RND_MIN_INF":
            v = v + (s / 2 - e)
        elif rnd == "RND_CONV":
            # the bit of weight s (the LSB that survives truncation), as a {0, s} variable
            b = v.quantize(0, 1 - f, f, "WRAP", "TRN")
            if b.low == b.high:
                v = v + (s / 2 - e) + (e if b.low else 0)
            else:
                v = (v + b * (e / s)) + (s / 2 - e)
        elif rnd in ("RND_INF", "RND_ZERO", "TRN_ZERO"):
            n = _sign_bit(v)
            if rnd == "RND_INF":
                v = v + s / 2 - n * e
            elif rnd == "RND_ZERO":
                v = v + (s / 2 - e) + n * e
            elif isinstance(n, int):
                v = v + n * (s - e)
            else:  # two power-of-two terms: no constant multiplier (da4ml 0.5.2 decomposed s - e wrongly)
                v = v + n * s - n * e
        # TRN: nothing to add
    # now v is exactly "x + offset"; truncation to f + overflow handling below

    if sat == "WRAP":
        return _wrap(v, k, i, f)
    if sat in ("SAT", "SAT_SYM"):
        return _saturate(v, k, i, f, symmetric=sat == "SAT_SYM" and bool(k))
    # SAT_ZERO: out-of-range values (after rounding) become 0
    vk, vi, vf = v.kif
    # truncate only (no wrap); a signed value needs i >= -f: floor(-2**-f < x < 0) = -2**-f (alkaid gives
    # the constant 0 for k + i + f <= 0)
    t = v.quantize(vk, max(vi, -f) if vk else vi, f, "WRAP", "TRN") if f < vf else v
    s = 2.0**-f
    t = _zero_outside(t, -(2.0**i) * k, 2.0**i - s, s)
    if t.low == t.high:
        return FVariable.from_const(float(t.low), hwconf=v.hwconf)
    return t.quantize(k, i, f, "WRAP", "TRN")


def quantize_array(x: FVArray, precision) -> FVArray:
    """`quantize_var` on every element of `x` (any shape) to the hls4ml precision type `precision`."""
    spec = precision_spec(precision)
    out = np.empty(x.shape, dtype=object)
    for idx, v in np.ndenumerate(np.asarray(x)):
        out[idx] = quantize_var(v, spec)
    return FVArray(out, x.solver_options, hwconf=x.hwconf)
