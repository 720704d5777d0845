"""Vitis reports a user produced in DIR/hls/ (a fixture in Vitis's format) read into the report."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
FIXTURE = Path(__file__).parent / "fixtures" / "vitis"


@pytest.fixture
def plain(tiny_plain):
    """A compiled project with no Vitis reports (tests copy it before installing any)."""
    return tiny_plain


def install_fixture(project: Path, csynth_edit=None) -> str:
    """Put the fixture where Vitis and hls4ml's vivado_synth.tcl write, under the project's own name."""
    hls = project / "hls"
    name = re.search(r'set project_name "([^"]+)"', (hls / "project.tcl").read_text()).group(1)
    prj = hls / f"{name}_prj"
    (prj / "solution1" / "syn" / "report").mkdir(parents=True)
    (prj / "hls.app").write_text((FIXTURE / "hls.app").read_text().replace("myproject", name))
    xml = (FIXTURE / "myproject_csynth.xml").read_text().replace("myproject", name)
    (prj / "solution1" / "syn" / "report" / f"{name}_csynth.xml").write_text(csynth_edit(xml) if csynth_edit else xml)
    decoy = xml.replace("<LUT>71835</LUT>", "<LUT>5</LUT>")  # Vitis writes one report per sub-function too
    (prj / "solution1" / "syn" / "report" / "dense_latency_ap_fixed_16_6_5_3_0_csynth.xml").write_text(decoy)
    shutil.copy(FIXTURE / "vivado_synth.rpt", hls / "vivado_synth.rpt")
    return name


def _copy(plain: Path, tmp_path: Path) -> Path:
    project = tmp_path / "p"
    shutil.copytree(plain, project)
    return project


def test_without_reports_the_block_says_how_to_get_them(plain):
    r = json.loads((plain / "report.json").read_text())
    assert "vitis_hls -f build_prj.tcl" in r["vitis_report"]["skipped"]


def test_fixture_is_parsed_with_source_vitis_report(plain, tmp_path):
    from trigger.cli import report_main

    project = _copy(plain, tmp_path)
    name = install_fixture(project)
    assert report_main([str(project)]) == 0
    v = json.loads((project / "report.json").read_text())["vitis_report"]
    assert v["source"] == "vitis-report" and v["reader"] == "hls4ml.report.parse_vivado_report"
    assert v["files"] == [f"hls/{name}_prj/solution1/syn/report/{name}_csynth.xml", "hls/vivado_synth.rpt"]
    lat = v["csynth"]["latency"]
    assert lat == {
        "cycles_best": 9,
        "cycles_worst": 9,
        "ns": 45.0,
        "ii_min": 1,
        "ii_max": 1,
        "target_clock_ns": 5.0,
        "estimated_clock_ns": 4.127,
        "timing_met": True,
        "budget_ns": 1000.0,
        "within_budget": True,
        "source": "vitis-report",
    }
    res = v["csynth"]["resources"]
    assert {k: res[k] for k in ("LUT", "FF", "DSP", "BRAM")} == {"LUT": 71835, "FF": 12406, "DSP": 131, "BRAM": 2.0}
    assert res["utilization"] == {
        "LUT": round(71835 / 1_182_240, 6),
        "FF": round(12406 / 2_364_480, 6),
        "DSP": round(131 / 6_840, 6),
        "BRAM": round(2 / 2_160, 6),
    }
    assert res["fits"] and res["source"] == "vitis-report" and res["available_in_report"]["LUT"] == "1182240"
    vs = v["vivado_synth"]["resources"]
    assert {k: vs[k] for k in ("LUT", "FF", "DSP", "BRAM")} == {"LUT": 52718, "FF": 9954, "DSP": 118, "BRAM": 2.0}
    summary = (project / "report.md").read_text().split("\n\n")[1]
    assert "| Vitis HLS | csynth: 45.0 ns = 9 cycles (worst case), II 1, LUT 71835 (6.08%)" in summary
    assert "(vitis-report)" in summary


def test_vitis_design_too_big_for_the_part_exits_3(plain, tmp_path, capsys):
    from trigger.cli import report_main

    project = _copy(plain, tmp_path)
    install_fixture(project, lambda xml: xml.replace("<LUT>71835</LUT>", "<LUT>2000000</LUT>"))
    assert report_main([str(project)]) == 3
    err = capsys.readouterr().err
    assert "vitis-report (csynth): the design does not fit xcvu9p: LUT 2,000,000 of 1,182,240 (169.2%)" in err
    # removing the report again restores the verdict: derived failures are recomputed, never accumulated
    shutil.rmtree(next((project / "hls").glob("*_prj")))
    (project / "hls" / "vivado_synth.rpt").unlink()
    assert report_main([str(project)]) == 0
    assert json.loads((project / "report.json").read_text())["verdict"] == {"passed": True, "failures": []}


def test_malformed_report_is_a_clear_input_error(plain, tmp_path, capsys):
    from trigger.cli import report_main

    project = _copy(plain, tmp_path)
    install_fixture(project, lambda xml: xml.replace("<Worst-caseLatency>9</Worst-caseLatency>", ""))
    assert report_main([str(project)]) == 2
    err = capsys.readouterr().err
    assert "trigger-report: error:" in err and str(project / "hls") in err and "Traceback" not in err
