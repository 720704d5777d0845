"""examples/anomaly_detection end to end on a tiny configuration (200 background events, 20 per signal,
2 epochs, no yosys): the compiled model's one output is the anomaly score, bit-exact through trigger-compile
with the RTL covering the whole network and a clean co-simulation; the score graph computes the summed
squared reconstruction error; and each of the example's checks fails on a deliberately wrong input."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from example_runs import example, results

pytest.importorskip("pythia8mc")
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("example_anomaly")]

TINY = ["--n-background", "200", "--n-signal", "20", "--epochs", "2", "--workers", "2"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    ex = example("anomaly_detection")
    out = tmp_path_factory.mktemp("anomaly") / "out"
    assert ex.main([*TINY, "--out", str(out)]) == 0
    return ex, out


def test_the_firmware_output_is_the_score_exact_to_the_gates(run):
    _, out = run
    r = results(out)
    report = json.loads((out / "project" / "report.json").read_text())
    assert r["firmware_equals_qat"]
    assert report["emulation"]["bit_exact"] and report["emulation"]["compared_at"]["layer"] == "score"
    assert report["emulation"]["compared_at"]["precision"] == r["score_type"] == "ufixed<24,16>"
    assert report["rtl"]["not_in_rtl"] == [] and report["rtl"]["check"]["bit_exact"]
    assert report["cosim"]["mismatches"] == 0 and report["cosim"]["n_vectors"] == r["n_test"]
    assert np.load(out / "project" / "vectors" / "expected_raw.npy").reshape(r["n_test"], -1).shape[1] == 1
    assert r["saturated_fraction"]["background"] == 0.0
    eff = r["efficiency"]
    assert set(eff) == {"float", "QAT", "firmware"} and eff["QAT"] == eff["firmware"]
    assert set(eff["firmware"]["2.5e-05"]["efficiency"]) == {"A_4l", "LQ_btau", "h_tautau", "hpm_taunu"}
    assert (out / "scores.png").stat().st_size > 0


def test_the_score_graph_computes_the_summed_squared_error():
    from trigger.zoo import autoencoder, randomize

    sm = example("anomaly_detection").sm
    ae = autoencoder()
    randomize(ae, seed=3)
    x = np.clip(np.round(np.random.default_rng(0).normal(0, 8, (256, 57)) * 1024) / 1024, -32, 31)  # input grid
    x = x.astype(np.float32)
    reco = ae.predict(x, verbose=0).astype(np.float64)
    d = np.clip(np.round((x - reco) / sm.DIFF.lsb) * sm.DIFF.lsb, -(2.0**sm.DIFF.integer), sm.DIFF.max)
    assert np.any(d == sm.DIFF.max) or np.any(d == -(2.0**sm.DIFF.integer))  # saturating differences too
    score = sm.build(ae)
    assert score.output_shape == (None, 1) and score.layers[-1].name == sm.OUTPUT
    np.testing.assert_array_equal(score.predict(x, verbose=0)[:, 0], np.sum(d**2, axis=1))


def test_a_changed_model_is_not_the_firmware(run):
    from qkeras.utils import load_qmodel

    ex, out = run
    project = out / "project"
    model = load_qmodel(str(out / "score_qat.h5"), compile=False)
    score_type = ex.sm.SCORE
    x = np.load(out / "scores" / "background_features.npy")  # the test background, as trigger-emulate read it
    firmware = np.load(out / "scores" / "background_scores.npz")["raw"][:, 0]
    np.testing.assert_array_equal(ex.qat_scores(model, project, score_type, x), firmware)
    weights = model.get_layer("reconstruction").get_weights()
    weights[1] = weights[1] + 2.0**-5  # one 6-bit step on every bias of the reconstruction
    model.get_layer("reconstruction").set_weights(weights)
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(ex.qat_scores(model, project, score_type, x), firmware)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("emulation", "bit_exact"), False),
        (("emulation", "compared_at", "layer"), "sum"),
        (("rtl", "not_in_rtl"), ["score"]),
        (("rtl", "check", "bit_exact"), False),
        (("cosim", "mismatches"), 1),
    ],
)
def test_the_verdict_fails_on_a_wrong_report(run, path, value):
    ex, out = run
    report = json.loads((out / "project" / "report.json").read_text())
    assert ex.verdict(report)["cosim_mismatches"] == 0  # as compiled: passes
    wrong = copy.deepcopy(report)
    node = wrong
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(AssertionError):
        ex.verdict(wrong)


def test_a_saturating_score_type_is_refused():
    ex = example("anomaly_detection")
    narrow = ex.sm.QuantizedBits(8, 4, signed=False)
    raw = np.array([3, 5, round(narrow.max / narrow.lsb)])
    assert ex.saturated_fraction(raw, narrow) == 1 / 3  # 1 of 3 scores, exactly
    ex.check_not_saturated(ex.saturated_fraction(raw[:2], narrow), "background")
    with pytest.raises(AssertionError, match="saturate"):
        ex.check_not_saturated(ex.saturated_fraction(raw, narrow), "background")
