"""Level-1-style events for anomaly detection: 57 numbers per event, as in the CMS ADC2021 data set.

    MET (pT, 0, phi), 4 e/gamma, 4 muons, 10 jets, each (pT, eta, phi), hardest first, zero-padded.

Simple detector effects (seeded), chosen to resemble Level-1 trigger objects:
  * e/gamma: final-state electrons and photons with |eta| < 2.5, energy resolution 10%/sqrt(E) (+) 1%,
    pT > 3 GeV, no isolation (Level-1 e/gamma includes pi0 photons: they are most of QCD's e/gamma);
  * muons: |eta| < 2.4, pT resolution 10%, pT > 3 GeV;
  * jets: anti-kT R = 0.4 of all visible particles with |eta| < 5, resolution 100%/sqrt(E) (+) 5%,
    pT > 15 GeV and |eta| < 4;
  * MET: minus the vector sum of visible particles with |eta| < 5, each component smeared by
    0.5 sqrt(sum ET) GeV.
Every event must pass a single-lepton filter: an e/gamma or a muon with pT > 23 GeV.
"""

from __future__ import annotations

import numpy as np

from trigger.data.l1processes import PROCESSES
from trigger.data.pythia import kinematics, make_pythia, visible

N_EGAMMA, N_MUON, N_JET = 4, 4, 10
N_FEATURES = 3 * (1 + N_EGAMMA + N_MUON + N_JET)  # 57
FILTER_PT = 23.0
BATCH = 200


def feature_names() -> list[str]:
    """`met_pt, met_eta, met_phi, egamma0_pt, ..., jet9_phi` in column order."""
    objects = ["met"] + [f"egamma{i}" for i in range(N_EGAMMA)] + [f"muon{i}" for i in range(N_MUON)]
    objects += [f"jet{i}" for i in range(N_JET)]
    return [f"{o}_{v}" for o in objects for v in ("pt", "eta", "phi")]


def _slots(pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, n: int) -> np.ndarray:
    """The `n` hardest objects as (pT, eta, phi) triplets, zero-padded, flattened."""
    order = np.argsort(-pt)[:n]
    out = np.zeros((n, 3))
    out[: len(order)] = np.stack([pt[order], eta[order], phi[order]], axis=1)
    return out.ravel()


def event_row(ids, four: np.ndarray, jets: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """The 57 numbers of one event (None when it fails the single-lepton filter).

    `four` holds the visible particles' (px, py, pz, E), `jets` the event's anti-kT jets likewise.
    """
    pt, eta, _, phi = kinematics(*four.T)
    absid = np.abs(ids)
    energy = four[:, 3]
    eg = np.nonzero(((absid == 11) | (absid == 22)) & (np.abs(eta) < 2.5))[0]
    eg_pt = pt[eg] * (1 + rng.normal(0, 1, len(eg)) * np.hypot(0.1 / np.sqrt(energy[eg]), 0.01))
    keep = eg_pt > 3.0
    eg, eg_pt = eg[keep], eg_pt[keep]
    mu = np.nonzero((absid == 13) & (np.abs(eta) < 2.4))[0]
    mu_pt = pt[mu] * (1 + rng.normal(0, 0.1, len(mu)))
    keep = mu_pt > 3.0
    mu, mu_pt = mu[keep], mu_pt[keep]
    if max(eg_pt.max(initial=0.0), mu_pt.max(initial=0.0)) <= FILTER_PT:
        return None
    j_pt, j_eta, _, j_phi = kinematics(*jets.T) if len(jets) else (np.zeros(0),) * 4
    j_pt = j_pt * (1 + rng.normal(0, 1, len(j_pt)) * np.hypot(1.0 / np.sqrt(np.maximum(jets[:, 3], 1e-9)), 0.05))
    keep = (j_pt > 15.0) & (np.abs(j_eta) < 4.0)
    central = np.abs(eta) < 5.0
    sigma = 0.5 * np.sqrt(pt[central].sum())
    mex = -four[central, 0].sum() + rng.normal(0, sigma)
    mey = -four[central, 1].sum() + rng.normal(0, sigma)
    return np.concatenate(
        [
            [np.hypot(mex, mey), 0.0, np.arctan2(mey, mex)],
            _slots(eg_pt, eta[eg], phi[eg], N_EGAMMA),
            _slots(mu_pt, eta[mu], phi[mu], N_MUON),
            _slots(j_pt[keep], j_eta[keep], j_phi[keep], N_JET),
        ]
    )


def generate_chunk(name: str, n_events: int, seed: int) -> np.ndarray:
    """`n_events` filtered events of process `name` from one seeded Pythia run, shape (n, 57)."""
    import awkward as ak
    import fastjet

    pythia = make_pythia(PROCESSES[name].settings, seed, f"the {name} process")
    rng = np.random.default_rng(seed)
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, 0.4)
    rows: list[np.ndarray] = []
    while len(rows) < n_events:
        vis = visible(pythia.nextBatch(BATCH).prt)
        pt = np.hypot(vis.p.px, vis.p.py)
        central = vis[abs(np.arcsinh(vis.p.pz / np.maximum(pt, 1e-12))) < 5.0]
        lepton = (abs(vis.id) == 11) | (abs(vis.id) == 13) | (abs(vis.id) == 22)
        candidate = ak.to_numpy(ak.any(lepton & (pt > 0.6 * FILTER_PT), axis=1))  # cheap pre-filter
        cs = fastjet.ClusterSequence(
            ak.zip({"px": central.p.px, "py": central.p.py, "pz": central.p.pz, "E": central.p.e}), jet_def
        )
        jets = cs.inclusive_jets(min_pt=10.0)
        for ev in np.nonzero(candidate)[0]:
            four = np.stack([ak.to_numpy(vis.p[k][ev]).astype(np.float64) for k in ("px", "py", "pz", "e")], axis=1)
            jet4 = np.stack([ak.to_numpy(jets[k][ev]).astype(np.float64) for k in ("px", "py", "pz", "E")], axis=1)
            row = event_row(ak.to_numpy(vis.id[ev]), four, jet4, rng)
            if row is not None:
                rows.append(row)
                if len(rows) == n_events:
                    break
    return np.array(rows).reshape(-1, N_FEATURES)
