"""Jets around 1 TeV from Pythia 8, clustered with fastjet (anti-kT R = 0.8), groomed with mMDT,
described by the hls4ml jet data set's 16 features and (optionally) their 30 hardest constituents."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trigger.data.features import NAMES, jet_features
from trigger.data.processes import PROCESSES
from trigger.data.pythia import dphi, kinematics, make_pythia, visible

R = 0.8
PT_RANGE = (800.0, 1600.0)  # GeV
MAX_ABS_ETA = 2.0
MATCH_DR = 0.6  # jet axis to the truth particle (quark, gluon, W, Z or top)
N_CONSTITUENTS = 30
BATCH = 100  # events per Pythia batch


@dataclass
class JetChunk:
    """Jets of one class: features (n, 16), constituents (n, 30, 3: pT, eta and phi relative to the jet
    axis, zero-padded), jet pT / eta and the truth particle's mass."""

    features: np.ndarray
    constituents: np.ndarray
    jet_pt: np.ndarray
    jet_eta: np.ndarray
    truth_mass: np.ndarray


def _truth(event, label: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(eta, phi, mass, id) of the particles a jet may be matched to in one event."""
    proc = PROCESSES[label]
    ids, status = np.asarray(event.id), np.asarray(event.status)
    if proc.match_status is not None:
        sel = status == proc.match_status  # every outgoing parton: the nearest decides the label
    else:
        sel = np.isin(np.abs(ids), proc.match_ids) & (status < 0)
    p = event.p
    px, py, pz, e = (np.asarray(p[k])[sel] for k in ("px", "py", "pz", "e"))
    _, eta, _, phi = kinematics(px, py, pz, e)
    return eta, phi, np.asarray(event.m)[sel], ids[sel]


def _groom(constituent_lists: list[np.ndarray]):
    """mMDT (soft drop with beta 0, z_cut 0.1) on the C/A reclustered jets: groomed constituents and mass."""
    import awkward as ak
    import fastjet

    parts = ak.Array([{"px": c[:, 0], "py": c[:, 1], "pz": c[:, 2], "E": c[:, 3]} for c in constituent_lists])
    parts = ak.zip({k: parts[k] for k in ("px", "py", "pz", "E")})
    ca = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.cambridge_algorithm, 2 * R))
    sd = ca.exclusive_jets_softdrop_grooming(njets=1, beta=0, symmetry_cut=0.1, R0=R)
    return sd


def generate_chunk(label: str, n_jets: int, seed: int) -> JetChunk:
    """`n_jets` jets of class `label` (q, g, W, Z, t) from one seeded Pythia run."""
    import awkward as ak
    import fastjet

    proc = PROCESSES[label]
    pythia = make_pythia(proc.settings, seed, f"the {label} jet process")
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, R)
    kept: list[tuple] = []
    while len(kept) < n_jets:
        batch = pythia.nextBatch(BATCH)
        prt = batch.prt
        vis = visible(prt)
        parts = ak.zip({"px": vis.p.px, "py": vis.p.py, "pz": vis.p.pz, "E": vis.p.e})
        cs = fastjet.ClusterSequence(parts, jet_def)
        jets = cs.inclusive_jets(min_pt=PT_RANGE[0])
        consts = cs.constituents(min_pt=PT_RANGE[0])
        n_jets_ev = ak.to_numpy(ak.num(jets))
        flat = {k: ak.to_numpy(ak.flatten(jets[k])) for k in ("px", "py", "pz", "E")}
        j_pt, j_eta, _, j_phi = kinematics(flat["px"], flat["py"], flat["pz"], flat["E"])
        first = np.concatenate([[0], np.cumsum(n_jets_ev)])
        for ev in np.nonzero(n_jets_ev)[0]:
            t_eta, t_phi, t_mass, t_id = _truth(prt[ev], label)
            for j in range(n_jets_ev[ev]):
                f = first[ev] + j
                if not (PT_RANGE[0] <= j_pt[f] <= PT_RANGE[1] and abs(j_eta[f]) <= MAX_ABS_ETA) or not len(t_eta):
                    continue
                dr = np.hypot(t_eta - j_eta[f], dphi(t_phi, j_phi[f]))
                k = int(np.argmin(dr))
                if dr[k] > MATCH_DR or abs(int(t_id[k])) not in proc.match_ids:
                    continue
                c = consts[ev][j]
                four = np.stack([ak.to_numpy(c[x]).astype(np.float64) for x in ("px", "py", "pz", "E")], axis=1)
                if not np.allclose(four.sum(axis=0), [flat[x][f] for x in ("px", "py", "pz", "E")], rtol=1e-6):
                    raise RuntimeError(f"{label} jets: constituents do not add up to their jet (event {ev}, jet {j})")
                kept.append((four, j_pt[f], j_eta[f], j_phi[f], float(t_mass[k])))
    kept = kept[:n_jets]
    groomed = _groom([k[0] for k in kept])
    features, constituents = [], []
    for i, (four, _, eta, phi, _) in enumerate(kept):
        c_pt, c_eta, _, c_phi = kinematics(*four.T)
        g = groomed.constituents[i]
        g_pt, _, g_y, g_phi = kinematics(*(np.asarray(g[f], dtype=np.float64) for f in ("px", "py", "pz", "E")))
        features.append(jet_features(c_pt, {"pt": g_pt, "y": g_y, "phi": g_phi}, float(groomed.msoftdrop[i])))
        order = np.argsort(-c_pt)[:N_CONSTITUENTS]
        table = np.zeros((N_CONSTITUENTS, 3))
        table[: len(order)] = np.stack([c_pt[order], c_eta[order] - eta, dphi(c_phi[order], phi)], axis=1)
        constituents.append(table)
    return JetChunk(
        np.array(features).reshape(-1, len(NAMES)),
        np.array(constituents).reshape(-1, N_CONSTITUENTS, 3),
        np.array([k[1] for k in kept]),
        np.array([k[2] for k in kept]),
        np.array([k[4] for k in kept]),
    )
