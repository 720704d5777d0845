"""docs/report-json.md documents every key a real report.json has, and nothing that is not there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "report-json.md"
ROW = re.compile(r"^\|\s*`(\*?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)`\s*\|")


def documented_keys(text: str) -> set[str]:
    """Key paths in the first column of the document's tables: `key` (top level), `block.key`, or `*suffix`
    (a key ending so is documented wherever it appears)."""
    return {m.group(1) for line in text.splitlines() if (m := ROW.match(line))}


def undocumented(report: dict, documented: set[str]) -> list[str]:
    """Keys of `report` missing from `documented`: every top-level key, and every key of a block whose keys
    the document lists (blocks documented as maps, such as `timings_s`, have no `block.key` rows)."""
    suffixes = [d[1:] for d in documented if d.startswith("*")]

    def known(path: str) -> bool:
        return path in documented or any(path.endswith(s) for s in suffixes)

    missing = [k for k in report if not known(k)]
    for block, value in report.items():
        if isinstance(value, dict) and any(d.startswith(f"{block}.") for d in documented):
            missing += [f"{block}.{k}" for k in value if not known(f"{block}.{k}")]
    return missing


def unknown_top_level(report: dict, documented: set[str]) -> list[str]:
    """Top-level keys the document lists but the report does not have (every report has all of them)."""
    return sorted(d for d in documented if "." not in d and not d.startswith("*") and d not in report)


def test_checker_reports_an_undocumented_key():
    doc = "| `model` | object |\n| `model.name` | str |\n| `verdict` | object |\n| `verdict.passed` | bool |\n"
    keys = documented_keys(doc)
    assert keys == {"model", "model.name", "verdict", "verdict.passed"}
    report = {"model": {"name": "m"}, "verdict": {"passed": True}}
    assert undocumented(report, keys) == [] and unknown_top_level(report, keys) == []
    assert undocumented({**report, "new_block": {}}, keys) == ["new_block"]
    assert undocumented({**report, "model": {"name": "m", "sha256": "x"}}, keys) == ["model.sha256"]
    assert unknown_top_level({"model": {}}, keys) == ["verdict"]
    with_suffix = keys | {"*_null_reason"}
    nulled = {**report, "model": {"name": None, "name_null_reason": "was nan"}}
    assert undocumented(nulled, keys) == ["model.name_null_reason"] and undocumented(nulled, with_suffix) == []
    assert unknown_top_level(report, with_suffix) == []
    # a real key dropped from the real document is reported
    text = DOC.read_text()
    assert "| `trigger_version` |" in text
    assert undocumented({"trigger_version": "0"}, documented_keys(text.replace("| `trigger_version` |", "| x |"))) == [
        "trigger_version"
    ]


def _check(report: dict) -> None:
    keys = documented_keys(DOC.read_text())
    assert undocumented(report, keys) == [], "add these keys to docs/report-json.md"
    assert unknown_top_level(report, keys) == [], "docs/report-json.md lists top-level keys report.json lacks"


@pytest.mark.slow
def test_tiny_report_keys_are_documented(tiny_plain):
    """A --no-cosim --no-synth compile: every top-level key, the skipped blocks and the estimate."""
    _check(json.loads((tiny_plain / "report.json").read_text()))


@pytest.mark.slow
def test_full_report_keys_are_documented(compiled):
    """The full jet-tagger compile (shared with tests/report): co-simulation, yosys, latency and resources."""
    code, out = compiled("jet", "onnx")
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["cosim"]["source"] == "cosim" and report["resources"]["source"] == "yosys"
    _check(report)
