"""Bad input: exit code 2, a message naming file/node/reason, and nothing left behind."""

from __future__ import annotations

from pathlib import Path

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


# --- item 7: output locations that cannot be written -------------------------------------------------------------


def test_output_below_a_regular_file(compile_cli, tmp_path):
    model = float_mlp(tmp_path / "m.onnx")
    (tmp_path / "out").write_text("a file")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p")
    assert run.code == 2 and "Traceback" not in run.err
    assert f"cannot write {tmp_path / 'out' / 'p'}" in run.err and "is a file" in run.err
    assert (tmp_path / "out").read_text() == "a file"


def test_output_in_a_directory_that_cannot_be_written(compile_cli, tmp_path, monkeypatch):
    """A PermissionError from mkdir (simulated: the suite may run as root, who may write anywhere)."""
    import pathlib

    model = float_mlp(tmp_path / "m.onnx")
    locked = tmp_path / "locked"
    locked.mkdir()
    real_mkdir = pathlib.Path.mkdir

    def mkdir(self, *args, **kwargs):
        if locked in self.parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)
    run = compile_cli(model, "--target", "xcvu9p", "-o", locked / "a" / "p")
    assert run.code == 2 and "Traceback" not in run.err
    assert f"cannot write {locked / 'a' / 'p'} (Permission denied)" in run.err
    assert leftovers(locked) == []


# --- item 8: bad numbers, bad --inputs, bad parts, and nothing left behind after exit 2 --------------------------


@pytest.mark.parametrize(
    "option, value",
    [
        ("--seed", "-1"),
        ("--clock-ns", "nan"),
        ("--clock-ns", "inf"),
        ("--clock-ns", "0"),
        ("--latency-budget-ns", "nan"),
        ("--latency-budget-ns", "-inf"),
        ("--n-vectors", "0"),
        ("--min-agreement", "nan"),
        ("--reuse-factor", "1.5"),
    ],
)
def test_bad_numbers_are_usage_errors(compile_cli, tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exc:
        compile_cli(tmp_path / "m.onnx", "--target", "xcvu9p", "-o", tmp_path / "p", f"{option}={value}")
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and value in err and "Traceback" not in err
    assert leftovers(tmp_path) == []


def _inputs_string(path):
    import numpy as np

    np.save(path, np.array([["a"] * 16] * 4))


def _inputs_datetime(path):
    import numpy as np

    np.save(path, np.array([["2026-11-29"] * 16] * 4, dtype="datetime64[D]"))


def _inputs_npz(path):
    import numpy as np

    with open(path, "wb") as f:  # an .npz whose array is not named after the model's input
        np.savez(f, data=np.zeros((4, 16)))


def _inputs_text(path):
    path.write_text("1,2,3\n")


@pytest.mark.parametrize(
    "make, words",
    [
        (_inputs_string, ["dtype <U1", "integers or floats"]),
        (_inputs_datetime, ["dtype datetime64[D]", "integers or floats"]),
        (_inputs_npz, ["holds arrays ['data']", "the model's inputs are ['x']"]),
        (_inputs_text, ["cannot be read as a .npy or .npz array"]),
    ],
)
def test_bad_inputs_files(compile_cli, tmp_path, make, words):
    model = float_mlp(tmp_path / "m.onnx")
    make(tmp_path / "x.npy")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--inputs", tmp_path / "x.npy")
    _assert_clean_failure(run, tmp_path / "out", "x.npy", *words)


@pytest.mark.parametrize("part", ["xcvu9p;rm -rf X", "xcvu9p-bogus-9"])
def test_part_strings_that_would_reach_tcl_are_checked(compile_cli, tmp_path, part):
    model = float_mlp(tmp_path / "m.onnx")
    run = compile_cli(model, "--target", part, "-o", tmp_path / "out" / "p", "--stop-after", "hls")
    _assert_clean_failure(run, tmp_path / "out", "unknown target part", "Known parts")


def test_parents_created_by_a_failed_run_are_removed(compile_cli, tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    run = compile_cli(tmp_path / "bad.onnx", "--target", "xcvu9p", "-o", tmp_path / "a" / "b" / "proj")
    assert run.code == 2 and not (tmp_path / "a").exists()


def test_default_projects_directory_is_removed_after_a_failure(compile_cli, tmp_path, monkeypatch):
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    monkeypatch.chdir(tmp_path)
    run = compile_cli(tmp_path / "bad.onnx", "--target", "xcvu9p")
    assert run.code == 2 and leftovers(tmp_path) == ["bad.onnx"]


def test_an_existing_projects_directory_is_kept_after_a_failure(compile_cli, tmp_path, monkeypatch):
    (tmp_path / "bad.onnx").write_bytes(b"not onnx")
    (tmp_path / "vivado_projects" / "other").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    run = compile_cli(tmp_path / "bad.onnx", "--target", "xcvu9p")
    assert run.code == 2 and leftovers(tmp_path / "vivado_projects") == ["other"]


def test_bad_inputs_are_refused_before_any_work(compile_cli, tmp_path):
    import numpy as np

    model = float_mlp(tmp_path / "m.onnx")
    np.save(tmp_path / "x.npy", np.full((4, 16), np.nan))
    args = ["--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--inputs", tmp_path / "x.npy", "--stop-after", "load"]
    run = compile_cli(model, *args)
    _assert_clean_failure(run, tmp_path / "out", "x.npy", "NaN")


def test_force_never_deletes_the_files_the_compile_reads(compile_cli, tmp_path):
    (tmp_path / "proj").mkdir()
    model = float_mlp(tmp_path / "proj" / "m.onnx")
    before = model.read_bytes()
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "proj", "--force", "--stop-after", "hls")
    assert run.code == 2 and "Traceback" not in run.err
    assert f"it holds {model}, which this compile reads" in run.err
    assert model.read_bytes() == before and leftovers(tmp_path / "proj") == ["m.onnx"]


def test_parameters_that_fold_to_nan_are_refused(compile_cli, tmp_path):
    """A BatchNormalization with a negative variance is finite in the file, NaN once hls4ml folds sqrt(var + eps)."""
    import onnx
    from onnx import numpy_helper

    proto = onnx.load(Path(__file__).parent / "zoo" / "models" / "torch_mlp_bn" / "model.onnx")
    bn = next(n for n in proto.graph.node if n.op_type == "BatchNormalization")
    init = next(i for i in proto.graph.initializer if i.name == bn.input[4])
    init.CopyFrom(numpy_helper.from_array(-abs(numpy_helper.to_array(init)) - 1.0, init.name))
    onnx.save(proto, tmp_path / "bn.onnx")
    run = compile_cli(tmp_path / "bn.onnx", "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--stop-after", "hls")
    _assert_clean_failure(run, tmp_path / "out", "bn.onnx", f"node '{bn.name}'", "not finite after hls4ml folded")


def test_weights_that_are_not_a_file(compile_cli, tmp_path):
    (tmp_path / "w.h5").mkdir()
    (tmp_path / "m.json").write_text("{}")
    run = compile_cli(
        tmp_path / "m.json", "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--weights", tmp_path / "w.h5"
    )
    assert run.code == 2 and "Traceback" not in run.err and "errno" not in run.err


def test_weights_beside_a_model_that_holds_its_own(compile_cli, tmp_path):
    model = float_mlp(tmp_path / "m.onnx")
    (tmp_path / "w.h5").write_bytes(b"")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--weights", tmp_path / "w.h5")
    _assert_clean_failure(run, tmp_path / "out", "--weights goes with a Keras .json architecture")
