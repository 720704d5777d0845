"""ap_fixed conversion semantics on da4ml traced variables (numpy reference: `trigger.fixed.hls_quantize_np`).

Q_T(.) is the ap_fixed assignment conversion to type T: first the quantization (rounding) mode
(TRN, RND, RND_CONV, RND_ZERO, RND_INF, RND_MIN_INF, TRN_ZERO), then the overflow mode
(WRAP, SAT, SAT_SYM, SAT_ZERO).  da4ml itself only truncates (TRN) and wraps / clips; every other
rounding mode is expressed as "add a (possibly data-dependent) offset, then truncate":

    RND          x + s/2
    RND_MIN_INF  x + s/2 - e
    RND_CONV     x + s/2 - e + e*b          b = bit of x that becomes the new LSB  (ties to even)
    RND_INF      x + s/2 - e*n              n = sign bit of x                      (ties away from 0)
    RND_ZERO     x + s/2 - e + e*n                                                 (ties toward 0)
    TRN_ZERO     x + (s - e)*n                                                     (towards 0)

with s = 2**-f_target and e = the step of x (one LSB of the wider source).  Then SAT/SAT_SYM clip
(with limits built by `scaled_const`, not by da4ml's own SAT quantization), WRAP drops the high bits,
and SAT_ZERO muxes overflowing values to 0.
"""

from __future__ import annotations

from decimal import Decimal
from math import floor

import numpy as np
from da4ml.trace import FixedVariable, FixedVariableArray

from trigger.fixed import hls_quantize_np, precision_spec


def _sign_bit(v: FixedVariable):
    """0/1 variable: 1 when v < 0 (or the python int 0 when v can't be negative)."""
    if v.low >= 0:
        return 0
    if v.high < 0:
        return 1
    return v.is_negative()  # quantize(0, i+1, -i) >> i: the two's complement sign bit, as {0, 1}


def odd_exponent(value) -> int:
    """The e with value = odd integer * 2**e (value a non-zero dyadic number), exactly in Decimal."""
    d, e = Decimal(value), 0
    while d % 2 == 0:  # an even integer: move the factors of two into the exponent
        d /= 2
        e += 1
    while d % 1:  # a dyadic fraction: scale it up to an odd integer
        d *= 2
        e -= 1
    return e


def scaled_const(value, hwconf) -> FixedVariable:
    """The constant `value` as a da4ml variable whose hardware word is an odd integer (value = odd * 2**e
    and `_factor` = 2**e), so that da4ml emits it exactly whatever its magnitude or grid.

    da4ml stores the constant operand of a mux (`msb_mux`, from `max_of`/`min_of`) in units of its
    `_factor` and finds its grid with `_const_f`, which only searches 2**-32 .. 2**31.  da4ml's own
    `quantize(..., "SAT")` gives the limits the factor of the clipped variable; after a few layers of
    constant multiplications that factor is 2**-33 or smaller, a limit of +-1 is stored as
    +-2**33 on a grid of 2**31, and the mux (the Verilog `mux` module and the DAIS interpreter behind
    `comb.predict` alike: the result's LSB is taken from the constant's) scales it by 4 or more.
    """
    if Decimal(value) == 0:
        return FixedVariable.from_const(0, hwconf=hwconf)
    e = odd_exponent(value)
    return FixedVariable.from_const(Decimal(value), hwconf=hwconf, _factor=Decimal(2) ** e)


def _ceil_log2(d: Decimal) -> int:
    """The least integer e with 2**e >= d (d > 0), exactly."""
    e = 0
    while Decimal(2) ** e < d:
        e += 1
    while Decimal(2) ** (e - 1) >= d:
        e -= 1
    return e


def _wrap(v: FixedVariable, k: int, i: int, f: int) -> FixedVariable:
    """WRAP (after truncation to f) to (k, i, f), sign extension included.

    da4ml 0.5.2's `quantize(0, i, f, "WRAP")` of a value that can be negative caps i at one more than the
    integer bits of its range, so a negative value loses the ones of its sign extension (ap_fixed<6,1>
    -1.0 to ap_ufixed<2,2> gave 1, not 3).  Adding a power of two 2**p >= -low with p >= i first makes
    the value non-negative without changing it modulo 2**i.
    """
    if not k and v.low < 0:
        _k, _i, _f = v.kif
        step = Decimal(2) ** -min(f, _f)  # da4ml's own bookkeeping (FixedVariable.quantize)
        _i = max(_i, _ceil_log2(-floor(v.low / step) * step))
        if i > _i + 1:
            v = v + Decimal(2) ** max(i, _ceil_log2(-v.low))
    return v.quantize(k, i, f, "WRAP", "TRN")


