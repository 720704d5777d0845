"""Jet generation on small samples: groomed-mass peaks, reproducibility, the trigger-data command."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pythia8mc")
pytestmark = pytest.mark.slow


def kde_peak(mass: np.ndarray, width: float = 4.0) -> float:
    """Where a Gaussian kernel density of the masses is highest (GeV)."""
    grid = np.arange(0.0, 300.0, 0.5)
    density = np.exp(-0.5 * ((grid[:, None] - mass[None, :]) / width) ** 2).sum(axis=1)
    return float(grid[np.argmax(density)])


@pytest.fixture(scope="module")
def sample():
    from trigger.data.generate import generate_jets

    return generate_jets(60, seed=1, workers=2)


def test_groomed_mass_peaks_where_the_particles_are(sample):
    from trigger.data.features import NAMES

    mass = sample["features"][:, NAMES.index("mass_mmdt")]
    classes = list(sample["classes"])
    for label, expected in (("W", 80.4), ("Z", 91.2), ("t", 172.5)):
        peak = kde_peak(mass[sample["label"] == classes.index(label)])
        assert abs(peak - expected) < 10.0, (label, peak)
    for label in ("q", "g"):  # no resonance: a broad distribution, mostly below the W
        m = mass[sample["label"] == classes.index(label)]
        assert kde_peak(m) < 50.0 and np.mean((m > 65) & (m < 105)) < 0.35, label


def test_sample_layout(sample):
    n = 5 * 60
    assert sample["features"].shape == (n, 16) and sample["constituents"].shape == (n, 30, 3)
    assert np.bincount(sample["label"]).tolist() == [60] * 5
    assert list(sample["classes"]) == ["q", "g", "W", "Z", "t"]
    assert np.all((sample["jet_pt"] >= 800) & (sample["jet_pt"] <= 1600))
    pt = sample["constituents"][:, :, 0]
    assert np.all(np.diff(pt, axis=1) <= 0)  # hardest first, zero padded
    assert np.all(np.isfinite(sample["features"]))


def test_same_seed_same_sample_whatever_the_worker_count():
    from trigger.data.generate import generate_jets

    one, two = generate_jets(8, seed=4, workers=1), generate_jets(8, seed=4, workers=2)
    for key in ("features", "constituents", "label"):
        np.testing.assert_array_equal(one[key], two[key])
    other = generate_jets(8, seed=5, workers=2)
    assert not np.array_equal(one["features"], other["features"])


def test_trigger_data_writes_then_reuses_the_cache(tmp_path, capsys):
    from trigger.data.cli import main

    out = tmp_path / "jets.npz"
    assert main(["jets", "--n", "10", "--out", str(out), "--seed", "3"]) == 0
    with np.load(out) as data:
        assert data["features"].shape == (10, 16) and list(data["feature_names"])[-1] == "multiplicity"
    recipe = json.loads(out.with_suffix(".json").read_text())
    assert recipe["kind"] == "jets" and recipe["params"] == {"n_per_class": 2, "seed": 3}
    capsys.readouterr()
    assert main(["jets", "--n", "10", "--out", str(tmp_path / "again.npz"), "--seed", "3"]) == 0
    assert "cached:" in capsys.readouterr().out
    assert (tmp_path / "again.npz").read_bytes() == out.read_bytes()
    assert main(["jets", "--n", "10", "--out", str(tmp_path / "x.txt")]) == 2
