"""da4ml tracing stays exact where its decimal bookkeeping or its constant decomposition would not be."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.fixed import hls_quantize_np


def _grid(n: int, f: int, lim: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(-lim * 2**f, lim * 2**f, (n, 1)) / 2.0**f


@pytest.mark.parametrize("seed", range(8))
def test_deep_chain_of_constant_multiplications_is_exact(seed):
    """Twelve layers y = Q(y * s + b) with ap_fixed<16,6> constants: da4ml's power-of-two scale of
    the words reaches ~2**-120, which Python's default 28-digit decimals round (most seeds then came
    out an LSB off); `exact_decimals` does not."""
    from da4ml.trace import FixedVariableArrayInput, HWConfig, comb_trace

    from trigger.rtl.apfixed import quantize_var
    from trigger.rtl.translate import exact_decimals

    spec = dict(k=1, i=5, f=10, width=16, rnd="TRN", sat="WRAP", signed=True)
    rng = np.random.default_rng(seed)
    scales = hls_quantize_np(rng.uniform(0.5, 1.5, 12) * rng.choice([-1, 1], 12), spec)
    biases = hls_quantize_np(rng.normal(0, 1, 12), spec)
    with exact_decimals():
        inp = FixedVariableArrayInput((1,), hwconf=HWConfig(1, -1, -1), solver_options={"hard_dc": 2})
        y = inp.quantize(1, 5, 10)._vars[0]
        for s, b in zip(scales, biases, strict=True):
            y = quantize_var(y * float(s) + float(b), spec)
        comb = comb_trace(list(inp._vars), [y])
    x = _grid(4000, 10, 32, seed=1)
    ref = x[:, 0]
    for s, b in zip(scales, biases, strict=True):
        ref = hls_quantize_np(ref * s + b, spec)
    np.testing.assert_array_equal(comb.predict(x)[:, 0], ref)


@pytest.mark.parametrize("rnd", ["TRN_ZERO", "RND_ZERO", "RND_INF", "RND_CONV"])
def test_rounding_from_more_than_32_fractional_bits(rnd):
    """v = x0 + x1 * 2**-26 has 36 fractional bits, rounded to 8: da4ml finds at most 32 fractional
    bits in a constant, so no rounding offset may be a constant needing more (TRN_ZERO's s - e did,
    which moved negative values already on the target grid up by one LSB)."""
    from da4ml.trace import FixedVariableArrayInput, HWConfig, comb_trace

    from trigger.rtl.apfixed import quantize_var
    from trigger.rtl.translate import exact_decimals

    spec = dict(k=1, i=7, f=8, width=16, rnd=rnd, sat="SAT", signed=True)
    with exact_decimals():
        inp = FixedVariableArrayInput((2,), hwconf=HWConfig(1, -1, -1), solver_options={"hard_dc": 2})
        x = inp.quantize(1, 5, 10)._vars
        v = x[0] + x[1] * 2.0**-26
        assert v.kif[2] == 36
        comb = comb_trace(list(inp._vars), [quantize_var(v, spec)])
    xs = np.hstack([_grid(4000, 10, 32, seed=2), _grid(4000, 10, 32, seed=3)])
    xs[::2, 1] = 0  # half of the values exactly x0 ...
    xs[::4, 0] = np.round(xs[::4, 0] * 2**8) / 2**8  # ... on the target grid
    xs[1::4, 0] = np.floor(xs[1::4, 0] * 2**8) / 2**8 + 2**-9  # ... or on a tie
    ref = hls_quantize_np(xs[:, 0] + xs[:, 1] * 2.0**-26, spec)
    np.testing.assert_array_equal(comb.predict(xs)[:, 0], ref)


def _tiny_scale_word(inp):
    """x * (1/2 + 2**-17) * (1/2 + 2**-17): da4ml keeps the word at a power-of-two scale (`_factor`) of 2**-34."""
    c = 0.5 + 2.0**-17
    v = inp.quantize(1, 5, 0)._vars[0] * c * c
    assert v._factor < 2**-32
    return v, c * c


@pytest.mark.parametrize("sat", ["SAT", "SAT_SYM"])
@pytest.mark.parametrize("rnd", ["TRN", "RND_CONV"])
def test_saturation_of_a_word_at_a_tiny_scale(sat, rnd):
    """FINN TFC-w2a2: after three BatchNormalizations da4ml's scale of some channels' words was 2**-33; its
    own SAT quantization then clipped against +-1 stored as +-2**33 on a grid of 2**31, which its mux
    read as +-4 (Verilog and comb.predict alike), and the ap_fixed<2,2,AP_RND_CONV,AP_SAT_SYM> outputs
    of those channels were always 0."""
    from da4ml.trace import FixedVariableArrayInput, HWConfig, comb_trace

    from trigger.rtl.apfixed import quantize_var
    from trigger.rtl.translate import exact_decimals

    spec = dict(k=1, i=1, f=0, width=2, rnd=rnd, sat=sat, signed=True)
    with exact_decimals():
        inp = FixedVariableArrayInput((1,), hwconf=HWConfig(1, -1, -1), solver_options={"hard_dc": 2})
        v, c = _tiny_scale_word(inp)
        comb = comb_trace(list(inp._vars), [quantize_var(v, spec)])
    xs = np.arange(-32, 32, dtype=np.float64)[:, None]
    ref = hls_quantize_np(xs[:, 0] * c, spec)
    assert set(ref) == ({-1.0, 0.0, 1.0} if sat == "SAT_SYM" else {-2.0, -1.0, 0.0, 1.0})
    np.testing.assert_array_equal(comb.predict(xs)[:, 0], ref)


def test_constant_da4ml_would_emit_on_a_wrong_grid_is_unsupported():
    """da4ml's own SAT quantization of such a word: the trace check refuses it instead of a wrong design."""
    from da4ml.trace import FixedVariableArrayInput, HWConfig

    from trigger.rtl import translate

    class Layer:
        class_name = "BatchNormalization"

    with translate.exact_decimals():
        inp = FixedVariableArrayInput((1,), hwconf=HWConfig(1, -1, -1), solver_options={"hard_dc": 2})
        v, _ = _tiny_scale_word(inp)
        y = v.quantize(1, 1, 0, "SAT", "TRN")
        with pytest.raises(translate.Unsupported, match="would emit the constant .* on a wrong grid"):
            translate._check_added_constants(list(inp._vars), [y], "bn", Layer)
