"""examples/deepsets_tagger end to end on a tiny configuration (200 Pythia jets, 2 epochs, 8 constituents):
firmware logits == QAT logits as raw integers, RTL == C simulation, co-simulation without a mismatch; and
the example's checks fail on a QAT model one step off, on a changed firmware output and on a failed verdict."""

from __future__ import annotations

import copy

import pytest
from example_runs import TINY, assert_firmware_exact, example, one_step_off, report, with_one_raw_changed

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("example_deepsets")]  # one worker runs the example


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    ex = example("deepsets_tagger")
    out = tmp_path_factory.mktemp("deepsets") / "out"
    assert ex.main([*TINY, "--n-const", "8", "--phi", "4", "4", "--rho", "4", "--out", str(out)]) == 0
    return ex, out


def test_firmware_equals_qat_bit_for_bit(run):
    _, out = run
    r, _ = assert_firmware_exact(out, 50, {"PointwiseConv1D", "GlobalPooling1D", "Dense"})
    assert r["model"]["inputs"] == [8, 3]
    assert set(r["auc"]) == {"mlp_16_features_QAT", "float", "QAT", "firmware", "firmware_lut_softmax"}
    assert (out / "roc.png").stat().st_size > 0


def test_check_fails_on_a_qat_model_one_step_off(run):
    from qkeras.utils import load_qmodel

    ex, out = run
    qat = load_qmodel(str(out / "deepsets_qat.h5"), compile=False)
    ex.firmware_vs_qat(out / "project", qat)  # the saved model passes
    one_step_off(qat, "output", 2.0**-5)  # quantized_bits(6, 0): steps of 1/32
    with pytest.raises(AssertionError, match="firmware != QAT at output"):
        ex.firmware_vs_qat(out / "project", qat)


def test_check_fails_on_a_firmware_output_one_off(run, tmp_path):
    from qkeras.utils import load_qmodel

    ex, out = run
    qat = load_qmodel(str(out / "deepsets_qat.h5"), compile=False)
    with pytest.raises(AssertionError, match="Mismatched elements: 1 /"):
        ex.firmware_vs_qat(with_one_raw_changed(out / "project", tmp_path), qat)


@pytest.mark.parametrize(
    "path, value",
    [
        (("rtl",), {"skipped": "x Conv2D not supported (why)"}),
        (("rtl", "passed"), False),
        (("rtl", "check", "bit_exact"), False),
        (("cosim", "mismatches"), 1),
        (("cosim", "passed"), False),
    ],
)
def test_verdict_check_fails_when_rtl_or_cosim_did_not_pass(run, path, value):
    ex, out = run
    rep = report(out)
    ex.rtl_verdict(rep)  # the real report passes
    bad = copy.deepcopy(rep)
    node = bad
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(AssertionError):
        ex.rtl_verdict(bad)
