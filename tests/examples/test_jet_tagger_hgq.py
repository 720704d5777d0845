"""examples/jet_tagger_hgq end to end on a tiny configuration (200 Pythia jets, 2 epochs, one EBOPs strength,
no yosys): the HGQ2 model is trained in the Keras-3 environment, compiled through the routed trigger-compile,
its firmware equals the model on the test jets, the RTL co-simulates without a mismatch; the QKeras point
beside it is measured the same way; and the example's check fails on a project whose exact check failed."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from example_runs import TINY, example, results

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("example_hgq")]  # one worker runs the example


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    ex = example("jet_tagger_hgq")
    out = tmp_path_factory.mktemp("hgq") / "out"
    assert ex.main([*TINY, "--betas", "1e-5", "--no-synth", "--out", str(out)]) == 0
    return ex, out


def test_every_point_is_exact_to_the_gates(run):
    _, out = run
    r = results(out)
    assert r["n_test"] == 50 and [p["beta"] for p in r["points"]] == [1e-5]
    for point in [*r["points"], r["qkeras_6bit"]]:
        assert point["rtl_bit_exact_vs_csim"] and point["cosim_mismatches"] == 0 and point["cosim_vectors"] == 50
        assert set(point["auc"]) == {"q", "g", "W", "Z", "t"} and point["lut"] > 0
        assert point["resources_source"] == "estimate"  # --no-synth: alkaid's estimate, said so
    hgq = r["points"][0]
    assert hgq["firmware_equals_hgq2_model"] and hgq["ebops"] > 0
    report = json.loads((out / "beta_1e-05" / "project" / "report.json").read_text())
    assert report["environment"]["keras"].startswith("3.") and report["model"]["source"] == "hgq2"
    assert (out / "pareto.png").stat().st_size > 0


def test_a_failed_exact_check_is_not_measured(run, tmp_path):
    ex, out = run
    project = tmp_path / "project"
    shutil.copytree(out / "beta_1e-05" / "project", project)
    y_test = np.load(out / "test_labels.npy")
    ex.measured(project, y_test)  # the project as compiled passes
    report = json.loads((project / "report.json").read_text())
    report["emulation"]["bit_exact"] = False
    (project / "report.json").write_text(json.dumps(report))
    with pytest.raises(AssertionError):
        ex.measured(project, y_test)
