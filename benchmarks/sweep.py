"""Benchmark: a design-space sweep of the jet tagger with `trigger-sweep`, yosys synthesis included.

12 points (reuse_factor 1,2 x clock_ns 2.5,3.33,5 x precision ap_fixed<16,6>,ap_fixed<12,5>) of the QKeras jet
tagger 16-64-32-32-5 (random weights, seed 1, as benchmarks/cosim_jet.py) on xcvu9p, each a full trigger-compile
(C simulation, RTL, Verilator co-simulation of 2000 vectors, yosys) on a local Dask cluster of 2 workers. The
synthesis cache is private to the benchmark (started empty), so the wall times are those of a first sweep;
reuse_factor varies slowest, so the six reuse-factor-2 points (the same RTL as their reuse-factor-1 twins) come
after them and take yosys's result from that cache.

Writes benchmarks/results/sweep.json (the sweep's own sweep.json plus a `benchmark` block), sweep.md and sweep.png.
A re-run resumes the sweep in --work (its finished points are not compiled again).

    .venv/bin/python benchmarks/sweep.py [--work build/sweep_jet] [--workers 2] [--n-vectors 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from importlib.metadata import version
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
GRID = ["reuse_factor=1,2", "clock_ns=2.5,3.33,5", "precision=ap_fixed<16,6>,ap_fixed<12,5>"]


def _model(directory: Path) -> Path:
    """The jet tagger of benchmarks/cosim_jet.py, saved once (its hash names the sweep's points)."""
    path = directory / "jet_tagger.h5"
    if not path.exists():
        from trigger.zoo import jet_tagger, randomize

        directory.mkdir(parents=True, exist_ok=True)
        model = jet_tagger()
        randomize(model, seed=1)
        model.save(path)
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=Path("build/sweep_jet"), help="model, sweep and synthesis cache")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--n-vectors", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ["TRIGGER_CACHE_DIR"] = str((args.work / "cache").resolve())  # the workers inherit it
    from trigger.scale.sweep_cli import main as sweep_main

    model = _model(args.work / "model")
    sweep_dir = args.work / "sweep"
    argv = [str(model), "--target", "xcvu9p", "-o", str(sweep_dir), "--workers", str(args.workers)]
    argv += ["--n-vectors", str(args.n_vectors)] + [f"--grid={g}" for g in GRID]
    t0 = time.perf_counter()
    code = sweep_main(argv)
    wall = time.perf_counter() - t0
    if code not in (0, 3):
        print(f"trigger-sweep exited with {code}", file=sys.stderr)
        return code
    summary = json.loads((sweep_dir / "sweep.json").read_text())
    summary["benchmark"] = {
        "benchmark": "sweep",
        "model": "jet tagger 16-64-32-32-5 (QKeras 6-bit, random weights seed 1)",
        "command": "trigger-sweep " + " ".join(argv),
        "exit_code": code,
        "wall_s_this_run": round(wall, 1),
        "compile_wall_s_sum": round(sum(r.get("wall_s") or 0 for r in summary["rows"]), 1),
        "synthesis_cache": "private to the benchmark, empty at the first run",
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {p: version(p) for p in ("distributed", "alkaid", "hls4ml", "cocotb", "verilator")},
        "date": time.strftime("%Y-%m-%d"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = args.out / ".sweep.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2) + "\n")
    tmp.replace(args.out / "sweep.json")
    for name in ("sweep.md", "sweep.png"):
        shutil.copyfile(sweep_dir / name, args.out / f".{name}.tmp")
        (args.out / f".{name}.tmp").replace(args.out / name)
    print(f"written {args.out / 'sweep.json'}, sweep.md, sweep.png ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
