"""Level-1-style events: layout, filter, mixture, and one hand-made event through the detector model."""

from __future__ import annotations

import numpy as np
import pytest

from trigger.data.generate import mixture_counts
from trigger.data.l1events import FILTER_PT, N_FEATURES, event_row, feature_names


def test_mixture_counts_follow_the_fractions_and_sum_to_n():
    assert mixture_counts(1000, [0.592, 0.338, 0.067, 0.003]) == [592, 338, 67, 3]
    assert sum(mixture_counts(7, [0.592, 0.338, 0.067, 0.003])) == 7


def test_feature_names_are_the_57_columns():
    names = feature_names()
    assert len(names) == N_FEATURES == 57
    assert names[:4] == ["met_pt", "met_eta", "met_phi", "egamma0_pt"] and names[-1] == "jet9_phi"


def _four(pt, eta, phi, m=0.0):
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
    return [px, py, pz, np.sqrt(px**2 + py**2 + pz**2 + m**2)]


def test_one_event_through_the_detector_model():
    ids = np.array([11, 13, 211, 22])
    four = np.array([_four(40.0, 0.5, 1.0), _four(10.0, -1.0, -2.0), _four(5.0, 3.0, 0.0), _four(2.0, 0.1, 0.3)])
    jets = np.array([_four(60.0, 0.4, 1.1, 5.0), _four(12.0, 1.0, 2.0, 2.0)])
    row = event_row(ids, four, jets, np.random.default_rng(0))
    names = feature_names()
    value = dict(zip(names, row, strict=True))
    assert value["met_eta"] == 0.0 and value["met_pt"] > 0
    assert value["egamma0_pt"] == pytest.approx(40.0, rel=0.1) and value["egamma0_eta"] == pytest.approx(0.5)
    assert value["egamma1_pt"] == 0.0  # the 2 GeV photon is below the 3 GeV threshold
    assert value["muon0_pt"] == pytest.approx(10.0, rel=0.5) and value["muon1_pt"] == 0.0
    assert value["jet0_pt"] == pytest.approx(60.0, rel=0.5) and value["jet1_pt"] == 0.0  # 12 GeV < 15 GeV
    soft = np.array([_four(10.0, 0.5, 1.0)])
    assert event_row(np.array([11]), soft, np.zeros((0, 4)), np.random.default_rng(0)) is None  # filter


@pytest.mark.slow
def test_generated_sample_layout_and_filter():
    pytest.importorskip("pythia8mc")
    from trigger.data.generate import generate_l1events

    data = generate_l1events(30, 4, seed=2, workers=2)
    x, proc = data["features"], data["process"]
    assert x.shape == (30 + 4 * 4, 57) and np.all(np.isfinite(x))
    assert np.bincount(proc, minlength=8).tolist() == [18, 10, 2, 0, 4, 4, 4, 4]
    assert data["is_signal"].sum() == 16 and list(data["processes"][4:]) == ["A_4l", "LQ_btau", "h_tautau", "hpm_taunu"]
    objects = x[:, 3:].reshape(len(x), 18, 3)
    leptons = objects[:, :8, 0]
    assert np.all(leptons.max(axis=1) > FILTER_PT)  # every event passed the single-lepton filter
    for lo, hi in ((0, 4), (4, 8), (8, 18)):  # e/gamma, muons, jets: hardest first, zero padded
        pts = objects[:, lo:hi, 0]
        assert np.all(np.diff(pts, axis=1) <= 0)
        assert np.all(objects[:, lo:hi, 1:][pts == 0] == 0)
    assert np.all(x[:, 1] == 0)
