"""Benchmark: yosys synthesis of the jet tagger's and the autoencoder's RTL on this machine.

Compiles each model (no co-simulation), then runs `synth_xilinx` on its RTL with an empty cache and
records wall time, yosys's own peak memory, the resource counts and da4ml's estimate beside them, to
benchmarks/results/synth.json.

    .venv/bin/python benchmarks/synth.py [--models jet ae] [--out benchmarks/results/synth.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

MODELS = {
    "jet": ("jet tagger 16-64-32-32-5 (QKeras 6-bit, random weights seed 1)", "jet_tagger", 1),
    "ae": ("autoencoder 57-32-8-32-57 (QKeras 6-bit, random weights seed 2)", "autoencoder", 2),
}


def _one(key: str, tmp: Path) -> dict:
    from trigger import zoo
    from trigger.cli import compile_main
    from trigger.progress import StageClock
    from trigger.synth import synthesize
    from trigger.targets import resolve_part

    title, builder, seed = MODELS[key]
    model = getattr(zoo, builder)()
    zoo.randomize(model, seed=seed)
    model.save(tmp / f"{builder}.h5")
    project = tmp / key
    args = [str(tmp / f"{builder}.h5"), "--target", "xcvu9p", "-o", str(project), "--no-cosim", "--no-synth"]
    if compile_main([*args, "--n-vectors", "200"]) != 0:
        raise SystemExit(f"trigger-compile of {key} failed")
    rtl = json.loads((project / "report.json").read_text())["rtl"]
    os.environ["TRIGGER_CACHE_DIR"] = str(tmp / f"cache-{key}")  # empty: yosys really runs
    clock = StageClock([f"{key} synth"])
    t0 = time.perf_counter()
    with clock.stage(f"{key} synth"):
        result = synthesize(project, resolve_part("xcvu9p").yosys_family, clock.progress)
    wall = time.perf_counter() - t0
    return {
        "model": title,
        "rtl_stages": rtl["stages"],
        "synthesis_s": result["seconds"],
        "wall_s": round(wall, 1),
        "peak_memory_mb": result["peak_memory_mb"],
        "counts": result["counts"],
        "logic_depth": result["logic_depth"],
        "da4ml_estimate": {"LUT": round(rtl["estimate"]["LUT"]), "FF": rtl["estimate"]["FF"]},
        "yosys_over_estimate": {
            "LUT": round(result["counts"]["LUT"] / rtl["estimate"]["LUT"], 4),
            "FF": round(result["counts"]["FF"] / rtl["estimate"]["FF"], 4),
        },
        "command": result["command"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="+", choices=sorted(MODELS), default=["jet", "ae"])
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "synth.json")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from trigger.synth.yosys import yosys_version

    if yosys_version() is None:
        print("yosys is not on PATH", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        runs = {key: _one(key, Path(tmp)) for key in args.models}
    result = {
        "benchmark": "synth",
        "target": "xcvu9p (yosys synth_xilinx -family xcup)",
        "runs": runs,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "yosys": yosys_version(),
        "date": time.strftime("%Y-%m-%d"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: {m: v[m] for m in ("synthesis_s", "peak_memory_mb", "counts")} for k, v in runs.items()}))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
