"""alkaid's float64 bookkeeping stays exact where da4ml 0.5.2's decimals did not, and `trigger.rtl.checks`
refuses the traces it could not emit exactly."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.fixed import hls_quantize_np


def _grid(n: int, f: int, lim: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-lim * 2**f, lim * 2**f, (n, 1)) / 2.0**f


def _input(n: int):
    from alkaid.trace import FVArrayInput, HWConfig

    return FVArrayInput((n,), hwconf=HWConfig(1, -1, -1), solver_options={"hard_dc": 2})


@pytest.mark.parametrize("seed", range(8))
def test_deep_chain_of_constant_multiplications_is_exact(seed):
    """Twelve layers y = Q(y * s + b) with ap_fixed<16,6> constants: the power-of-two scale of the words
    reaches ~2**-120 (da4ml 0.5.2's 28-digit decimals then stored biases an LSB short)."""
    from alkaid.trace import trace

    from trigger.rtl.apfixed import quantize_var

    spec = dict(k=1, i=5, f=10, width=16, rnd="TRN", sat="WRAP", signed=True)
    rng = np.random.default_rng(seed)
    scales = hls_quantize_np(rng.uniform(0.5, 1.5, 12) * rng.choice([-1, 1], 12), spec)
    biases = hls_quantize_np(rng.normal(0, 1, 12), spec)
    inp = _input(1)
    y = inp.quantize(1, 5, 10)[0]
    for s, b in zip(scales, biases, strict=True):
        y = quantize_var(y * float(s) + float(b), spec)
    comb = trace(list(inp), [y])
    x = _grid(4000, 10, 32, seed=1)
    ref = x[:, 0]
    for s, b in zip(scales, biases, strict=True):
        ref = hls_quantize_np(ref * s + b, spec)
    np.testing.assert_array_equal(comb.predict(x)[:, 0], ref)


@pytest.mark.parametrize("rnd", ["TRN_ZERO", "RND_INF", "RND", "RND_ZERO", "RND_CONV"])
def test_rounding_from_more_than_32_fractional_bits(rnd):
    """v = x0 + x1 * 2**-26 has 36 fractional bits, rounded to 8 (da4ml 0.5.2 decomposed TRN_ZERO's
    offset s - e wrongly and moved negative values on the target grid up by one LSB).  RND_ZERO and
    RND_CONV add s/2 - e, a 27-bit constant alkaid stores as 0: the trace check refuses them."""
    from alkaid.trace import trace

    from trigger.rtl.apfixed import quantize_var
    from trigger.rtl.checks import check_trace
    from trigger.rtl.registry import Unsupported

    spec = dict(k=1, i=7, f=8, width=16, rnd=rnd, sat="SAT", signed=True)
    inp = _input(2)
    x = inp.quantize(1, 5, 10)
    v = x[0] + x[1] * 2.0**-26
    assert v.kif[2] == 36
    y = quantize_var(v, spec)
    if rnd in ("RND_ZERO", "RND_CONV"):
        with pytest.raises(Unsupported, match="float32 precision"):
            check_trace(list(inp), [y], "q", "Activation")
        return
    check_trace(list(inp), [y], "q", "Activation")
    comb = trace(list(inp), [y])
    xs = np.hstack([_grid(4000, 10, 32, seed=2), _grid(4000, 10, 32, seed=3)])
    xs[::2, 1] = 0  # half of the values exactly x0 ...
    xs[::4, 0] = np.round(xs[::4, 0] * 2**8) / 2**8  # ... on the target grid
    xs[1::4, 0] = np.floor(xs[1::4, 0] * 2**8) / 2**8 + 2**-9  # ... or on a tie
    ref = hls_quantize_np(xs[:, 0] + xs[:, 1] * 2.0**-26, spec)
    np.testing.assert_array_equal(comb.predict(xs)[:, 0], ref)


@pytest.mark.parametrize("sat", ["SAT", "SAT_SYM"])
@pytest.mark.parametrize("rnd", ["TRN", "RND_CONV"])
def test_saturation_of_a_word_at_a_tiny_scale(sat, rnd):
    """FINN TFC-w2a2: a word at scale ~2**-34 saturated to ap_fixed<2,2> (da4ml 0.5.2 emitted the limits
    on a wrong grid and those channels were always 0)."""
    from alkaid.trace import trace

    from trigger.rtl.apfixed import quantize_var

    spec = dict(k=1, i=1, f=0, width=2, rnd=rnd, sat=sat, signed=True)
    c = 0.5 + 2.0**-17
    inp = _input(1)
    v = inp.quantize(1, 5, 0)[0] * c * c
    comb = trace(list(inp), [quantize_var(v, spec)])
    xs = np.arange(-32, 32, dtype=np.float64)[:, None]
    ref = hls_quantize_np(xs[:, 0] * c * c, spec)
    assert set(ref) == ({-1.0, 0.0, 1.0} if sat == "SAT_SYM" else {-2.0, -1.0, 0.0, 1.0})
    np.testing.assert_array_equal(comb.predict(xs)[:, 0], ref)


def test_an_added_constant_alkaid_would_round_is_unsupported():
    """1 + 2**-40 would be added as 1 (its grid is found in float32; its mantissa would not fit 32 bits)."""
    from alkaid.trace import trace

    from trigger.rtl.checks import check_trace
    from trigger.rtl.registry import Unsupported

    inp = _input(1)
    x = inp.quantize(1, 5, 40)
    y = x[0] + (1 + 2.0**-40)
    comb = trace(list(inp), [y])
    xs = np.zeros((1, 1))
    assert comb.predict(xs)[0, 0] != 1 + 2.0**-40  # what the unchecked design computes
    with pytest.raises(Unsupported, match=r"1\.0000000000009.* float32 precision"):
        check_trace(list(inp), [y], "bias", "Dense")
    check_trace(list(inp), [x[0] + (1 + 2.0**-20)], "bias", "Dense")  # 21 significant bits: fine


def test_a_constant_alkaid_would_truncate_is_unsupported():
    """alkaid finds a constant's grid in float32 precision: 24-bit constants are added exactly, 25-bit
    ones are not (the check's bound is exactly that line, on the emulator's real behaviour)."""
    from alkaid.trace import trace

    from trigger.rtl.checks import check_trace
    from trigger.rtl.registry import Unsupported

    xs = np.arange(-8, 8, dtype=np.float64)[:, None]
    for bits, ok in ((24, True), (25, False)):
        inp = _input(1)
        c = 2.0**-9 - 2.0 ** -(9 + bits)  # odd mantissa of `bits` bits
        y = inp.quantize(1, 5, 0)[0] + c
        exact = bool((trace(list(inp), [y]).predict(xs)[:, 0] == xs[:, 0] + c).all())
        assert exact is ok
        if ok:
            check_trace(list(inp), [y], "bias", "Dense")
        else:
            with pytest.raises(Unsupported, match="float32 precision"):
                check_trace(list(inp), [y], "bias", "Dense")


def test_a_word_wider_than_float64_is_unsupported():
    from trigger.rtl.checks import check_trace
    from trigger.rtl.registry import Unsupported

    inp = _input(2)
    x = inp.quantize(1, 30, 20)
    wide = x[0] * x[1]  # 101-bit product
    with pytest.raises(Unsupported, match="exceeds float64's 53 bits"):
        check_trace(list(inp), [wide], "mul", "Multiply")
    check_trace(list(inp), [x[0] + x[1]], "add", "Add")  # 52 bits: fine
