"""Pythia 8 runs and the kinematics shared by the jet and Level-1 event generators."""

from __future__ import annotations

import numpy as np

COMMON = (
    "Beams:eCM = 13000",
    "Next:numberCount = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Next:numberShowEvent = 0",
    "Init:showChangedSettings = off",
    "Init:showChangedParticleData = off",
    "Init:showProcesses = off",
    "Random:setSeed = on",
)
NEUTRINOS = (12, 14, 16)


def make_pythia(settings: tuple[str, ...], seed: int, what: str):
    """An initialised, seeded Pythia for `settings` (`what` names it in errors)."""
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    for setting in (*COMMON, f"Random:seed = {seed}", *settings):
        if not pythia.readString(setting):
            raise RuntimeError(f"Pythia rejected the setting {setting!r} ({what})")
    if not pythia.init():
        raise RuntimeError(f"Pythia failed to initialise {what}")
    return pythia


def visible(prt):
    """Final-state particles a detector sees (everything but neutrinos), per event."""
    absid = abs(prt.id)
    return prt[(prt.status > 0) & (absid != NEUTRINOS[0]) & (absid != NEUTRINOS[1]) & (absid != NEUTRINOS[2])]


def kinematics(px, py, pz, e) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """pT, pseudorapidity, rapidity, azimuth."""
    pt = np.hypot(px, py)
    eta = np.arcsinh(pz / np.maximum(pt, 1e-12))
    y = 0.5 * np.log(np.maximum(e + pz, 1e-12) / np.maximum(e - pz, 1e-12))
    return pt, eta, y, np.arctan2(py, px)


def dphi(a, b):
    """Azimuthal difference wrapped into [-pi, pi)."""
    return (a - b + np.pi) % (2 * np.pi) - np.pi
