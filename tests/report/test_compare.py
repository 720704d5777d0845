"""trigger-report over several projects: one comparison table."""

from __future__ import annotations

import json

import pytest

from trigger.report.compare import COLUMNS, comparison_table


def _report(clock: float, cycles: int, lut: int, passed: bool = True) -> dict:
    return {
        "model": {"name": "m"},
        "target": {"device": "xcvu9p", "clock_ns": clock},
        "emulation": {"mode": "exact", "bit_exact": True, "inputs": {"type": "fixed<16,6>"}},
        "cosim": {"mismatches": 0},
        "latency": {"cycles": cycles, "ns": cycles * clock, "budget_ns": 1000.0, "within_budget": True},
        "resources": {"LUT": lut, "FF": 10, "DSP": 0, "utilization": {"LUT": lut / 1_182_240}, "source": "yosys"},
        "verdict": {"passed": passed, "failures": []},
    }


def test_table_has_one_row_per_project():
    table = comparison_table([("a", _report(5.0, 8, 1000)), ("b", _report(2.5, 12, 1100, passed=False))])
    lines = table.splitlines()
    assert lines[0] == "| " + " | ".join(COLUMNS) + " |" and len(lines) == 4
    assert lines[2].startswith(
        "| a | m | xcvu9p | 5 | fixed<16,6> | 8 | 40 | 1000 | 1,000 (0.0846%) | 10 | 0 | yosys |"
    )
    assert lines[3].endswith("| bit-exact | pass | FAIL |")


@pytest.mark.slow
def test_trigger_report_compares_clocks(tiny_files, tmp_path, capsys):
    from trigger.cli import compile_main, report_main

    projects = []
    for clock in ("5", "1"):
        out = tmp_path / f"clock_{clock}ns"
        args = [str(tiny_files.h5), "--target", "xcvu9p", "-o", str(out), "--clock-ns", clock, "--no-synth"]
        assert compile_main([*args, "--n-vectors", "50"]) == 0
        projects.append(out)
    capsys.readouterr()
    assert report_main([*map(str, projects), "--table", str(tmp_path / "table.md")]) == 0
    out = capsys.readouterr().out
    table = (tmp_path / "table.md").read_text()
    assert table in out
    rows = [line for line in table.splitlines() if line.startswith("| clock_")]
    assert len(rows) == 2
    for project, row in zip(projects, rows, strict=True):
        lat = json.loads((project / "report.json").read_text())["latency"]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == project.name and cells[5] == str(lat["cycles"])
        assert float(cells[6]) == lat["cycles"] * lat["clock_ns"]  # ns = cycles x clock in every row
    fast, slow = (json.loads((p / "report.json").read_text())["latency"] for p in projects[::-1])
    assert fast["cycles"] > slow["cycles"]  # a shorter clock period pipelines deeper