def _saturate(v: FixedVariable, k: int, i: int, f: int, symmetric: bool) -> FixedVariable:
    """SAT / SAT_SYM of a variable already offset for its rounding mode: truncate to f, clip, drop to (k, i, f).

    da4ml's `quantize(k, i, f, "SAT")` does the same with limits at the variable's own scale; see
    `scaled_const` for why the limits are built here instead.
    """
    _k, _i, _f = v.kif
    s = Decimal(2) ** -f
    hi = Decimal(2) ** i - s
    lo = -hi * k if symmetric else -(Decimal(2) ** i) * k
    if _k <= k and _i <= i and _f <= f and (v.low >= lo):
        return v  # fits already (SAT_SYM also needs v > -2**i)
    if f < _f and _k + _i + f > 0:
        v = v.quantize(_k, _i, f, "WRAP", "TRN")  # truncation only: (k, i) still hold the range
    v = v.max_of(scaled_const(lo, v.hwconf)).min_of(scaled_const(hi, v.hwconf))
    return v.quantize(k, i, f, "WRAP", "TRN")


def _zero_outside(t: FixedVariable, lo: Decimal, hi: Decimal, s: Decimal) -> FixedVariable:
    """t where lo <= t <= hi, else 0 (t, lo and hi on the grid of s; t's may be coarser).

    da4ml 0.5.2's `d.msb_mux(a, b)` of a negated word d (negative `_factor`) returns `(-d).msb_mux(b, a)`:
    wrong at d == 0, and when -d cannot be negative it tests the top bit of an unsigned word, not a sign
    (-fixed<8,4> into SAT_ZERO fixed<8,4>: 8 stayed -8, 4 became 0).  Such a t is handled as -(-t).
    """
    if t._factor < 0:
        return -_zero_outside(-t, -hi, -lo, s)
    zero = FixedVariable.from_const(0, hwconf=t.hwconf)
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


def quantize_var(v: FixedVariable, spec: dict) -> FixedVariable:
    """ap_fixed conversion of one exact da4ml variable to the type described by `spec`."""
    k, i, f, rnd, sat = spec["k"], spec["i"], spec["f"], spec["rnd"], spec["sat"]

    if v.low == v.high:  # constant: fold with the numpy reference
        val = float(hls_quantize_np(float(v.low), spec))
        return FixedVariable.from_const(val, hwconf=v.hwconf)

    _k, _i, _f = v.kif
    if f < _f:  # rounding needed
        s = Decimal(2) ** -f  # target LSB
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
                v = (v + b * float(e / s)) + (s / 2 - e)
        elif rnd in ("RND_INF", "RND_ZERO", "TRN_ZERO"):
            n = _sign_bit(v)
            if rnd == "RND_INF":
                v = v + s / 2 - n * float(e)
            elif rnd == "RND_ZERO":
                v = v + (s / 2 - e) + n * float(e)
            elif isinstance(n, int):
                v = v + n * (s - e)
            elif _f <= 32:
                v = v + n * float(s - e)
            else:  # da4ml decomposes constants with more than 32 fractional bits wrongly: two power-of-two terms
                v = v + n * float(s) - n * float(e)
        # TRN: nothing to add
    # now v is exactly "x + offset"; truncation to f + overflow handling below

    if sat == "WRAP":
        return _wrap(v, k, i, f)
    if sat in ("SAT", "SAT_SYM"):
        return _saturate(v, k, i, f, symmetric=sat == "SAT_SYM" and bool(k))
    # SAT_ZERO: out-of-range values (after rounding) become 0
    vk, vi, vf = v.kif
    # truncate only (no wrap); a signed value needs i >= -f: floor(-2**-f < x < 0) = -2**-f (da4ml gives
    # the constant 0 for k + i + f <= 0)
    t = v.quantize(vk, max(vi, -f) if vk else vi, f, "WRAP", "TRN") if f < vf else v
    s = Decimal(2) ** -f
    t = _zero_outside(t, -(Decimal(2) ** i) * k, Decimal(2) ** i - s, s)
    if t.low == t.high:
        return FixedVariable.from_const(float(t.low), hwconf=v.hwconf)
    return t.quantize(k, i, f, "WRAP", "TRN")


def quantize_array(x: FixedVariableArray, precision) -> FixedVariableArray:
    spec = precision_spec(precision)
    out = np.empty(x.shape, dtype=object)
    for idx, v in np.ndenumerate(x._vars):
        out[idx] = quantize_var(v, spec)
    return FixedVariableArray(out, x.solver_options)
