"""Acceptance: jet tagger and autoencoder, Keras and QONNX routes, emulation == QKeras exactly.

The reference is recomputed here from the QKeras model itself (not from trigger's reference
executor), converted to raw integers of the compared layer's type, and compared with the raw
integers of the C simulation that trigger stored in DIR/vectors/.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import raw

from trigger.fixed import fixed_type_from_str

pytestmark = pytest.mark.slow


def _qkeras_reference(model, layer_feeding: str | None, x: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    out = model.get_layer(layer_feeding).input if layer_feeding else model.output
    return tf.keras.Model(model.input, out).predict(x, verbose=0)


@pytest.mark.parametrize("which", ["jet", "ae"])
@pytest.mark.parametrize("route", ["h5", "onnx"])
def test_emulation_equals_qkeras_exactly(which, route, jet_files, ae_files, compiled):
    files = jet_files if which == "jet" else ae_files
    code, out = compiled(which, route)
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    emu = report["emulation"]
    assert emu["mode"] == "exact" and emu["bit_exact"] and emu["exact_fraction"] == 1.0
    assert emu["n_vectors"] == 2000

    x = np.load(out / "vectors" / "inputs.npy")
    expected_raw = np.load(out / "vectors" / "expected_raw.npy")
    ftype = fixed_type_from_str(json.loads((out / "vectors" / "index.json").read_text())["expected_raw"]["type"])
    if which == "jet":
        assert emu["approximate_layers"] and emu["compared_at"]["feeds"] is not None  # logits, before softmax
        ref = _qkeras_reference(files.model, "softmax", x)
    else:
        assert emu["approximate_layers"] == [] and emu["compared_at"]["feeds"] is None  # the reconstruction
        ref = _qkeras_reference(files.model, None, x)
    np.testing.assert_array_equal(expected_raw, raw(ref, ftype.frac))
    assert len(np.unique(expected_raw)) > 50  # the vectors exercise the network, not one saturated corner


def test_jet_softmax_error_is_measured_not_hidden(jet_files, compile_cli, tmp_path):
    run = compile_cli(jet_files.h5, "--target", "xcvu9p", "-o", tmp_path / "p", "--n-vectors", 500, "--no-rtl")
    assert run.code == 0, run.err
    final = json.loads((tmp_path / "p" / "report.json").read_text())["emulation"]["final_output"]
    assert 0 < final["max_abs_diff"] < 0.5  # hls4ml's default softmax tables: ~0.2 (docs/stack.md)
    assert final["argmax_agreement"] > 0.9


def test_mismatch_is_exit_code_3_naming_vector_and_lane(jet_files, compile_cli, tmp_path, monkeypatch):
    from trigger.frontends.keras import KerasModel

    original = KerasModel.predict_input_of

    def off_by_one_lsb(self, x, layer):
        ref = original(self, x, layer)
        ref[7, 3] += 2.0**-11  # one LSB of the logits type fixed<18,7>
        return ref

    monkeypatch.setattr(KerasModel, "predict_input_of", off_by_one_lsb)
    out = tmp_path / "p"
    run = compile_cli(jet_files.h5, "--target", "xcvu9p", "-o", out, "--n-vectors", 100, "--no-rtl")
    assert run.code == 3
    assert "vector 7 lane 3" in run.err
    report = json.loads((out / "report.json").read_text())  # a failed check still leaves the project to inspect
    assert report["emulation"]["first_mismatch"]["vector"] == 7 and not report["verdict"]["passed"]


def test_user_inputs_are_used(jet_files, compile_cli, tmp_path):
    x = np.random.default_rng(5).normal(size=(300, 16))
    np.save(tmp_path / "x.npy", x)
    run = compile_cli(
        jet_files.h5, "--target", "xcvu9p", "-o", tmp_path / "p", "--inputs", tmp_path / "x.npy", "--no-rtl"
    )
    assert run.code == 0, run.err
    report = json.loads((tmp_path / "p" / "report.json").read_text())
    assert report["rtl"] == {"skipped": "--no-rtl"} and report["cosim"]["skipped"].startswith("no RTL")
    emu = report["emulation"]
    assert emu["n_vectors"] == 300 and emu["inputs"]["source"] == "file" and emu["bit_exact"]
    np.testing.assert_array_equal(np.load(tmp_path / "p" / "vectors" / "inputs.npy"), np.floor(x * 1024) / 1024)


@pytest.mark.parametrize(
    "options", [["--io-type", "io_stream"], ["--strategy", "Resource", "--reuse-factor", "4", "--clock-ns", "4"]]
)
def test_hls_options_are_applied_and_stay_exact(jet_files, compile_cli, tmp_path, options):
    out = tmp_path / "p"
    run = compile_cli(
        jet_files.h5, "--target", "xcvu13p", "-o", out, "--n-vectors", 300, "--no-cosim", "--no-synth", *options
    )
    assert run.code == 0, run.err
    report = json.loads((out / "report.json").read_text())
    assert report["emulation"]["bit_exact"]
    if "io_stream" in options:
        assert "io_parallel" in report["rtl"]["skipped"]
    else:  # same arithmetic, so the RTL model is exact too (fully parallel; reuse applies to hls/ only)
        assert report["rtl"]["check"]["bit_exact"] and "reuse-factor 4" in report["rtl"]["note"]
    assert report["cosim"] == {"skipped": "--no-cosim"}
    config = (out / "hls" / "hls4ml_config.yml").read_text()
    assert "xcvu13p-flga2577-2-e" in config
    for flag, value in zip(options[::2], options[1::2], strict=True):
        key = {
            "--io-type": "IOType",
            "--strategy": "Strategy",
            "--reuse-factor": "ReuseFactor",
            "--clock-ns": "ClockPeriod",
        }
        assert f"{key[flag]}: {value}" in config, (flag, value)


def test_compare_point_skips_a_layer_the_c_simulation_does_not_trace(compile_cli, tmp_path):
    """Dense -> Reshape -> sigmoid: the exact comparison is at the Dense (an io_parallel Reshape has no C++ and
    no traced values; comparing there was a KeyError in the emulate stage)."""
    import tensorflow as tf

    from trigger.emulation import compare_point, is_traced

    inp = tf.keras.Input((4,))
    x = tf.keras.layers.Dense(4, name="d")(inp)
    x = tf.keras.layers.Reshape((2, 2), name="r")(x)
    x = tf.keras.layers.Activation("sigmoid", name="s")(x)
    tf.keras.Model(inp, x).save(tmp_path / "m.h5")
    from conftest import hls_model_of

    hm = hls_model_of(tmp_path / "m.h5", tmp_path / "h")
    assert not is_traced(hm.graph["r"]) and is_traced(hm.graph["d"])
    point = compare_point(hm)
    assert (point.layer, point.anchor) == ("d", "s")
    run = compile_cli(tmp_path / "m.h5", "--target", "xcvu9p", "-o", tmp_path / "p", "--no-rtl", "--no-synth")
    assert run.code == 0, run.err
    assert json.loads((tmp_path / "p" / "report.json").read_text())["emulation"]["compared_at"]["layer"] == "d"
