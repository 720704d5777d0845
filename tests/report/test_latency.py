"""Latency against the L1 budget: ns = cycles x clock, exit code 3 over budget unless allowed."""

from __future__ import annotations

import json

import pytest
from models import float_mlp

from trigger.report.latency import budget_failure, latency_block

COSIM = {"latency_cycles": 8, "clock_ns": 2.5, "ii_cycles": 1}
RTL = {
    "layers": [
        {"name": "x", "type": "Input", "adder_levels": 0.0, "stage": 0, "ready_cycle": 1},
        {"name": "fc1", "type": "Dense", "adder_levels": 9.0, "stage": 1, "ready_cycle": 3},
    ]
}


def test_ns_is_cycles_times_clock_and_layers_are_listed():
    block = latency_block(COSIM, RTL, 100.0, "test", False, "not run")
    assert block["cycles"] == 8 and block["ns"] == 20.0 and block["within_budget"] and block["source"] == "cosim"
    assert [layer["name"] for layer in block["per_layer"]] == ["x", "fc1"]
    assert budget_failure(block) is None


def test_over_budget_is_a_failure_naming_latency_and_budget_unless_allowed():
    block = latency_block(COSIM, RTL, 15.0, "--latency-budget-ns", False, "not run")
    assert not block["within_budget"]
    text = budget_failure(block)
    assert text is not None and "latency 20.0 ns (8 cycles at 2.5 ns)" in text and "budget of 15.0 ns" in text
    assert budget_failure(latency_block(COSIM, RTL, 15.0, "x", True, "not run")) is None


def test_without_cosim_latency_is_skipped_with_the_reason():
    block = latency_block({"skipped": "--no-cosim"}, {}, 1000.0, "part", False, "not run")
    assert block["skipped"] == "no co-simulation (--no-cosim)" and block["budget_ns"] == 1000.0
    assert budget_failure(block) is None


@pytest.mark.slow
@pytest.mark.parametrize("allow", [False, True])
def test_tiny_model_with_a_1ns_budget(allow, compile_cli, tmp_path):
    model = float_mlp(tmp_path / "tiny.onnx")
    out = tmp_path / "p"
    extra = ["--allow-over-budget"] if allow else []
    args = ["--n-vectors", 20, "--simulator", "icarus", "--no-synth", "--latency-budget-ns", 1, *extra]
    run = compile_cli(model, "--target", "xcvu9p", "-o", out, *args)
    lat = json.loads((out / "report.json").read_text())["latency"]
    assert lat["source"] == "cosim" and not lat["within_budget"] and lat["budget_ns"] == 1.0
    assert lat["ns"] == lat["cycles"] * lat["clock_ns"]
    message = f"latency {lat['ns']} ns ({lat['cycles']} cycles at 5.0 ns) exceeds the budget of 1.0 ns"
    if allow:
        assert run.code == 0, run.err
    else:
        assert run.code == 3
        assert message in run.err
    # re-running the co-simulation keeps the project's budget and its verdict
    from trigger.cli import cosim_main

    assert cosim_main([str(out), "--simulator", "icarus"]) == (0 if allow else 3)
    report = json.loads((out / "report.json").read_text())
    failures = report["verdict"]["failures"]
    assert failures == [] if allow else (len(failures) == 1 and failures[0].startswith(message))
