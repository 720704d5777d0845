"""Shared fixtures: model files built once per session, and an in-process trigger-compile runner."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytest_plugins = ["pytester"]  # tests/regress runs a sample user repository under its own pytest
collect_ignore = ["regress/sample_repo"]  # ... and only there: it is never collected by this suite

# tests/rtl/*.py share the RTL layer checks of tests/rtl/layers/layer_check.py (a conftest.py there would
# shadow this one for the tests that `from conftest import ...`)
RTL_LAYER_CHECKS = str(Path(__file__).parent / "rtl" / "layers")
if RTL_LAYER_CHECKS not in sys.path:
    sys.path.insert(0, RTL_LAYER_CHECKS)

# tests/keras3 runs in the Keras-3 environment (`make test` runs it there: .venv-keras3/bin/python -m pytest
# tests/keras3); everything else in the default one.  Each environment collects only its own tests.
KERAS3_TESTS = Path(__file__).parent / "keras3"


def _keras3_environment() -> bool:
    from trigger.environments import running_keras_major

    return running_keras_major() == 3


if not _keras3_environment():
    collect_ignore.append("keras3")


def pytest_ignore_collect(collection_path, config):
    """In the Keras-3 environment, nothing outside tests/keras3 is collected (None: pytest decides)."""
    if _keras3_environment() and collection_path.is_file() and not collection_path.is_relative_to(KERAS3_TESTS):
        return True
    return None


# Session fixtures too costly to build on both pytest-xdist workers: their users share one worker
# (`make test` runs `-n 2 --dist loadgroup`); everything else is balanced across the two.
SHARED_FIXTURE_GROUPS = {"compiled": "full-compiles"}


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook, which reads the groups into the node ids
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        names = getattr(item, "fixturenames", ())
        group = next((g for fixture, g in SHARED_FIXTURE_GROUPS.items() if fixture in names), None)
        if group is None and _uses_module_fixture(item):
            group = item.nodeid.split("::")[0]  # a module fixture is built once: its tests share a worker
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _uses_module_fixture(item) -> bool:
    """Whether the test uses a module-scoped fixture (built once per worker: two workers would build it twice)."""
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(d and d[-1].scope == "module" for d in defs)


@pytest.fixture(scope="session", autouse=True)
def synthesis_cache(tmp_path_factory):
    """A session-private synthesis cache: tests never read results cached by earlier runs or by the user."""
    old = os.environ.get("TRIGGER_CACHE_DIR")
    os.environ["TRIGGER_CACHE_DIR"] = str(tmp_path_factory.mktemp("trigger-cache"))
    yield Path(os.environ["TRIGGER_CACHE_DIR"])
    if old is None:
        os.environ.pop("TRIGGER_CACHE_DIR", None)
    else:
        os.environ["TRIGGER_CACHE_DIR"] = old


@dataclass
class ModelFiles:
    """One Keras model saved every way trigger reads it."""

    model: object
    h5: Path
    keras: Path
    json: Path
    onnx: Path


def _save_all(model, directory: Path) -> ModelFiles:
    from trigger.qonnx_export import keras_to_qonnx

    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / model.name
    model.save(f"{stem}.h5")
    model.save(f"{stem}.keras")
    Path(f"{stem}.json").write_text(model.to_json())
    model.save_weights(f"{stem}_weights.h5")
    keras_to_qonnx(model, Path(f"{stem}.onnx"))
    return ModelFiles(model, Path(f"{stem}.h5"), Path(f"{stem}.keras"), Path(f"{stem}.json"), Path(f"{stem}.onnx"))


@pytest.fixture(scope="session")
def jet_files(tmp_path_factory) -> ModelFiles:
    """The QKeras jet tagger 16-64-32-32-5 with random (non-zero) weights and biases."""
    from trigger.zoo import jet_tagger, randomize

    model = jet_tagger()
    randomize(model, seed=1)
    return _save_all(model, tmp_path_factory.mktemp("jet"))


@pytest.fixture(scope="session")
def ae_files(tmp_path_factory) -> ModelFiles:
    """The QKeras autoencoder 57-32-8-32-57 with random weights and biases."""
    from trigger.zoo import autoencoder, randomize

    model = autoencoder()
    randomize(model, seed=2)
    return _save_all(model, tmp_path_factory.mktemp("ae"))


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory) -> ModelFiles:
    """A tiny QKeras tagger 8-8-3 with 4-bit weights: yosys synthesises it in seconds."""
    import tensorflow as tf

    from trigger.zoo import jet_tagger, randomize

    small = jet_tagger(bits=4, hidden=(8,), n_features=8, n_classes=3)
    model = tf.keras.Model(small.inputs, small.outputs, name="tiny")
    randomize(model, seed=3)
    return _save_all(model, tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="session")
def tiny_plain(tiny_files, tmp_path_factory) -> Path:
    """The tiny tagger compiled with --no-cosim --no-synth (read it, or copy it before changing it)."""
    from trigger.cli import compile_main

    out = tmp_path_factory.mktemp("tiny_plain") / "p"
    args = [str(tiny_files.h5), "--target", "xcvu9p", "-o", str(out), "--no-cosim", "--no-synth", "--n-vectors", "50"]
    assert compile_main(args) == 0
    return out


@pytest.fixture(scope="session")
def compiled(tmp_path_factory, jet_files, ae_files):
    """Compiles of the jet tagger and the autoencoder (2000 vectors), each done once per session.

    The QONNX route is the full compile: RTL, Verilator co-simulation and, for the jet tagger, yosys.  The Keras
    route stops after the RTL stage's check (--no-cosim --no-synth): tests/cosim compares its RTL with the QONNX
    route's text for text, so a second co-simulation of the same Verilog would prove nothing new.

    `compiled(which, route)` -> (exit code, project directory) for which in {jet, ae}, route in {h5, onnx}.
    """
    from trigger.cli import compile_main

    done: dict[tuple[str, str], tuple[int, Path]] = {}

    def get(which: str, route: str) -> tuple[int, Path]:
        if (which, route) not in done:
            files = jet_files if which == "jet" else ae_files
            out = tmp_path_factory.mktemp(f"{which}_{route}") / "prj"
            args = [str(getattr(files, route)), "--target", "xcvu9p", "-o", str(out), "--n-vectors", "2000"]
            if route == "h5":
                args += ["--no-cosim", "--no-synth"]
            elif which != "jet":
                args.append("--no-synth")  # yosys on the jet tagger only (minutes; benchmarks do the AE)
            done[which, route] = (compile_main(args), out)
        return done[which, route]

    return get


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def compile_cli(capsys):
    """Run trigger-compile in this process (TensorFlow is imported once) and capture its output."""
    from trigger.cli import compile_main

    def run(*args: object) -> Run:
        code = compile_main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def hls_model_of(model_file: Path, tmp: Path, precision: str = "ap_fixed<16,6>"):
    """The converted, precision-inferred hls4ml model trigger would build for `model_file` (xcvu9p)."""
    from trigger.frontends import load_model
    from trigger.hls import build_config, convert
    from trigger.options import CompileOptions
    from trigger.targets import resolve_part

    src = load_model(model_file)
    opts = CompileOptions(model=src.path, part=resolve_part("xcvu9p"), output_dir=tmp / "unused", precision=precision)
    return convert(src, build_config(src, opts), opts, tmp / "hls")


def leftovers(parent: Path) -> list[str]:
    """Names of anything a failed compile left in `parent` (staging directories included)."""
    return sorted(p.name for p in parent.iterdir()) if parent.exists() else []


def raw(values: np.ndarray, frac_bits: int) -> np.ndarray:
    """Raw fixed-point integers of values that must lie on a grid with `frac_bits` fractional bits."""
    scaled = np.asarray(values, dtype=np.float64) * 2.0**frac_bits
    np.testing.assert_array_equal(scaled, np.round(scaled))
    return scaled.astype(np.int64)
