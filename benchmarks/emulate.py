"""Benchmark: the firmware's arithmetic at scale, side by side with what a user would otherwise run.

For the 16-feature jet tagger (16-64-32-32-5 QKeras, random weights seed 1, compiled without synthesis), in one
run on this machine: `trigger-emulate` (the project's alkaid firmware model compiled to C, 2 local Dask workers)
over 10^7 events, the same with alkaid's interpreter (`--backend interpreter`) on a sample, hls4ml's C
simulation `predict` (the compiled C++ of the project, one process) and QKeras `predict` on
samples of their own; events per second, the 10^7-event wall time, peak memory per worker.  The outputs are
also compared: trigger-emulate's raw integers equal the C simulation's on its whole sample.  Goals (issue 15):
>= 50x the C simulation, 10^7 events in <= 60 s.  Results: benchmarks/results/emulate.json.

    .venv/bin/python benchmarks/emulate.py [--n 10000000] [--n-csim 200000] [--n-qkeras 1000000]
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

import numpy as np

GOALS = {"speedup_vs_csim_min": 50.0, "seconds_for_1e7_max": 60.0}


def _sample(path: Path, n: int, seed: int) -> Path:
    """`n` jets' 16 features (float32, standard normal x 2: inputs off the grid and some saturating), written
    a block at a time."""
    x = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(n, 16))
    rng = np.random.default_rng(seed)
    for a in range(0, n, 1 << 20):
        b = min(n, a + (1 << 20))
        x[a:b] = rng.normal(0.0, 2.0, (b - a, 16))
    x.flush()
    return path


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000, help="events for trigger-emulate")
    ap.add_argument("--n-interp", type=int, default=2_000_000, help="events for trigger-emulate's interpreter")
    ap.add_argument("--n-csim", type=int, default=200_000, help="events for hls4ml's C simulation")
    ap.add_argument("--n-qkeras", type=int, default=1_000_000, help="events for QKeras predict")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=250_000)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "emulate.json")
    args = ap.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import trigger
    from trigger.fixed import fixed_type_from_str
    from trigger.scale.emulate import emulate
    from trigger.scale.firmware import FirmwareModel
    from trigger.zoo import jet_tagger, randomize

    with tempfile.TemporaryDirectory(prefix="trigger-bench-emulate-") as tmp:
        tmp = Path(tmp)
        os.environ["TRIGGER_CACHE_DIR"] = str(tmp / "cache")  # a cold build of the C library, timed below
        model = jet_tagger()
        randomize(model, seed=1)
        model.save(tmp / "jet_tagger.h5")
        t_compile, project = _timed(lambda: trigger.compile(tmp / "jet_tagger.h5", "xcvu9p", tmp / "prj", synth=False))
        data = _sample(tmp / "x.npy", args.n, seed=5)
        # the C library of the firmware model: built once per project and machine, then cached (as hls4ml's C++
        # is built once before its predict); timed on its own, with the check against the interpreter
        t_build, _ = _timed(lambda: FirmwareModel.open(project.dir))

        t_emu, meta = _timed(
            lambda: emulate(project.dir, data, tmp / "out.npz", workers=args.workers, chunk=args.chunk)
        )
        with np.load(tmp / "out.npz") as out:
            emu_raw = out["raw"][: args.n_csim].copy()
            out_type = str(out["output_type"])
        assert meta["firmware_model"]["backend"] == "compiled", meta["firmware_model"]
        np.save(tmp / "x_interp.npy", np.load(data, mmap_mode="r")[: args.n_interp])
        t_interp, meta_i = _timed(
            lambda: emulate(
                project.dir,
                tmp / "x_interp.npy",
                tmp / "out_i.npz",
                workers=args.workers,
                chunk=args.chunk,
                backend="interpreter",
            )
        )
        with np.load(tmp / "out_i.npz") as out:
            interp_raw = out["raw"][: args.n_csim].copy()

        # hls4ml's C simulation of the same project: the compiled C++ (built once, not timed), predict timed
        hm = project._context.hls_model
        x_csim = np.load(data, mmap_mode="r")[: args.n_csim].astype(np.float64)
        x_grid = project._context.layout.quantize(x_csim)
        hm.config.config["OutputDir"] = str(tmp / "csim")  # the compile's own hls/ stays as it is
        hm.compile()
        t_csim, y_csim = _timed(lambda: hm.predict(np.ascontiguousarray(x_grid)))
        csim_raw, on_grid = fixed_type_from_str(out_type).to_raw(np.asarray(y_csim).reshape(len(x_grid), -1))
        assert on_grid.all()
        np.testing.assert_array_equal(emu_raw, csim_raw)  # the same firmware arithmetic, event by event
        np.testing.assert_array_equal(interp_raw, csim_raw)

        x_q = np.load(data, mmap_mode="r")[: args.n_qkeras].astype(np.float32)
        t_q, _ = _timed(lambda: model.predict(x_q, batch_size=4096, verbose=0))

    rates = {
        "trigger_emulate": args.n / t_emu,
        "trigger_emulate_after_start": args.n / meta["seconds"],
        "trigger_emulate_interpreter": args.n_interp / t_interp,
        "hls4ml_csim_predict": args.n_csim / t_csim,
        "qkeras_predict": args.n_qkeras / t_q,
    }
    seconds_1e7 = 1e7 / rates["trigger_emulate"]
    speedup = rates["trigger_emulate"] / rates["hls4ml_csim_predict"]
    result = {
        "benchmark": "emulate",
        "model": "jet tagger 16-64-32-32-5 (QKeras, random weights seed 1), xcvu9p, RTL covering the softmax",
        "events": {
            "trigger_emulate": args.n,
            "trigger_emulate_interpreter": args.n_interp,
            "hls4ml_csim_predict": args.n_csim,
            "qkeras_predict": args.n_qkeras,
        },
        "seconds": {
            "trigger_emulate_wall": round(t_emu, 2),
            "trigger_emulate_inside": meta["seconds"],
            "trigger_emulate_interpreter_wall": round(t_interp, 2),
            "hls4ml_csim_predict": round(t_csim, 2),
            "qkeras_predict": round(t_q, 2),
            "compile_project": round(t_compile, 1),
            "build_c_library_once": round(t_build, 1),
        },
        "events_per_second": {k: round(v) for k, v in rates.items()},
        "seconds_for_1e7_events": round(seconds_1e7, 1),
        "speedup_vs_csim": round(speedup, 1),
        "speedup_vs_qkeras": round(rates["trigger_emulate"] / rates["qkeras_predict"], 2),
        "speedup_compiled_vs_interpreter": round(rates["trigger_emulate"] / rates["trigger_emulate_interpreter"], 1),
        "firmware_model": meta["firmware_model"],
        "outputs_equal_csim": f"raw integers of both backends equal the C simulation's on the first {args.n_csim}"
        " events (assert_array_equal)",
        "workers": meta["workers"],
        "chunk": args.chunk,
        "peak_rss_mib_per_worker": meta["peak_rss_mib_per_worker"],
        "anonymous_mib_per_worker": meta["anonymous_mib_per_worker"],
        "inputs_moved_to_grid": meta["inputs"]["moved_to_grid"],
        "inputs_saturated": meta["inputs"]["saturated"],
        "notes": [
            "trigger_emulate_wall includes starting the local Dask cluster, checking the compiled model against"
            " alkaid's interpreter on the compile's vectors and writing OUT.npz (raw and value);"
            " trigger_emulate_inside is from the cluster's start to the last chunk",
            "build_c_library_once is the C translation's gcc build and check, done once per project and machine"
            " and cached (not in the throughput, as hls4ml's C++ build is not in the C simulation's)",
            "hls4ml_csim_predict is hls4ml's ModelGraph.predict of the compiled project (its C++ build not timed),"
            " one process: it has no parallel mode",
            "qkeras_predict is model.predict(batch_size=4096) on TensorFlow's CPU threads (floating point: not the"
            " firmware's arithmetic)",
            "peak_rss_mib_per_worker is each worker's ru_maxrss: it counts the pages of DATA's memory map the worker"
            " touched (file-backed, reclaimable), so it overstates the memory a worker holds;"
            " anonymous_mib_per_worker is the largest RssAnon (/proc/self/status) seen at the end of a chunk, with"
            " the chunk's arrays alive: the memory a worker holds",
        ],
        "goals": GOALS,
        "meets_goals": {
            "speedup_vs_csim": speedup >= GOALS["speedup_vs_csim_min"],
            "seconds_for_1e7": seconds_1e7 <= GOALS["seconds_for_1e7_max"],
        },
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "versions": {p: version(p) for p in ("alkaid", "dask", "distributed", "hls4ml", "tensorflow-cpu")},
        "date": time.strftime("%Y-%m-%d"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("events_per_second", "seconds_for_1e7_events", "speedup_vs_csim")}))
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
