"""Stage failures that are not the model's fault end in a stated exit code, never a traceback or exit 1."""

from __future__ import annotations

import json

import pytest
from conftest import leftovers

pytestmark = pytest.mark.slow


def test_crash_in_the_rtl_translation_is_exit_3_with_the_project_kept(tiny_files, compile_cli, tmp_path, monkeypatch):
    import trigger.rtl.build

    def crash(*args, **kwargs):
        raise KeyError("")

    monkeypatch.setattr(trigger.rtl.build, "build_rtl", crash)
    out = tmp_path / "p"
    run = compile_cli(tiny_files.h5, "--target", "xcvu9p", "-o", out, "--no-synth", "--n-vectors", "20")
    assert run.code == 3 and "Traceback" not in run.err
    assert "internal error in the RTL stage (KeyError" in run.err
    report = json.loads((out / "report.json").read_text())
    assert report["rtl"]["skipped"].startswith("internal error in the RTL stage")
    assert report["emulation"]["bit_exact"] and "skipped" in report["cosim"]


def test_c_simulation_that_does_not_build_is_exit_2_naming_the_file(tiny_files, compile_cli, tmp_path, monkeypatch):
    from hls4ml.model.graph import ModelGraph

    def broken(self, x):
        raise RuntimeError("g++: error: firmware/myproject.cpp: fatal")

    monkeypatch.setattr(ModelGraph, "trace", broken)
    run = compile_cli(tiny_files.h5, "--target", "xcvu9p", "-o", tmp_path / "out" / "p", "--no-synth")
    assert run.code == 2 and "Traceback" not in run.err
    assert "tiny.h5: hls4ml's C simulation of this model does not build or run (RuntimeError: g++" in run.err
    assert leftovers(tmp_path / "out") == []


def test_lost_softmax_tap_is_not_silently_approximate(tiny_files, compile_cli, tmp_path, monkeypatch):
    """Issue 12 item 1: when the tensor feeding the trailing softmax cannot be found in the source model,
    the comparison falls back to the output; for a quantized model that is exit 3 unless asked for."""
    from trigger.frontends.keras import KerasModel

    monkeypatch.setattr(KerasModel, "has_layer", lambda self, layer: False)
    args = ["--target", "xcvu9p", "--no-rtl", "--stop-after", "emulate", "--n-vectors", "20"]
    run = compile_cli(tiny_files.h5, *args, "-o", tmp_path / "strict")
    assert run.code == 3 and "Traceback" not in run.err
    assert "fell back to the network output" in run.err and "--allow-approximate" in run.err
    emu = json.loads((tmp_path / "strict" / "report.json").read_text())["emulation"]
    assert emu["mode"] == "approximate" and "has no counterpart in tiny.h5" in emu["fallback"]
    assert not emu["passed"] and emu["first_mismatch"] is None
    assert "fell back to the network output" in (tmp_path / "strict" / "report.md").read_text()

    run = compile_cli(tiny_files.h5, *args, "-o", tmp_path / "allowed", "--allow-approximate")
    assert run.code == 0, run.err
    emu = json.loads((tmp_path / "allowed" / "report.json").read_text())["emulation"]
    assert emu["mode"] == "approximate" and emu["fallback"] and emu["allow_approximate"] and emu["passed"]


def test_found_softmax_tap_is_exact(tiny_plain):
    emu = json.loads((tiny_plain / "report.json").read_text())["emulation"]
    assert emu["fallback"] is None and emu["mode"] == "exact" and emu["compared_at"]["feeds"]
