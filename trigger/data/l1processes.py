"""Pythia 8 settings of the Level-1 anomaly-detection samples (13 TeV), after the CMS ADC2021 data set
(Govorkova et al., Sci. Data 9 (2022) 118): a Standard-Model background of W, Z, ttbar and QCD multijet
events, mixed by fixed fractions (their cross sections times the single-lepton filter efficiency, as in
that data set; raw cross sections would let QCD e/gamma fakes dominate), and four BSM signals."""

from __future__ import annotations

from dataclasses import dataclass

_LEPTONS = "11 13 15"


@dataclass(frozen=True)
class L1Process:
    """One sample: Pythia settings, background fraction (0 for a signal) and a description."""

    name: str
    settings: tuple[str, ...]
    fraction: float
    description: str

    @property
    def signal(self) -> bool:
        return self.fraction == 0.0


BACKGROUND = (
    L1Process(
        "W",
        ("WeakSingleBoson:ffbar2W = on", "24:onMode = off", f"24:onIfAny = {_LEPTONS}"),
        0.592,
        "W -> l nu",
    ),
    L1Process(
        "QCD",
        ("HardQCD:all = on", "PhaseSpace:pTHatMin = 80"),
        0.338,
        "QCD multijet, pTHat > 80 GeV",
    ),
    L1Process(
        "Z",
        (
            "WeakSingleBoson:ffbar2gmZ = on",
            "PhaseSpace:mHatMin = 50",
            "23:onMode = off",
            f"23:onIfAny = {_LEPTONS}",
        ),
        0.067,
        "Z/gamma* -> l l, m > 50 GeV",
    ),
    L1Process("ttbar", ("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"), 0.003, "t tbar, inclusive"),
)

SIGNALS = (
    L1Process(
        "A_4l",
        (
            "Higgs:useBSM = on",
            "HiggsBSM:gg2H2 = on",
            "35:m0 = 50",
            "35:mWidth = 0.01",
            "35:onMode = off",
            "35:onIfAll = 23 23",
            "23:onMode = off",
            "23:onIfAny = 11 13",
        ),
        0.0,
        "neutral scalar A (50 GeV) -> Z* Z* -> 4 leptons",
    ),
    L1Process(
        "LQ_btau",
        ("LeptoQuark:all = on", "42:m0 = 80", "42:0:products = 5 -15"),
        0.0,
        "leptoquark (80 GeV) -> b tau",
    ),
    L1Process(
        "h_tautau",
        ("HiggsSM:gg2H = on", "25:m0 = 60", "25:onMode = off", "25:onIfAll = 15 15"),
        0.0,
        "scalar h (60 GeV) -> tau tau",
    ),
    L1Process(
        "hpm_taunu",
        ("Higgs:useBSM = on", "HiggsBSM:ffbar2H+- = on", "37:m0 = 60", "37:onMode = off", "37:onIfAll = 15 16"),
        0.0,
        "charged scalar h+- (60 GeV) -> tau nu",
    ),
)
PROCESSES = {p.name: p for p in (*BACKGROUND, *SIGNALS)}
