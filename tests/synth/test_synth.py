"""yosys synthesis as a compile stage and through trigger-report --synth: counts, cache, fallbacks, failures."""

from __future__ import annotations

import json
import shutil

import pytest

pytestmark = pytest.mark.slow


def _report(project):
    return json.loads((project / "report.json").read_text())


@pytest.fixture(scope="module")
def synthesized(tiny_files, tmp_path_factory):
    """The tiny tagger compiled with synthesis (no co-simulation)."""
    from trigger.cli import compile_main

    out = tmp_path_factory.mktemp("synth") / "p"
    args = [str(tiny_files.h5), "--target", "xcvu9p", "-o", str(out), "--no-cosim", "--n-vectors", "50"]
    assert compile_main(args) == 0
    return out


@pytest.fixture
def unsynthesized(tiny_plain):
    """The same model compiled with --no-synth."""
    return tiny_plain


def test_synthesis_counts_and_files(synthesized, synthesis_cache):
    res = _report(synthesized)["resources"]
    assert res["source"] == "yosys" and res["fits"] and res["synthesis"]["seconds"] > 0
    assert res["LUT"] > 0 and res["FF"] > 0 and res["logic_depth"] > 0
    synth = synthesized / "synth"
    result = json.loads((synth / "result.json").read_text())
    assert result["counts"]["LUT"] == res["LUT"] and result["cache_key"] == res["synthesis"]["cache_key"]
    assert "synth_xilinx -family xcup -flatten -noiopad -noclkbuf -top tiny_top" in (synth / "synth.ys").read_text()
    assert "Executing SYNTH_XILINX pass" in (synth / "yosys.log").read_text()
    assert (synthesis_cache / "synth" / f"{result['cache_key']}.json").exists()


def test_same_rtl_is_a_cache_hit(synthesized, tiny_files, tmp_path, compile_cli):
    out = tmp_path / "again"
    run = compile_cli(tiny_files.h5, "--target", "xcvu9p", "-o", out, "--no-cosim", "--n-vectors", 50)
    assert run.code == 0, run.err
    first, second = _report(synthesized)["resources"], _report(out)["resources"]
    assert second["synthesis"]["cached"] and second["synthesis"]["cache_key"] == first["synthesis"]["cache_key"]
    assert {k: second[k] for k in ("LUT", "FF", "CARRY", "DSP", "BRAM", "logic_depth")} == {
        k: first[k] for k in ("LUT", "FF", "CARRY", "DSP", "BRAM", "logic_depth")
    }
    assert not (out / "synth" / "yosys.log").exists()  # yosys did not run


def test_no_synth_reports_the_estimate_and_says_so(unsynthesized):
    r = _report(unsynthesized)
    res = r["resources"]
    assert r["synth"] == {"skipped": "--no-synth"} and res["source"] == "estimate"
    assert "no yosys synthesis (--no-synth)" in res["note"] and res["DSP"] is None
    assert res["LUT"] == round(r["rtl"]["estimate"]["LUT"]) and res["utilization"]["LUT"] == round(
        res["LUT"] / 1_182_240, 6
    )
    assert "(estimate): fits" in (unsynthesized / "report.md").read_text().split("\n\n")[1]
    assert not (unsynthesized / "synth").exists()


def test_trigger_report_synth_adds_synthesis_later(unsynthesized, tmp_path, capsys):
    from trigger.cli import report_main

    project = tmp_path / "later"
    shutil.copytree(unsynthesized, project)
    assert report_main([str(project), "--synth"]) == 0
    r = _report(project)
    assert r["resources"]["source"] == "yosys" and r["synth"]["counts"]["LUT"] == r["resources"]["LUT"]
    assert "(yosys): fits" in (project / "report.md").read_text()
    assert "[1/1] synth" in capsys.readouterr().out


def test_yosys_error_is_a_reported_failure(unsynthesized, tmp_path, capsys):
    from trigger.cli import report_main

    project = tmp_path / "broken"
    shutil.copytree(unsynthesized, project)
    stage = project / "rtl" / "src" / "tiny_stage0.v"
    stage.write_text(stage.read_text().replace("endmodule", "wire broken = ;\nendmodule", 1))
    assert report_main([str(project), "--synth"]) == 3
    err = capsys.readouterr().err
    assert "synthesis: yosys failed:" in err and "yosys.log" in err
    r = _report(project)
    assert "error" in r["synth"] and r["resources"]["source"] == "estimate"
    assert any(f.startswith("synthesis: yosys failed") for f in r["verdict"]["failures"])


def test_without_yosys_the_compile_falls_back_to_the_estimate(tiny_files, tmp_path, compile_cli, monkeypatch):
    import trigger.synth.yosys as yosys

    monkeypatch.setattr(yosys, "yosys_version", lambda: None)
    out = tmp_path / "p"
    run = compile_cli(tiny_files.h5, "--target", "xcvu9p", "-o", out, "--no-cosim", "--n-vectors", 20)
    assert run.code == 0, run.err
    res = _report(out)["resources"]
    assert res["source"] == "estimate" and "yosys is not on PATH" in res["note"]


def test_design_larger_than_the_part_exits_3(jet_files, tmp_path, compile_cli):
    out = tmp_path / "p"
    run = compile_cli(jet_files.h5, "--target", "xc7a35t", "-o", out, "--no-cosim", "--no-synth", "--n-vectors", 50)
    assert run.code == 3
    res = _report(out)["resources"]
    assert not res["fits"] and res["source"] == "estimate"
    assert f"resources: the design does not fit xc7a35t: LUT {res['LUT']:,} of 20,800" in run.err
