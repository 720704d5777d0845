"""Pythia 8 settings for each jet class (13 TeV, jets around 1 TeV) and what a jet is matched to.

W and Z jets come from a 2 TeV W' -> WZ (longitudinally polarised bosons, as in the public hls4ml jet
data set): for W jets the Z decays to neutrinos and the W to quarks; for Z jets the reverse (W -> l nu).
Top jets come from a 2 TeV Z' -> t tbar with hadronic tops, quark and gluon jets from QCD 2 -> 2.
"""

from __future__ import annotations

from dataclasses import dataclass

_WPRIME = (
    "NewGaugeBoson:ffbar2Wprime = on",
    "Wprime:coup2WZ = 1",
    "34:m0 = 2000",
    "34:onMode = off",
    "34:onIfAll = 23 24",
)
_HADRONIC = "1 2 3 4 5"


@dataclass(frozen=True)
class JetProcess:
    """How to produce jets of one class: Pythia settings and the truth particle ids a jet is matched to."""

    label: str
    settings: tuple[str, ...]
    match_ids: tuple[int, ...]
    match_status: int | None = None  # status a matched particle must have (None: its last copy)


PROCESSES: dict[str, JetProcess] = {
    "q": JetProcess("q", ("HardQCD:all = on", "PhaseSpace:pTHatMin = 700"), (1, 2, 3), -23),
    "g": JetProcess("g", ("HardQCD:all = on", "PhaseSpace:pTHatMin = 700"), (21,), -23),
    "W": JetProcess(
        "W",
        (*_WPRIME, "24:onMode = off", f"24:onIfAny = {_HADRONIC}", "23:onMode = off", "23:onIfAny = 12 14 16"),
        (24,),
    ),
    "Z": JetProcess(
        "Z",
        (*_WPRIME, "24:onMode = off", "24:onIfAny = 11 13", "23:onMode = off", f"23:onIfAny = {_HADRONIC}"),
        (23,),
    ),
    "t": JetProcess(
        "t",
        (
            "NewGaugeBoson:ffbar2gmZZprime = on",
            "Zprime:gmZmode = 3",
            "32:m0 = 2000",
            "32:onMode = off",
            "32:onIfAny = 6",
            "24:onMode = off",
            f"24:onIfAny = {_HADRONIC}",
        ),
        (6,),
    ),
}
CLASSES = tuple(PROCESSES)
