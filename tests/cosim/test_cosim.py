"""Acceptance: the RTL under cocotb computes exactly what the emulation computes, with II 1.

The projects come from the session's full compiles (2000 vectors each, driven twice: back to back
and with random idle cycles).  Besides trigger's own verdict, the words the RTL put on `out_data`
(cosim/outputs_raw.npy) are compared here with the C simulation's raw integers directly, at the network's output
(the RTL includes the jet tagger's softmax).
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from trigger.fixed import fixed_type_from_str

pytestmark = pytest.mark.slow


def _report(out):
    return json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("which", ["jet", "ae"])
def test_rtl_cosim_equals_emulation(which, compiled):
    """The RTL covers the whole network (the jet tagger's lookup-table softmax included) and gives the C
    simulation's network output."""
    code, out = compiled(which, "onnx")
    assert code == 0
    r = _report(out)
    rtl, cosim = r["rtl"], r["cosim"]
    assert rtl["check"]["bit_exact"] and rtl["check"]["n_vectors"] == 2000
    last = "Softmax_0" if which == "jet" else r["emulation"]["compared_at"]["layer"]  # the AE's own output layer
    assert rtl["covers"] == f"inputs -> {last}" and rtl["check"]["layer"] == last and rtl["not_in_rtl"] == []
    assert cosim["simulator"] == "verilator" and cosim["n_vectors"] == 2000
    assert cosim["mismatches"] == 0 and cosim["transactions"] == 4000 and cosim["passed"]
    assert cosim["ii_cycles"] == 1
    assert cosim["latency_cycles"] == rtl["latency_cycles"] == rtl["stages"] + 1
    for phase in cosim["phases"].values():
        assert phase["outputs"] == 2000 and phase["mismatched_vectors"] == 0
        assert phase["latency_cycles"]["min"] == phase["latency_cycles"]["max"] == cosim["latency_cycles"]
    assert cosim["phases"]["random_idle"]["cycles"] > 2500  # idle cycles were really inserted
    assert cosim["reset_check"]["out_valid_during_reset"] == 0

    index = json.loads((out / "vectors" / "index.json").read_text())
    assert index["rtl_expected_raw"]["layer"] == last
    expected = np.load(out / "vectors" / "rtl_expected_raw.npy").reshape(2000, -1)
    out_type = fixed_type_from_str(index["rtl_expected_raw"]["type"])
    network_output = np.load(out / "vectors" / "emulation_output.npy")  # the C simulation's, real values
    np.testing.assert_array_equal(out_type.to_raw(network_output)[0].reshape(2000, -1), expected)
    np.testing.assert_array_equal(np.load(out / "cosim" / "outputs_raw.npy"), expected)
    suite = ET.parse(out / "cosim" / "results.xml").getroot().find("testsuite")
    assert suite.get("tests") == "1" and suite.get("failures") == "0" and suite.get("errors") == "0"
    assert ".partial-" not in (out / "cosim" / "results.xml").read_text()


def test_autoencoder_output_lanes_have_uneven_widths(compiled):
    """alkaid trims each output lane to its range: the bus is not a fixed stride (and cosim still matches)."""
    _, out = compiled("ae", "onnx")
    design = json.loads((out / "rtl" / "design.json").read_text())
    widths = {lane["width"] for lane in design["out_lanes"]}
    assert len(widths) > 1 and design["out_width"] == sum(lane["width"] for lane in design["out_lanes"])


def _code(verilog) -> list[str]:
    """A Verilog file's lines without its comments."""
    lines = (line.split("//")[0].rstrip() for line in verilog.read_text().splitlines())
    return [line for line in lines if line]


@pytest.mark.parametrize("which", ["jet", "ae"])
def test_qonnx_and_keras_routes_give_identical_rtl(which, compiled):
    """The Keras route's Verilog is the QONNX route's, file for file and line for line (comments aside), and its
    RTL check saw the same integers; so the QONNX route's co-simulation (0 mismatches, test above) covers both."""
    (code_k, keras_prj), (code_q, qonnx_prj) = compiled(which, "h5"), compiled(which, "onnx")
    assert code_k == code_q == 0
    assert "skipped" in _report(keras_prj)["cosim"] and _report(qonnx_prj)["cosim"]["passed"]
    sources = sorted(p.name for p in (keras_prj / "rtl" / "src").glob("*.v"))
    assert any("_stage" in name for name in sources)
    assert sources == sorted(p.name for p in (qonnx_prj / "rtl" / "src").glob("*.v"))
    for name in sources:  # comments name the routes' layers (Keras 'softmax', ONNX 'Softmax_0'): the code is equal
        assert _code(keras_prj / "rtl" / "src" / name) == _code(qonnx_prj / "rtl" / "src" / name), name
    for name in ("inputs.npy", "rtl_expected_raw.npy"):
        np.testing.assert_array_equal(np.load(keras_prj / "vectors" / name), np.load(qonnx_prj / "vectors" / name))
    np.testing.assert_array_equal(
        np.load(qonnx_prj / "cosim" / "outputs_raw.npy"),
        np.load(keras_prj / "vectors" / "rtl_expected_raw.npy").reshape(2000, -1),
    )


def _alter_one_table_entry(project) -> str:
    """Flip the top bit of entry 0 of the first lookup table holding 1.0 there: the stable softmax's exp(0),
    which the largest logit of every vector reads (alkaid writes the tables as `case` ROMs)."""
    tables = next((project / "rtl" / "src").glob("*_tables.v"))
    text = tables.read_text()
    m = re.search(r"^(\d+)'h0+: out = (\d+)'h(0*400);$", text, flags=re.MULTILINE)  # 1.0 at 10 fractional bits
    assert m is not None, f"no table with exp(0) = 1.0 in {tables}"
    width = int(m.group(2))
    value = int(m.group(3), 16) ^ (1 << (width - 1))
    altered = f"{value:0{len(m.group(3))}X}"
    tables.write_text(text[: m.start(3)] + altered + text[m.end(3) :])
    return f"{tables.name}: {m.group(0)} -> {altered}"


def test_altered_rtl_is_caught_with_exit_code_3(compiled, tmp_path, capsys):
    from trigger.cli import cosim_main

    _, original = compiled("jet", "onnx")
    project = tmp_path / "altered"
    shutil.copytree(original, project)
    change = _alter_one_table_entry(project)
    assert cosim_main([str(project)]) == 3, change
    err = capsys.readouterr().err
    assert "co-simulation (verilator)" in err and "first in back_to_back at vector" in err
    r = _report(project)
    assert r["cosim"]["mismatches"] > 0 and r["cosim"]["first_mismatch"] is not None
    assert not r["verdict"]["passed"]
    summary = (project / "report.md").read_text().split("## ")[0]
    assert (
        f"{r['cosim']['mismatches']} mismatching vectors" in summary and "Verdict | **FAIL**: co-simulation" in summary
    )
    suite = ET.parse(project / "cosim" / "results.xml").getroot().find("testsuite")
    assert suite.get("failures") == "1"  # cocotb's own verdict agrees


def test_trigger_cosim_reruns_an_unchanged_project_cleanly(compiled, tmp_path, capsys):
    from trigger.cli import cosim_main

    _, original = compiled("ae", "onnx")
    project = tmp_path / "again"
    shutil.copytree(original, project)
    assert cosim_main([str(project), "--idle-fraction", "0.5", "--seed", "7"]) == 0
    r = _report(project)
    assert r["cosim"]["phases"]["random_idle"]["idle_fraction"] == 0.5 and r["verdict"]["passed"]
    assert "0 mismatching vectors" in capsys.readouterr().out.replace("transactions, ", "")


def test_icarus_on_a_small_design(compile_cli, tmp_path):
    """Icarus Verilog is selectable; a post-training-quantized float MLP keeps the RTL exact too."""
    from models import float_mlp

    model = float_mlp(tmp_path / "small.onnx", in_dim=16)
    out = tmp_path / "p"
    run = compile_cli(model, "--target", "xcku115", "-o", out, "--n-vectors", 40, "--simulator", "icarus", "--no-synth")
    assert run.code == 0, run.err
    r = _report(out)
    assert r["emulation"]["mode"] == "approximate"  # against onnxruntime; the RTL is checked against hls4ml
    assert r["rtl"]["check"]["bit_exact"] and r["rtl"]["check"]["layer"] == "Softmax_0" and r["rtl"]["not_in_rtl"] == []
    cosim = r["cosim"]
    assert cosim["simulator"] == "icarus" and "Icarus" in cosim["simulator_version"]
    assert cosim["mismatches"] == 0 and cosim["transactions"] == 80 and cosim["ii_cycles"] == 1


def test_unsupported_layer_skips_rtl_but_keeps_the_project(compile_cli, tmp_path):
    from models import float_mlp

    model = float_mlp(tmp_path / "odd.onnx", extra_op="Softsign")
    out = tmp_path / "p"
    run = compile_cli(model, "--target", "xcvu9p", "-o", out, "--n-vectors", 50)
    assert run.code == 0, run.err
    r = _report(out)
    assert re.fullmatch(r"\S+ Activation not supported \(.*softsign.*\)", r["rtl"]["skipped"]), r["rtl"]
    assert r["cosim"]["skipped"].startswith("no RTL") and "skipped" in r["latency"]
    assert (out / "hls" / "build_prj.tcl").exists() and not (out / "rtl").exists()
