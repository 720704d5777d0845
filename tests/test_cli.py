"""Bad input: exit code 2, a message naming file/node/reason, and nothing left behind."""

from __future__ import annotations

import pytest
from conftest import leftovers
from models import float_mlp


def _assert_clean_failure(run, parent, *words):
    assert run.code == 2, run.err
    assert "Traceback" not in run.err
    for w in words:
        assert w in run.err, (w, run.err)
    assert leftovers(parent) == []


def test_missing_model_file(compile_cli, tmp_path):
    run = compile_cli(tmp_path / "nope.onnx", "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    _assert_clean_failure(run, tmp_path / "out", "nope.onnx", "no such file")


@pytest.mark.parametrize("name", ["junk.onnx", "junk.h5", "junk.keras"])
def test_non_model_bytes(compile_cli, tmp_path, name):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / name).write_bytes(b"\x00\x01 these are not model bytes \xff" * 10)
    run = compile_cli(tmp_path / "in" / name, "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    _assert_clean_failure(
        run, tmp_path / "out", name, "cannot be read" if name != "junk.onnx" else "not a readable ONNX"
    )


def test_unknown_suffix(compile_cli, tmp_path):
    (tmp_path / "m.pt").write_bytes(b"x")
    run = compile_cli(tmp_path / "m.pt", "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    _assert_clean_failure(run, tmp_path / "out", "m.pt", "unknown model format", ".onnx")


def test_unsupported_onnx_op_names_node_and_supported_list(compile_cli, tmp_path):
    model = float_mlp(tmp_path / "odd.onnx", extra_op="Erf")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    _assert_clean_failure(run, tmp_path / "out", "odd.onnx", "odd_node", "Erf", "Supported ONNX ops", "MatMul")


def test_onnx_shape_with_free_feature_dimension(compile_cli, tmp_path):
    model = float_mlp(tmp_path / "free.onnx", in_dim="features")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    _assert_clean_failure(run, tmp_path / "out", "free.onnx", "'x'", "features", "not a fixed size")


def test_unsupported_keras_layer(compile_cli, tmp_path):
    import tensorflow as tf

    inp = tf.keras.Input((4,))
    out = tf.keras.layers.Dense(2)(tf.keras.layers.GaussianNoise(0.1, name="noisy")(inp))
    tf.keras.Model(inp, out).save(tmp_path / "noise.h5")
    run = compile_cli(tmp_path / "noise.h5", "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    _assert_clean_failure(run, tmp_path / "out", "noise.h5", "noisy", "GaussianNoise", "Supported Keras layers")


def test_keras_json_without_weights(compile_cli, tmp_path):
    import tensorflow as tf

    inp = tf.keras.Input((4,))
    (tmp_path / "arch.json").write_text(tf.keras.Model(inp, tf.keras.layers.Dense(2)(inp)).to_json())
    run = compile_cli(tmp_path / "arch.json", "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    _assert_clean_failure(run, tmp_path / "out", "arch.json", "arch_weights.h5", "--weights")


def test_unknown_target_lists_known_parts(compile_cli, tmp_path):
    model = float_mlp(tmp_path / "m.onnx")
    run = compile_cli(model, "--target", "xc9000", "-o", tmp_path / "out" / "p")
    _assert_clean_failure(run, tmp_path / "out", "xc9000", "xcvu9p", "xc7vx690t", "xczu9eg")


def test_bad_precision(compile_cli, tmp_path):
    model = float_mlp(tmp_path / "m.onnx")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--precision", "float16")
    _assert_clean_failure(run, tmp_path / "out", "float16", "fixed-point")


def test_bad_inputs_shape(compile_cli, tmp_path):
    import numpy as np

    model = float_mlp(tmp_path / "m.onnx")
    np.save(tmp_path / "x.npy", np.zeros((10, 7)))
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--inputs", tmp_path / "x.npy")
    _assert_clean_failure(run, tmp_path / "out", "x.npy", "(10, 7)", "(N, 16)")


def test_existing_output_needs_force_and_is_untouched(compile_cli, tmp_path):
    model = float_mlp(tmp_path / "m.onnx")
    out = tmp_path / "out" / "p"
    out.mkdir(parents=True)
    (out / "mine.txt").write_text("user work")
    run = compile_cli(model, "--target", "xcvu9p", "-o", out)
    assert run.code == 2 and "--force" in run.err and "not empty" in run.err
    assert leftovers(out) == ["mine.txt"] and leftovers(tmp_path / "out") == ["p"]


@pytest.mark.slow
def test_force_replaces_existing_project(compile_cli, tmp_path):
    model = float_mlp(tmp_path / "m.onnx")
    out = tmp_path / "out" / "p"
    out.mkdir(parents=True)
    (out / "mine.txt").write_text("old")
    run = compile_cli(model, "--target", "xcvu9p", "-o", out, "--force", "--n-vectors", 50, "--no-rtl")
    assert run.code == 0, run.err
    assert not (out / "mine.txt").exists() and (out / "report.json").exists()
    assert leftovers(tmp_path / "out") == ["p"]
    config = (out / "hls" / "hls4ml_config.yml").read_text()
    assert str(out.resolve()) in config and ".partial-" not in config  # paths point at the final directory


@pytest.mark.slow
def test_default_output_directory_and_printed_report_path(compile_cli, tmp_path, monkeypatch):
    model = float_mlp(tmp_path / "tiny.onnx")
    monkeypatch.chdir(tmp_path)
    run = compile_cli(model, "--target", "xcvu9p", "--n-vectors", 20, "--stop-after", "hls")
    assert run.code == 0, run.err
    project = tmp_path / "vivado_projects" / "tiny"
    assert (project / "hls" / "build_prj.tcl").exists() and (project / "report.json").exists()
    assert str(project / "report.md") in run.out
    assert not (project / "vectors").exists()  # stopped after the hls stage
