"""report.json keys (docs/report-json.md contract), report.md and manifest.json of a real compile."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(compiled):
    code, out = compiled("jet", "onnx")
    assert code == 0
    return out


def test_report_json_contract(project, jet_files):
    r = json.loads((project / "report.json").read_text())
    assert {"name", "source", "sha256", "inputs", "outputs", "layers"} <= set(r["model"])
    assert r["model"]["inputs"] == [[16]] and r["model"]["outputs"] == [[5]]
    assert all({"name", "type", "precision"} <= set(layer) for layer in r["model"]["layers"])
    assert r["target"] == {
        "part": "xcvu9p-flga2104-2L-e",
        "device": "xcvu9p",
        "family": "Virtex UltraScale+",
        "clock_ns": 5.0,
    }
    assert {"n_vectors", "reference", "bit_exact", "exact_fraction", "max_abs_diff", "approximate_layers"} <= set(
        r["emulation"]
    )
    assert {"top", "stages", "latency_cycles", "check", "estimate"} <= set(r["rtl"])
    assert {"simulator", "n_vectors", "mismatches", "latency_cycles", "ii_cycles"} <= set(r["cosim"])
    lat = r["latency"]
    assert lat["source"] == "cosim" and lat["cycles"] == r["cosim"]["latency_cycles"]
    assert lat["ns"] == lat["cycles"] * 5.0 and lat["within_budget"] and lat["budget_ns"] == 1000.0
    stages = [layer["ready_cycle"] for layer in lat["per_layer"]]
    assert stages == sorted(stages) and stages[0] == 1 and stages[-1] == lat["cycles"]  # output layer ends it
    res = r["resources"]
    assert res["source"] == "yosys" and res["synthesis"]["command"].startswith("synth_xilinx -family xcup ")
    totals = {"LUT": 1_182_240, "FF": 2_364_480, "DSP": 6_840, "BRAM": 2_160}
    assert res["part_totals"] == totals and res["fits"]
    assert res["utilization"] == {k: round(res[k] / totals[k], 6) for k in totals}
    assert res["LUT"] > 10_000 and res["FF"] > 1_000 and res["CARRY"] > 0 and res["logic_depth"] > 0
    est = res["estimate"]  # alkaid's cost model, an independent count of the same netlist: close, not equal
    assert est["source"] == "estimate" and abs(res["LUT"] / est["LUT"] - 1) < 0.15
    assert abs(res["FF"] / est["FF"] - 1) < 0.15
    assert r["vitis_report"]["skipped"].startswith("no Vitis reports in hls/")
    assert r["verdict"] == {"passed": True, "failures": []}
    import hashlib

    assert (
        r["model"]["sha256"]
        == hashlib.sha256(hashlib.sha256(jet_files.onnx.read_bytes()).hexdigest().encode()).hexdigest()
    )


def test_manifest_records_versions_and_configuration(project):
    m = json.loads((project / "manifest.json").read_text())
    assert m["tools"]["hls4ml"] == "1.3.0" and m["tools"]["qonnx"] == "0.4.0"
    assert m["options"]["part"] == "xcvu9p-flga2104-2L-e" and m["options"]["n_vectors"] == 2000
    assert m["hls4ml_config"]["Model"]["Strategy"] == "Latency"
    assert set(m["timings_s"]) == {"load", "hls", "emulate", "rtl", "cosim", "synth"}


def test_report_markdown_summary_first(project):
    md = (project / "report.md").read_text()
    first_table = md.split("\n\n")[1]
    assert "xcvu9p-flga2104-2L-e" in first_table and "bit-exact" in first_table and "Verdict | **pass**" in first_table
    assert (
        "0 mismatching vectors" in first_table
        and "II 1" in first_table
        and "within the 1000.0 ns budget" in first_table
    )
    r = json.loads((project / "report.json").read_text())
    lut = f"LUT {r['resources']['LUT']} ({100 * r['resources']['utilization']['LUT']:.3g}%)"
    assert lut in first_table and "of xcvu9p (yosys): fits" in first_table
    for name in ("latency", "resources", "bitwidths"):
        assert f"plots/{name}.png" in md


def test_plots_are_pngs(project):
    for name in ("latency", "resources", "bitwidths"):
        data = (project / "plots" / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000


def test_synthesis_files(project):
    synth = project / "synth"
    result = json.loads((synth / "result.json").read_text())
    assert "synth_xilinx -family xcup -flatten" in (synth / "synth.ys").read_text()
    assert result["counts"]["LUT"] == json.loads((project / "report.json").read_text())["resources"]["LUT"]
    assert result["version"].startswith("Yosys") and sum(result["cells"].values()) > 0


def test_hls_project_is_synthesizable_layout(project):
    hls = project / "hls"
    assert (hls / "build_prj.tcl").exists() and (hls / "firmware" / "jet_tagger.cpp").exists()
    assert "xcvu9p-flga2104-2L-e" in (hls / "project.tcl").read_text()
    assert "trace" not in (hls / "firmware" / "jet_tagger.cpp").read_text().lower()  # written without trace hooks
