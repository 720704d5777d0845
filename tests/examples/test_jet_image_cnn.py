"""examples/jet_image_cnn end to end on a tiny configuration (200 Pythia jets, 8x8 images, one Conv2D block):
firmware logits == QAT logits as raw integers, RTL == C simulation, co-simulation without a mismatch; the
example's check fails on a QAT model one step off; and the image builder `trigger.data.images.jet_images`."""

from __future__ import annotations

import numpy as np
import pytest
from example_runs import TINY, assert_firmware_exact, example, one_step_off

pytestmark = pytest.mark.xdist_group("example_cnn")  # one worker runs the example


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    ex = example("jet_image_cnn")
    out = tmp_path_factory.mktemp("cnn") / "out"
    args = [*TINY, "--pixels", "8", "--filters", "2", "--dense", "4", "--no-mlp", "--out", str(out)]
    assert ex.main(args) == 0
    return ex, out


@pytest.mark.slow
def test_firmware_equals_qat_bit_for_bit(run):
    _, out = run
    r, _ = assert_firmware_exact(out, 50, {"Conv2D", "Pooling2D", "Dense"})
    assert r["model"]["inputs"] == [8, 8, 1] and "mlp_16_features_QAT" not in r["auc"]
    assert (out / "roc.png").stat().st_size > 0 and (out / "images.png").stat().st_size > 0


@pytest.mark.slow
def test_check_fails_on_a_qat_model_one_step_off(run):
    from qkeras.utils import load_qmodel

    ex, out = run
    qat = load_qmodel(str(out / "jet_image_cnn_qat.h5"), compile=False)
    ex.ds.firmware_vs_qat(out / "project", qat)
    one_step_off(qat, "output", 2.0**-5)
    with pytest.raises(AssertionError, match="firmware != QAT at output"):
        ex.ds.firmware_vs_qat(out / "project", qat)


def test_jet_images_put_pt_fractions_in_their_pixels():
    from trigger.data.images import jet_images

    c = np.zeros((2, 4, 3))
    c[0, 0] = [10.0, 0.0, 0.0]  # centre: pixel (4, 4) of 8
    c[0, 1] = [30.0, -0.79, 0.79]  # corner: pixel (0, 7)
    c[0, 2] = [20.0, 0.05, -0.05]  # pixel (4, 3)
    c[0, 3] = [40.0, 0.85, 0.0]  # outside the window: counts in the sum, in no pixel
    c[1, 0] = [5.0, 0.3, 0.3]
    img = jet_images(c, pixels=8)
    assert img.shape == (2, 8, 8, 1)
    expected = np.zeros((8, 8))
    expected[4, 4], expected[0, 7], expected[4, 3] = 0.1, 0.3, 0.2
    np.testing.assert_array_equal(img[0, :, :, 0], expected)
    assert img[1].sum() == 1.0 and img[1, 5, 5, 0] == 1.0


def test_jet_images_of_padding_only_are_empty_and_bad_shapes_are_refused():
    from trigger.data.images import jet_images

    assert not jet_images(np.zeros((3, 30, 3))).any()
    with pytest.raises(ValueError, match="shape"):
        jet_images(np.zeros((3, 30)))
    with pytest.raises(ValueError, match="pixels"):
        jet_images(np.zeros((1, 2, 3)), pixels=0)
