"""Helpers for the example tests: load examples/<name>/run.py, run it on a tiny configuration, perturb."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
TINY = ["--n-per-class", "40", "--epochs", "2", "--jobs", "2"]  # 200 jets: 150 to train, 50 to compile and check


def example(name: str) -> ModuleType:
    """examples/<name>/run.py as a module (the examples load each other under these names)."""
    key = f"example_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, EXAMPLES / name / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def report(out: Path) -> dict:
    return json.loads((out / "project" / "report.json").read_text())


def one_step_off(model, layer: str, lsb: float) -> None:
    """Move the first bias of `layer` by one quantizer step, inside the quantizer's range [-1, 1)."""
    weights = model.get_layer(layer).get_weights()
    b = weights[1]
    b[0] = b[0] - lsb if b[0] > -1 + lsb / 2 else b[0] + lsb
    model.get_layer(layer).set_weights(weights)


def with_one_raw_changed(project: Path, copy_to: Path) -> Path:
    """A copy of the project's vectors/ (inside `copy_to`) whose first expected raw integer is one off."""
    vectors = copy_to / "vectors"
    vectors.mkdir(parents=True)
    for f in (project / "vectors").iterdir():
        (vectors / f.name).write_bytes(f.read_bytes())
    raw = np.load(vectors / "expected_raw.npy")
    raw.flat[0] += 1
    np.save(vectors / "expected_raw.npy", raw)
    return copy_to


def assert_firmware_exact(out: Path, n: int, layer_types: set[str]) -> tuple[dict, dict]:
    """The example's own verdicts and the project's: firmware logits == QAT, RTL == C simulation, cosim
    without mismatch (its words checked here too); returns (results.json, report.json)."""
    r, rep = results(out), report(out)
    assert r["n_test"] == n and r["firmware_equals_qat_at_logits"] and r["compare_point"] == "output"
    assert rep["emulation"]["bit_exact"] and rep["emulation"]["compared_at"]["layer"] == "output"
    assert layer_types <= {layer["type"] for layer in rep["rtl"]["layers"]}
    fw = r["firmware"]
    assert fw["rtl_bit_exact_vs_csim"] and fw["rtl_vectors"] == n
    assert fw["cosim_mismatches"] == 0 and fw["cosim_vectors"] == n and fw["latency_cycles"] >= 1
    rtl_expected = np.load(out / "project" / "vectors" / "rtl_expected_raw.npy").reshape(n, -1)  # C sim, RTL's end
    np.testing.assert_array_equal(np.load(out / "project" / "cosim" / "outputs_raw.npy"), rtl_expected)
    assert r["auc"]["QAT"] == r["auc"]["firmware"] and (out / "roc.png").stat().st_size > 0
    return r, rep
