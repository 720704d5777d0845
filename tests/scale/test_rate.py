"""trigger.scale.rate: thresholds on raw scores with known answers, ties, Clopper-Pearson intervals against the
binomial definition, the curve, and the recount check failing on a threshold one raw LSB off."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq
from scipy.stats import binom

from trigger.scale import rate

CL = 0.6827


def test_scores_count_at_or_above_every_threshold():
    s = rate.scores_of(np.array([5, -3, 5, 7, 5, -3]))
    np.testing.assert_array_equal(s.values, [-3, 5, 7])
    np.testing.assert_array_equal(s.counts, [2, 3, 1])
    assert s.n == 6
    np.testing.assert_array_equal(s.at_or_above([-10, -3, -2, 5, 6, 7, 8]), [6, 6, 4, 4, 1, 1, 0])


def test_max_background_count_is_exact():
    assert rate.max_background_count(1e4, 1e6, 1000) == 10  # 0.01 x 1000, no float rounding below 10
    assert rate.max_background_count(9999.0, 1e6, 1000) == 9
    assert rate.max_background_count(1000, 40e6, 10**7) == 250
    assert rate.max_background_count(1.0, 40e6, 1000) == 0


def test_known_threshold_one_event_per_score():
    """Background raw scores 0..999 once each, collision 1e6 Hz, rate 1e4 Hz: a = 0.01, t = 990, 10 above."""
    bg = rate.scores_of(np.arange(1000))
    p = rate.rate_point(bg, {}, 1e4, 1e6, CL)
    assert (p.cut.threshold, p.cut.background_count, p.cut.max_count) == (990, 10, 10)
    assert (p.cut.lower_count, p.cut.tied_below) == (11, 1)
    assert p.rate_hz == 1e4 and p.lower_rate_hz == 11_000.0
    assert p.measured
    q = rate.rate_point(bg, {}, 9e3, 1e6, CL)  # 9 allowed: t = 991, and the rate is only bounded
    assert (q.cut.threshold, q.cut.background_count) == (991, 9)
    assert not q.measured
    assert q.rate_interval_hz[1] == float(rate.clopper_pearson(9, 1000, CL)[1]) * 1e6


def test_ties_meet_the_rate_from_below():
    """Ten events at 0..9, fifty sharing score 10, two at 11 (n = 62, collision 62 kHz: 1 event = 1 kHz)."""
    raw = np.concatenate([np.arange(10), np.full(50, 10), np.full(2, 11)])
    bg = rate.scores_of(raw)
    p = rate.rate_point(bg, {}, 10_000.0, 62_000.0, CL)  # up to 10 events allowed
    assert (p.cut.threshold, p.cut.background_count) == (11, 2)  # 52 at >= 10: the tie cannot be split
    assert (p.cut.lower_count, p.cut.tied_below) == (52, 50)
    assert p.rate_hz == 2000.0 and p.lower_rate_hz == 52_000.0
    z = rate.rate_point(bg, {}, 500.0, 62_000.0, CL)  # nothing allowed: one above the top score
    assert (z.cut.threshold, z.cut.background_count, z.cut.lower_count) == (12, 0, 2)


def test_threshold_below_every_score_and_negative_scores():
    bg = rate.scores_of(np.array([-7, -7, -5, -2]))
    cut = rate.threshold_for(bg, 3)  # 3 of 4 allowed: t = -6 (the two -7s fall below)
    assert (cut.threshold, cut.background_count, cut.lower_count, cut.tied_below) == (-6, 2, 4, 2)
    with pytest.raises(ValueError):
        rate.threshold_for(bg, 4)


def test_threshold_matches_brute_force_on_random_scores():
    rng = np.random.default_rng(7)
    raw = rng.integers(-40, 40, size=3000) // rng.integers(1, 4, size=3000)  # many ties
    bg = rate.scores_of(raw)
    grid = np.arange(raw.min() - 1, raw.max() + 3)
    counts = np.array([np.count_nonzero(raw >= t) for t in grid])
    for max_count in (0, 1, 5, 17, 100, 1499, 2999):
        expected = grid[np.flatnonzero(counts <= max_count)[0]]
        assert rate.threshold_for(bg, max_count).threshold == expected
        assert rate.check_cut(raw, int(expected), max_count) == []


def _reference_interval(k: int, n: int, cl: float) -> tuple[float, float]:
    """Clopper-Pearson from its definition: P(X >= k | lo) = alpha/2 and P(X <= k | hi) = alpha/2."""
    a = (1 - cl) / 2
    lo = 0.0 if k == 0 else brentq(lambda p: binom.sf(k - 1, n, p) - a, 0, 1, xtol=1e-300, rtol=8.9e-16)
    hi = 1.0 if k == n else brentq(lambda p: binom.cdf(k, n, p) - a, 0, 1, xtol=1e-300, rtol=8.9e-16)
    return lo, hi


def test_clopper_pearson_closed_forms_at_zero_and_n():
    a = (1 - CL) / 2
    lo, hi = rate.clopper_pearson(0, 10, CL)
    assert lo == 0.0
    assert abs(hi - (1 - a ** (1 / 10))) < 1e-12
    lo, hi = rate.clopper_pearson(10, 10, CL)
    assert hi == 1.0
    assert abs(lo - a ** (1 / 10)) < 1e-12


@pytest.mark.parametrize("n", [1, 2, 10, 37, 1000, 10**7])
def test_clopper_pearson_against_the_binomial_definition(n):
    ks = sorted({0, 1, 2, n // 3, n - 1, n} & set(range(n + 1)))
    lo, hi = rate.clopper_pearson(np.array(ks), n, CL)
    for k, got_lo, got_hi in zip(ks, lo, hi, strict=True):
        ref_lo, ref_hi = _reference_interval(k, n, CL)
        assert abs(got_lo - ref_lo) < 1e-12, (k, n)
        assert abs(got_hi - ref_hi) < 1e-12, (k, n)


def test_clopper_pearson_other_confidence():
    lo, hi = rate.clopper_pearson(3, 20, 0.95)
    ref = _reference_interval(3, 20, 0.95)
    assert abs(lo - ref[0]) < 1e-12 and abs(hi - ref[1]) < 1e-12


def test_efficiency_of_each_signal():
    bg = rate.scores_of(np.arange(1000))
    sig = {"a": rate.scores_of(np.arange(980, 1000)), "none": rate.scores_of(np.zeros(5, dtype=np.int64))}
    p = rate.rate_point(bg, sig, 1e4, 1e6, CL)  # t = 990
    a, none = p.efficiencies["a"], p.efficiencies["none"]
    assert (a.k, a.n, a.value) == (10, 20, 0.5)
    assert (none.k, none.n, none.value, none.lo) == (0, 5, 0.0, 0.0)
    ref = _reference_interval(10, 20, CL)
    assert abs(a.lo - ref[0]) < 1e-12 and abs(a.hi - ref[1]) < 1e-12


def test_curve_holds_every_background_count_at_its_smallest_threshold():
    bg = rate.scores_of(np.array([1, 1, 3, 6]))
    sig = {"s": rate.scores_of(np.array([2, 3, 5, 7]))}
    c = rate.curve(bg, sig)
    np.testing.assert_array_equal(c.thresholds, [1, 2, 4, 7])
    np.testing.assert_array_equal(c.background, [4, 2, 1, 0])
    np.testing.assert_array_equal(c.signals["s"], [4, 4, 2, 1])
    # every requested rate's threshold lies on the curve
    for max_count in range(4):
        assert rate.threshold_for(bg, max_count).threshold in c.thresholds


def test_check_cut_detects_a_threshold_one_lsb_off():
    raw = np.arange(1000)
    assert rate.check_cut(raw, 990, 10) == []
    (too_low,) = rate.check_cut(raw, 989, 10)
    assert "accepts 11 background events, more than the 10 allowed" in too_low
    (too_high,) = rate.check_cut(raw, 991, 10)
    assert "not the smallest: 990 accepts 10" in too_high


def test_check_counts_detects_a_wrong_count():
    raw = np.arange(100)
    assert rate.check_counts(raw, 90, 10, "sig") == []
    assert rate.check_counts(raw, 90, 11, "sig") == ["sig: 10 events at or above 90, reported 11"]
