"""Which environment compiles a Keras file: read from the file (the Keras that wrote it), not its suffix; a
Keras-3 file given to the default environment's trigger-compile is compiled in the Keras-3 environment."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from trigger import environments

REPO = Path(__file__).resolve().parents[1]


def _fake_keras3(path: Path) -> Path:
    """A .keras archive that says Keras 3.15.1 wrote it (enough for the routing, which reads only that)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.15.1", "date_saved": "2026-11-30"}))
        z.writestr("config.json", "{}")
    return path


def test_the_writer_is_read_from_the_file_not_the_suffix(tiny_files, tmp_path):
    assert environments.running_keras_major() == 2
    for legacy in (tiny_files.h5, tiny_files.keras, tiny_files.json):  # all written by Keras 2.15 here
        assert environments.keras_major_of(legacy) == 2, legacy
        assert environments.environment_for(legacy) is None
    assert environments.keras_major_of(_fake_keras3(tmp_path / "new.keras")) == 3
    assert environments.keras_major_of(tiny_files.onnx) is None
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    assert environments.keras_major_of(tmp_path / "broken.keras") is None  # the frontend refuses it


def test_a_missing_keras3_environment_is_a_clear_error(tmp_path, monkeypatch, compile_cli):
    monkeypatch.setenv("TRIGGER_KERAS3_PYTHON", str(tmp_path / "nowhere" / "python"))
    model = _fake_keras3(tmp_path / "new.keras")
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "prj")
    assert run.code == 2
    assert "Keras-3 environment is not installed" in run.err and "TRIGGER_KERAS3_PYTHON" in run.err
    assert not (tmp_path / "prj").exists()


def test_a_second_hop_is_refused(tmp_path, monkeypatch, compile_cli):
    """A process started for a file by the other environment never sends it on again (no loop)."""
    monkeypatch.setenv(environments.ROUTED, "3")
    run = compile_cli(_fake_keras3(tmp_path / "new.keras"), "--target", "xcvu9p", "-o", tmp_path / "prj")
    assert run.code == 2 and "check TRIGGER_KERAS3_PYTHON" in run.err


def test_the_keras2_frontend_refuses_a_keras3_file_in_process(tmp_path):
    from trigger.errors import InputError
    from trigger.frontends import load_model

    with pytest.raises(InputError, match="written by Keras 3.15.1; this process runs Keras 2"):
        load_model(_fake_keras3(tmp_path / "new.keras"))


@pytest.mark.slow
def test_trigger_compile_sends_a_keras3_model_to_the_keras3_environment(tmp_path):
    """End to end through the user's commands: an HGQ2 model saved by Keras 3 compiles from the default
    environment's trigger-compile, exactly, report.json names the environment that compiled it, and
    trigger-regress records and checks its golden vectors from the default environment too."""
    python3 = environments.python_of(3)
    build = (
        "import sys, pathlib; sys.path.insert(0, sys.argv[1]); import models3; "
        "print(models3.hgq_dense(pathlib.Path(sys.argv[2])))"
    )
    made = subprocess.run(
        [str(python3), "-c", build, str(REPO / "tests" / "keras3"), str(tmp_path)], capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr[-2000:]
    model = Path(made.stdout.strip().splitlines()[-1])
    cli = Path(sys.executable).parent / "trigger-compile"
    out = tmp_path / "prj"
    args = [
        str(cli),
        str(model),
        "--target",
        "xcvu9p",
        "-o",
        str(out),
        "--n-vectors",
        "200",
        "--no-cosim",
        "--no-synth",
    ]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "written by Keras 3; compiling it in that environment" in done.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["environment"]["python"] == str(python3) and report["environment"]["keras"] == "3.15.1"
    assert report["emulation"]["bit_exact"] and report["rtl"]["passed"]
    regress = Path(sys.executable).parent / "trigger-regress"
    for command in ("record", "check"):  # golden vectors of a Keras-3 project, from the default environment
        done = subprocess.run([str(regress), command, str(out)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-2000:]
        assert f"written by Keras 3; {command}ing it in that environment" in done.stdout
    assert "bit-exact" in done.stdout
