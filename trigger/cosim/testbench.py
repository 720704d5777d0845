"""cocotb testbench for trigger's RTL top level (`<name>_top`: clk, rst, in_valid, in_data, out_valid, out_data).

Configured by the JSON file named in $TRIGGER_COSIM_CONFIG (written by `trigger.cosim.run`): packed
input words, packed expected output words, the pipeline depth, the idle fraction and a seed.  It
drives every vector twice -- back to back, then with random idle cycles -- compares every output
word with the expected one, and records the cycle of every valid-in and valid-out so latency and
initiation interval are measured, not assumed.  Raw observations go to the config's `tb_output`.
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

CONFIG_ENV = "TRIGGER_COSIM_CONFIG"


def _read_words(path: str) -> list[int]:
    return [int(line, 16) for line in Path(path).read_text().split()]


async def _check_reset(dut, fall, cycles: int) -> int:
    """Hold reset with in_valid high, then release with in_valid low: count any out_valid seen."""
    seen = 0
    dut.rst.value = 1
    dut.in_valid.value = 1
    for _ in range(cycles):
        await fall
    for _ in range(cycles):
        await fall
        seen += int(bool(dut.out_valid.value))
    dut.rst.value = 0
    dut.in_valid.value = 0
    for _ in range(cycles):
        await fall
        seen += int(bool(dut.out_valid.value))
    return seen


async def _stream(dut, fall, words: list[int], idle: float, rng: random.Random, timeout: int, drain: int) -> dict:
    """Drive `words` (with idle cycles at rate `idle`) and collect outputs; cycles count falling edges.

    Inputs are driven just after a falling edge (sampled at the next rising edge); outputs are read
    at falling edges.  A result seen at falling edge c_out for an input driven at c_in took
    c_out - c_in register levels.
    """
    n = len(words)
    in_cycles: list[int] = []
    out_cycles: list[int] = []
    got: list[int] = []
    out_valid, out_data, in_valid, in_data = dut.out_valid, dut.out_data, dut.in_valid, dut.in_data
    spurious = 0
    sent, cycle, stalled, valid_now = 0, 0, False, 0
    t0 = time.perf_counter()
    while len(got) < n:
        await fall
        cycle += 1
        if out_valid.value:
            if len(got) < sent:
                got.append(out_data.value.to_unsigned())
                out_cycles.append(cycle)
            else:
                spurious += 1
        if sent < n and (idle <= 0 or rng.random() >= idle):
            in_data.value = words[sent]
            in_cycles.append(cycle)
            sent += 1
            if not valid_now:
                in_valid.value = valid_now = 1
        elif valid_now:
            in_valid.value = valid_now = 0
        if len(got) < sent and cycle - in_cycles[len(got)] > timeout:
            stalled = True
            break
    seconds = time.perf_counter() - t0
    dut.in_valid.value = 0
    for _ in range(drain):
        await fall
        spurious += int(bool(dut.out_valid.value))
    return dict(
        idle_fraction=idle,
        vectors=n,
        cycles=cycle,
        seconds=seconds,
        in_cycles=in_cycles,
        out_cycles=out_cycles,
        got=[format(g, "x") for g in got],
        spurious_valid=spurious,
        stalled=stalled,
    )


@cocotb.test()
async def stream_vectors(dut):
    """Every vector back to back, then again with random idle cycles; every output word must match."""
    cfg = json.loads(Path(os.environ[CONFIG_ENV]).read_text())
    words, expected = _read_words(cfg["in_words"]), _read_words(cfg["expected_words"])
    depth = int(cfg["depth"])
    period_ps = 2 * max(1, round(float(cfg["clock_ns"]) * 500))
    Clock(dut.clk, period_ps, unit="ps").start()
    dut.in_data.value = 0
    fall = FallingEdge(dut.clk)
    result: dict = {"reset_out_valid": await _check_reset(dut, fall, depth + 2), "phases": {}}
    rng = random.Random(int(cfg["seed"]))
    timeout, drain = 4 * depth + 16, depth + 4
    for phase, idle in (("back_to_back", 0.0), ("random_idle", float(cfg["idle_fraction"]))):
        result["phases"][phase] = await _stream(dut, fall, words, idle, rng, timeout, drain)
    Path(cfg["tb_output"]).write_text(json.dumps(result))

    problems = [f"out_valid during/after reset {result['reset_out_valid']} times"] if result["reset_out_valid"] else []
    for phase, r in result["phases"].items():
        wrong = sum(int(g, 16) != e for g, e in zip(r["got"], expected, strict=False))
        if r["stalled"]:
            problems.append(f"{phase}: no out_valid within {timeout} cycles after vector {len(r['got'])}")
        if wrong:
            problems.append(f"{phase}: {wrong} of {len(r['got'])} output words differ from the expected")
        if r["spurious_valid"]:
            problems.append(f"{phase}: {r['spurious_valid']} out_valid without a pending input")
    assert not problems, "; ".join(problems)
