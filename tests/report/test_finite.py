"""No report holds NaN or Infinity: report.json stays standard JSON, a non-finite figure is null with a reason,
and an emulation whose reference or C simulation gives NaN/Inf is refused rather than compared."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from trigger import emulation
from trigger.errors import CheckFailed, InputError
from trigger.report import null_non_finite, regenerate, write_json
from trigger.report.markdown import render_markdown


def _strict_load(path: Path) -> dict:
    def refuse(constant: str):
        raise AssertionError(f"{path.name} holds {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def test_write_json_refuses_nan_and_says_where(tmp_path):
    with pytest.raises(ValueError, match=r"emulation\.max_abs_diff = nan.*cosim\.phases\[1\] = inf"):
        write_json(tmp_path / "r.json", {"emulation": {"max_abs_diff": np.nan}, "cosim": {"phases": [1.0, np.inf]}})
    assert not (tmp_path / "r.json").exists()


def test_non_finite_figures_become_null_with_a_reason_and_a_warning(tmp_path):
    report = {"emulation": {"max_abs_diff": float("nan"), "n": 3}, "cosim": {"rates": [1.0, float("-inf")]}}
    null_non_finite(report)
    reason = report["emulation"]["max_abs_diff_null_reason"]
    assert report["emulation"] == {"max_abs_diff": None, "n": 3, "max_abs_diff_null_reason": reason}
    assert "nan" in reason
    assert report["cosim"]["rates"] == [1.0, None]
    assert report["warnings"] == [
        "emulation.max_abs_diff was nan; written as null.",
        "cosim.rates[1] was -inf; written as null.",
    ]
    write_json(tmp_path / "r.json", report)
    assert _strict_load(tmp_path / "r.json")["emulation"]["max_abs_diff"] is None


def test_a_regenerated_report_is_standard_json_and_shows_its_warnings(tiny_plain, tmp_path):
    project = tmp_path / "p"
    shutil.copytree(tiny_plain, project)
    report = json.loads((project / "report.json").read_text())
    assert report["warnings"] == []
    assert "## Warnings" not in (project / "report.md").read_text()
    report["emulation"]["max_abs_diff"] = float("nan")  # as an older trigger wrote it
    (project / "report.json").write_text(json.dumps(report))
    regenerate(project)
    again = _strict_load(project / "report.json")
    assert again["emulation"]["max_abs_diff"] is None and "max_abs_diff_null_reason" in again["emulation"]
    md = (project / "report.md").read_text()
    assert "## Warnings\n- emulation.max_abs_diff was nan; written as null." in md
    assert "Max abs diff there: n/a" in md


def test_markdown_lists_the_warnings_only_when_there_are_some(tiny_plain):
    report = json.loads((tiny_plain / "report.json").read_text())
    report["warnings"] = ["layer fc1 (Dense): 1 of 64 weight values (w2) lie outside fixed<4,1>", "second one"]
    md = render_markdown(report)
    assert "## Warnings\n- layer fc1 (Dense): 1 of 64 weight values (w2) lie outside fixed<4,1>\n- second one\n" in md
    del report["warnings"]  # a report.json written before the key existed
    assert "Warnings" not in render_markdown(report)


# ---------------------------------------------------------------------------------- the emulation refuses


def _layer(name: str, class_name: str, inputs: list[str]):
    from hls4ml.model.types import FixedPrecisionType

    var = SimpleNamespace(type=SimpleNamespace(precision=FixedPrecisionType(16, 6)), shape=[3])
    return SimpleNamespace(
        name=name,
        class_name=class_name,
        inputs=inputs,
        outputs=[name],
        weights={},
        get_attr=lambda key, default=None: default,
        get_output_variable=lambda: var,
        get_input_variable=lambda: var,
    )


class _Hls:
    def __init__(self, out: np.ndarray):
        self.out = out
        self.layers = [_layer("x", "Input", []), _layer("fc", "Dense", ["x"])]

    def get_layers(self):
        return iter(self.layers)

    def trace(self, x):
        return self.out.copy(), {"fc": self.out.copy()}


class _Source:
    path = Path("model.onnx")

    def __init__(self, out: np.ndarray):
        self.out = out

    def predict(self, x):
        return self.out.copy()

    def has_layer(self, layer):
        return False


def _values() -> np.ndarray:
    return np.arange(12, dtype=np.float64).reshape(4, 3) / 4


def _run(emulated: np.ndarray, reference: np.ndarray):
    hm = _Hls(emulated)
    return emulation.run(hm, _Source(reference), emulation.compare_point(hm), np.zeros((4, 3)))


def test_finite_values_compare():
    cmp, _ = _run(_values(), _values())
    assert cmp.equal.all() and cmp.max_abs_diff == 0.0


def test_nan_in_the_reference_is_an_input_error_naming_layer_and_vector():
    reference = _values()
    reference[2, 1] = np.nan
    with pytest.raises(InputError, match="model.onnx: the reference model produced NaN/Inf at layer fc for vector 2"):
        _run(_values(), reference)


def test_inf_in_the_c_simulation_is_a_failed_check():
    emulated = _values()
    emulated[3, 0] = np.inf
    with pytest.raises(CheckFailed, match="C simulation produced NaN/Inf at layer fc for vector 3"):
        _run(emulated, _values())


def test_c_simulation_off_its_grid_is_a_failed_check_even_under_python_O():
    """Issue 12 item 3: the on-grid invariant is a real error (CheckFailed), not an assert that -O removes."""
    emulated = _values()
    emulated[1, 2] += 2.0**-12  # fixed<16,6> has 10 fractional bits: a quarter LSB off its grid
    with pytest.raises(CheckFailed, match=r"C simulation produced values off the grid of .* at layer fc .*vector 1"):
        _run(emulated, _values())
