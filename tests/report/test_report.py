"""report.json keys (DESIGN.md contract), report.md and manifest.json of a real compile."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(jet_files, tmp_path_factory):
    from trigger.cli import compile_main

    out = tmp_path_factory.mktemp("rep") / "p"
    assert compile_main([str(jet_files.onnx), "--target", "xcvu9p", "-o", str(out), "--n-vectors", "300"]) == 0
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
    for block in ("cosim", "latency", "resources"):
        assert "skipped" in r[block]
    assert r["latency"]["budget_ns"] == 1000.0
    assert r["verdict"] == {"passed": True, "failures": []}
    import hashlib

    assert (
        r["model"]["sha256"]
        == hashlib.sha256(hashlib.sha256(jet_files.onnx.read_bytes()).hexdigest().encode()).hexdigest()
    )


def test_manifest_records_versions_and_configuration(project):
    m = json.loads((project / "manifest.json").read_text())
    assert m["tools"]["hls4ml"] == "1.3.0" and m["tools"]["qonnx"] == "0.4.0"
    assert m["options"]["part"] == "xcvu9p-flga2104-2L-e" and m["options"]["n_vectors"] == 300
    assert m["hls4ml_config"]["Model"]["Strategy"] == "Latency"
    assert set(m["timings_s"]) == {"load", "hls", "emulate"}


def test_report_markdown_summary_first(project):
    md = (project / "report.md").read_text()
    first_table = md.split("\n\n")[1]
    assert "xcvu9p-flga2104-2L-e" in first_table and "bit-exact" in first_table and "Verdict | pass" in first_table


def test_hls_project_is_synthesizable_layout(project):
    hls = project / "hls"
    assert (hls / "build_prj.tcl").exists() and (hls / "firmware" / "jet_tagger.cpp").exists()
    assert "xcvu9p-flga2104-2L-e" in (hls / "project.tcl").read_text()
    assert "trace" not in (hls / "firmware" / "jet_tagger.cpp").read_text().lower()  # written without trace hooks
