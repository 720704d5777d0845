"""The 16 high-level jet features of the public hls4ml LHC jet data set, in numpy.

Energy correlation functions use the `pt_R` measure of fastjet-contrib's EnergyCorrelator: energies are
transverse momenta (as fractions z of the jet's), angles are distances in (rapidity, azimuth). On the
mMDT-groomed jet (`_mmdt`):

    C1(b) = e2(b)                       C2(b) = e3(b) / e2(b)^2          D2(b) = e3(b) / e2(b)^3
    M2(b) = 1e3(b) / 1e2(b)             N2(b) = 2e3(b) / 1e2(b)^2        D2(a, b) = 3e3(a) / 1e2(b)^(3a/b)

where e_n(b) sums z_i z_j (z_k) times the product of all pairwise angles^b, and the generalized v_e_n(b)
(Moult, Necib, Thaler, JHEP 12 (2016) 153) keeps only the v smallest. zlogz (sum of z log z) and the
multiplicity are taken on the whole (ungroomed) jet. A ratio whose denominator vanishes (a groomed jet
of one particle) is 0.
"""

from __future__ import annotations

import numpy as np

NAMES = (
    "zlogz",
    "c1_b0_mmdt",
    "c1_b1_mmdt",
    "c1_b2_mmdt",
    "c2_b1_mmdt",
    "c2_b2_mmdt",
    "d2_b1_mmdt",
    "d2_b2_mmdt",
    "d2_a1_b1_mmdt",
    "d2_a1_b2_mmdt",
    "m2_b1_mmdt",
    "m2_b2_mmdt",
    "n2_b1_mmdt",
    "n2_b2_mmdt",
    "mass_mmdt",
    "multiplicity",
)


def delta_r(y: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Pairwise distances in (rapidity, azimuth), shape (n, n)."""
    dy = y[:, None] - y[None, :]
    dphi = (phi[:, None] - phi[None, :] + np.pi) % (2 * np.pi) - np.pi
    return np.hypot(dy, dphi)


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else 0.0


def correlators(z: np.ndarray, dr: np.ndarray) -> dict[str, float]:
    """The groomed jet's ratios from constituent fractions `z` (summing to 1) and distances `dr`."""
    out: dict[str, float] = {}
    e2 = {0: 0.5 * (1.0 - float(np.sum(z * z)))}  # sum_{i<j} z_i z_j
    zz = z[:, None] * z[None, :]
    zzz = zz[:, :, None] * z[None, None, :]
    for b in (1, 2):
        a = dr**b
        e2[b] = 0.5 * float(np.sum(zz * a))
        ij, ik, jk = a[:, :, None], a[:, None, :], a[None, :, :]
        lo = np.minimum(np.minimum(ij, ik), jk)
        hi = np.maximum(np.maximum(ij, ik), jk)
        e3 = float(np.sum(zzz * ij * ik * jk)) / 6.0  # all three angles (= 3e3)
        e3_min = float(np.sum(zzz * lo)) / 6.0  # 1e3: the smallest angle
        e3_two = float(np.sum(zzz * lo * (ij + ik + jk - lo - hi))) / 6.0  # 2e3: the two smallest
        out[f"e3_b{b}"] = e3
        out[f"c2_b{b}_mmdt"] = _ratio(e3, e2[b] ** 2)
        out[f"d2_b{b}_mmdt"] = _ratio(e3, e2[b] ** 3)
        out[f"m2_b{b}_mmdt"] = _ratio(e3_min, e2[b])
        out[f"n2_b{b}_mmdt"] = _ratio(e3_two, e2[b] ** 2)
    for b in (0, 1, 2):
        out[f"c1_b{b}_mmdt"] = e2[b]
    e3_a1 = out.pop("e3_b1")  # 3e3 with alpha = 1
    out.pop("e3_b2")
    for b in (1, 2):
        out[f"d2_a1_b{b}_mmdt"] = _ratio(e3_a1, e2[b] ** (3.0 / b))
    return out


def jet_features(jet_pt: np.ndarray, groomed: dict[str, np.ndarray], groomed_mass: float) -> np.ndarray:
    """The 16 features (NAMES order) of one jet: `jet_pt` are its constituents' pT, `groomed` holds the
    groomed constituents' pt, y and phi."""
    z = jet_pt / jet_pt.sum()
    zg = groomed["pt"] / groomed["pt"].sum()
    ratios = correlators(zg, delta_r(groomed["y"], groomed["phi"]))
    values = {
        "zlogz": float(np.sum(z * np.log(z))),
        **ratios,
        "mass_mmdt": float(groomed_mass),
        "multiplicity": float(len(jet_pt)),
    }
    return np.array([values[name] for name in NAMES], dtype=np.float64)
