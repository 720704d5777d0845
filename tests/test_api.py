"""The Python API: trigger.compile on files and in-memory models, Project, and its errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import leftovers
from models import float_mlp

import trigger
from trigger.fixed import fixed_type_from_str


def test_in_memory_qkeras_model_gives_the_same_raw_outputs_as_the_cli(tiny_files, tiny_plain, tmp_path):
    """The acceptance test of issue 12 item 13: in memory through trigger.compile == the file through the CLI."""
    x = np.load(tiny_plain / "vectors" / "inputs.npy")
    cli_raw = np.load(tiny_plain / "vectors" / "expected_raw.npy")
    project = trigger.compile(
        tiny_files.model, target="xcvu9p", out=tmp_path / "p", inputs=x, rtl=False, cosim=False, synth=False
    )
    assert project.passed and project.emulation["mode"] == "exact" and project.emulation["bit_exact"]
    np.testing.assert_array_equal(np.load(project.dir / "vectors" / "expected_raw.npy"), cli_raw)
    assert (project.dir / "model" / "tiny.h5").is_file()  # the in-memory model is kept with its project
    manifest = json.loads((project.dir / "manifest.json").read_text())
    assert manifest["model"]["path"] == str(project.dir / "model" / "tiny.h5")

    emulated = project.emulate(x)  # the firmware arithmetic on any inputs
    np.testing.assert_array_equal(emulated.raw, cli_raw.reshape(len(x), -1))
    assert emulated.layer == project.emulation["compared_at"]["layer"]
    np.testing.assert_array_equal(emulated.real, fixed_type_from_str(emulated.type).from_raw(emulated.raw))
    one = project.emulate(x[3])  # one vector without the batch axis
    np.testing.assert_array_equal(one.raw, emulated.raw[3:4])

    reopened = trigger.Project.open(tiny_plain)  # from disk: rebuilt from the model file and configuration
    np.testing.assert_array_equal(reopened.emulate(x[:5]).raw, cli_raw.reshape(len(x), -1)[:5])


def test_in_memory_onnx_model(tmp_path):
    import onnx

    proto = onnx.load(float_mlp(tmp_path / "m.onnx"))
    proto.graph.name = "my mlp"
    project = trigger.compile(proto, "xcvu9p", tmp_path / "p", stop_after="hls", n_vectors=10)
    assert project.report["model"]["file"] == "my_mlp.onnx"
    assert (project.dir / "hls" / "build_prj.tcl").is_file()


@pytest.mark.parametrize(
    "options, words",
    [
        ({"clock_ns": float("nan")}, "clock_ns=nan"),
        ({"seed": -1}, "seed=-1"),
        ({"n_vectors": 0}, "n_vectors=0"),
        ({"strategy": "Fast"}, "strategy='Fast'"),
        ({"precision": "float16"}, "float16"),
        ({"colour": "red"}, "unknown option(s) colour"),
    ],
)
def test_bad_options_raise_input_error(tmp_path, options, words):
    model = float_mlp(tmp_path / "m.onnx")
    with pytest.raises(trigger.InputError, match=words.replace("(", r"\(").replace(")", r"\)")):
        trigger.compile(model, "xcvu9p", tmp_path / "out" / "p", **options)
    assert leftovers(tmp_path / "out") == []


def test_bad_model_objects_and_parts(tmp_path):
    with pytest.raises(trigger.InputError, match="a Keras model or an onnx.ModelProto; got dict"):
        trigger.compile({"layers": []}, "xcvu9p", tmp_path / "p")
    with pytest.raises(trigger.InputError, match="unknown target part"):
        trigger.compile(float_mlp(tmp_path / "m.onnx"), "xcvu9p;ls", tmp_path / "p")
    with pytest.raises(trigger.InputError, match="no such file"):
        trigger.compile(tmp_path / "missing.onnx", "xcvu9p", tmp_path / "p")
    assert not (tmp_path / "p").exists()


def test_failed_check_carries_the_written_project(tmp_path):
    model = float_mlp(tmp_path / "m.onnx")
    with pytest.raises(trigger.CheckFailed) as exc:
        trigger.compile(
            model, "xcvu9p", tmp_path / "p", n_vectors=50, min_agreement=1.0, precision="ap_fixed<4,2>", rtl=False
        )
    project = exc.value.project
    assert project.dir == tmp_path / "p" and (project.dir / "report.json").is_file()
    assert exc.value.report is project.report and not project.passed
    assert any("below --min-agreement" in f for f in project.verdict["failures"])
