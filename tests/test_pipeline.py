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
