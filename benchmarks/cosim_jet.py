"""Benchmark: the jet tagger's open RTL path on this machine.

Records RTL generation time (alkaid trace + Verilog), the Verilator build time, co-simulation
vectors per second (back to back, under cocotb) and the latency in cycles, to
benchmarks/results/cosim_jet.json.  Goals: build < 60 s, >= 10,000 vectors/s (issue 3); the rtl stage
<= 10 s including first use in a fresh process (issue 13: alkaid has nothing to compile on first use;
da4ml 0.5.2 compiled numba kernels for ~2 min once per environment, 119 s in a fresh `make demo`).

    .venv/bin/python benchmarks/cosim_jet.py [--n-vectors 10000] [--out benchmarks/results/cosim_jet.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

GOALS = {"verilator_build_s_max": 60.0, "vectors_per_s_min": 10_000.0, "rtl_stage_s_max": 10.0}
# The same benchmark with da4ml 0.5.2 (benchmarks/results/cosim_jet.json before the move to alkaid, 2026-11)
BEFORE = {
    "generator": "da4ml 0.5.2",
    "covers": "inputs -> output (the logits; the softmax was not in the RTL)",
    "rtl_stage_s": 9.82,
    "rtl_stage_s_fresh_environment": 119.0,
    "verilator_build_s": 27.76,
    "latency_cycles": 8,
    "pipeline_stages": 7,
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-vectors", type=int, default=10_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "cosim_jet.json")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from trigger.cli import compile_main
    from trigger.zoo import jet_tagger, randomize

    with tempfile.TemporaryDirectory() as tmp:
        model = jet_tagger()
        randomize(model, seed=1)
        model.save(f"{tmp}/jet_tagger.h5")
        project = Path(tmp) / "prj"
        t0 = time.perf_counter()
        code = compile_main(
            [
                f"{tmp}/jet_tagger.h5",
                *("--target", "xcvu9p", "-o", str(project), "--n-vectors", str(args.n_vectors), "--no-synth"),
            ]
        )
        wall = time.perf_counter() - t0
        if code != 0:
            print(f"trigger-compile exited with {code}", file=sys.stderr)
            return code
        report = json.loads((project / "report.json").read_text())
    rtl, cosim = report["rtl"], report["cosim"]
    b2b = cosim["phases"]["back_to_back"]
    result = {
        "benchmark": "cosim_jet",
        "model": "jet tagger 16-64-32-32-5 (QKeras, random weights seed 1)",
        "target": report["target"],
        "n_vectors": cosim["n_vectors"],
        "rtl_generation_s": round(sum(rtl["seconds"].values()), 2),
        "rtl_generation_breakdown_s": rtl["seconds"],
        "verilator_build_s": cosim["build_seconds"],
        "simulation_vectors_per_s": b2b["vectors_per_s"],
        "simulation_vectors_per_s_with_idle": cosim["phases"]["random_idle"]["vectors_per_s"],
        "latency_cycles": cosim["latency_cycles"],
        "ii_cycles": cosim["ii_cycles"],
        "pipeline_stages": rtl["stages"],
        "rtl_covers": rtl["covers"],
        "mismatches": cosim["mismatches"],
        "compile_wall_s": round(wall, 1),
        "stage_seconds": report["timings_s"],
        "goals": GOALS,
        "meets_goals": {
            "verilator_build": cosim["build_seconds"] < GOALS["verilator_build_s_max"],
            "vectors_per_s": b2b["vectors_per_s"] >= GOALS["vectors_per_s_min"],
            "rtl_stage": report["timings_s"]["rtl"] <= GOALS["rtl_stage_s_max"],
        },
        "before_alkaid": BEFORE,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {p: version(p) for p in ("alkaid", "cocotb", "verilator", "hls4ml")},
        "date": time.strftime("%Y-%m-%d"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in list(result)[4:12]}, indent=2))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
