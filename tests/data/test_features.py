"""The jet features' energy correlation ratios against a direct sum over particle pairs and triplets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from trigger.data.features import NAMES, correlators, delta_r, jet_features


def _brute(z: np.ndarray, dr: np.ndarray) -> dict[str, float]:
    """The same ratios written out as explicit loops (fastjet-contrib's definitions)."""
    n = len(z)
    out = {}
    e2 = {b: sum(z[i] * z[j] * dr[i, j] ** b for i, j in itertools.combinations(range(n), 2)) for b in (0, 1, 2)}
    for b in (1, 2):
        full = mini = two = 0.0
        for i, j, k in itertools.combinations(range(n), 3):
            angles = sorted((dr[i, j] ** b, dr[i, k] ** b, dr[j, k] ** b))
            w = z[i] * z[j] * z[k]
            full += w * angles[0] * angles[1] * angles[2]
            mini += w * angles[0]
            two += w * angles[0] * angles[1]
        out[f"e3_{b}"] = full
        out[f"c2_b{b}_mmdt"] = full / e2[b] ** 2
        out[f"d2_b{b}_mmdt"] = full / e2[b] ** 3
        out[f"m2_b{b}_mmdt"] = mini / e2[b]
        out[f"n2_b{b}_mmdt"] = two / e2[b] ** 2
    for b in (0, 1, 2):
        out[f"c1_b{b}_mmdt"] = e2[b]
    for b in (1, 2):
        out[f"d2_a1_b{b}_mmdt"] = out["e3_1"] / e2[b] ** (3 / b)
    del out["e3_1"], out["e3_2"]
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_correlators_equal_the_explicit_sums(seed):
    rng = np.random.default_rng(seed)
    n = 9
    pt = rng.exponential(50.0, n) + 1.0
    y, phi = rng.normal(0, 0.3, n), rng.normal(3.1, 0.3, n)  # straddles the azimuth wrap at pi
    z = pt / pt.sum()
    fast, slow = correlators(z, delta_r(y, phi)), _brute(z, delta_r(y, phi))
    assert set(fast) == set(slow)
    for key in slow:  # floating point, summed in a different order: equal to rounding
        assert fast[key] == pytest.approx(slow[key], rel=1e-12), key


def test_two_prong_jet_has_known_values():
    d = 0.4
    features = jet_features(
        np.array([100.0, 100.0]), {"pt": np.array([100.0, 100.0]), "y": np.array([0.0, d]), "phi": np.zeros(2)}, 80.0
    )
    values = dict(zip(NAMES, features, strict=True))
    assert values["zlogz"] == pytest.approx(np.log(0.5))
    assert values["c1_b0_mmdt"] == pytest.approx(0.25) and values["c1_b2_mmdt"] == pytest.approx(0.25 * d**2)
    assert values["c2_b1_mmdt"] == 0.0 and values["d2_b2_mmdt"] == 0.0  # no third prong
    assert values["mass_mmdt"] == 80.0 and values["multiplicity"] == 2.0


def test_a_jet_groomed_to_one_particle_has_zero_ratios():
    one = {"pt": np.array([500.0]), "y": np.array([0.1]), "phi": np.array([0.2])}
    values = dict(zip(NAMES, jet_features(np.array([500.0, 3.0]), one, 0.14), strict=True))
    assert values["c1_b1_mmdt"] == 0.0 and values["d2_b1_mmdt"] == 0.0 and values["n2_b2_mmdt"] == 0.0
    assert values["multiplicity"] == 2.0
