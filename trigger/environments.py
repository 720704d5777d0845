"""Two Python environments, one per Keras generation, and which one a Keras model file is compiled in.

Keras-2 files (legacy QKeras json+h5/.h5, float Keras 2) are compiled where TensorFlow 2.15 and QKeras 0.9 live
(`.venv`, the default environment: it also holds the QKeras -> QONNX export of qonnx 0.4.0, which needs
protobuf 3.20 and TF <= 2.15).  Keras-3 files (HGQ2, QKeras-v3, float Keras 3 `.keras`) need TensorFlow >= 2.16
and Keras 3, which cannot share a process with QKeras 0.9 (README "Two environments").  `trigger-compile`
reads which Keras wrote the file and, when that is not the Keras of the running process, runs the same command
in the other environment's Python (said on stdout, recorded in report.json as `environment`).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from trigger.errors import InputError

REPO = Path(__file__).resolve().parent.parent
# Keras major version -> (environment variable naming that environment's python, default venv in the checkout)
ENVIRONMENTS = {2: ("TRIGGER_KERAS2_PYTHON", ".venv"), 3: ("TRIGGER_KERAS3_PYTHON", ".venv-keras3")}
ROUTED = "TRIGGER_ROUTED_FROM"  # set in the child, so a second hop is refused instead of looping
KERAS_SUFFIXES = (".h5", ".hdf5", ".keras", ".json")


def running_keras_major() -> int | None:
    """The Keras major version installed where this process runs (read from metadata: no TensorFlow import)."""
    try:
        return int(importlib.metadata.version("keras").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return None


def stored_keras_version(path: Path) -> str | None:
    """The `keras_version` a Keras file records (.keras metadata.json, .h5 attribute, .json key), else None.

    Unreadable files give None: the frontend then refuses them with its own message.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".keras":
            with zipfile.ZipFile(path) as z:
                version = json.loads(z.read("metadata.json")).get("keras_version")
        elif suffix == ".json":
            version = json.loads(path.read_text()).get("keras_version")
        elif suffix in (".h5", ".hdf5"):
            import h5py

            with h5py.File(path, "r") as f:
                version = f.attrs.get("keras_version")
        else:
            return None
    except Exception:
        return None
    if isinstance(version, bytes):
        version = version.decode()
    return str(version) if version else None


def keras_major_of(path: Path) -> int | None:
    """2 or 3 for a Keras model file (what wrote it), None for other files or when it does not say."""
    if path.suffix.lower() not in KERAS_SUFFIXES or not path.is_file():
        return None
    version = stored_keras_version(path)
    try:
        return int(version.split(".")[0]) if version else None
    except ValueError:
        return None


def python_of(major: int) -> Path:
    """The python of the environment for Keras `major` (InputError when it is not installed)."""
    variable, default = ENVIRONMENTS[major]
    python = Path(os.environ.get(variable) or REPO / default / "bin" / "python")
    if not python.is_file():
        setup = "`make setup`" if major == 3 else "`make setup` (scripts/setup.sh)"
        raise InputError(
            f"this is a Keras {major} model, and the Keras-{major} environment is not installed ({python} does not "
            f"exist): run {setup} in the trigger checkout, or set {variable} to that environment's python."
        )
    return python


def environment_for(model: Path) -> Path | None:
    """The python to compile `model` in when it is not this process's (None: compile here)."""
    major, here = keras_major_of(model), running_keras_major()
    if major is None or here is None or major == here or major not in ENVIRONMENTS:
        return None
    if os.environ.get(ROUTED):
        raise InputError(
            f"{model}: written by Keras {major}, but this process (started from the Keras-{os.environ[ROUTED]} "
            f"environment for it) runs Keras {here}: check {ENVIRONMENTS[major][0]}."
        )
    return python_of(major)


def describe() -> dict:
    """Which environment this process is (recorded in report.json)."""
    return {"python": sys.executable, "keras": _version("keras"), "tensorflow": _version("tensorflow-cpu")}


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def rerun(python: Path, entry: str, argv: list[str]) -> int:
    """Run `trigger.cli.<entry>(argv)` in another environment's python, streaming its output; its exit code."""
    code = f"import sys; from trigger.cli import {entry}; sys.exit({entry}(sys.argv[1:]))"
    env = {**os.environ, ROUTED: str(running_keras_major())}
    return subprocess.run([str(python), "-c", code, *argv], env=env).returncode
