"""Benchmark: coverage of the exporter corpus (tests/zoo/models/), trigger beside hls4ml alone.

For every corpus model: `trigger-compile --target xcvu9p --no-synth` on its representative inputs
(RTL and Verilator co-simulation included), recording the exit code, the stages reached, the
comparison (exact fraction, or argmax agreement for a float model), the RTL and co-simulation result,
latency in cycles and da4ml's LUT estimate.  Beside it, what a user gets from hls4ml alone, in a fresh
interpreter, with the clean-up hls4ml documents for ONNX (qonnx `cleanup_model`,
`ConvertToChannelsLastAndClean`, `GemmToMatMul`, then `convert_from_onnx_model`;
`convert_from_keras_model` for Keras; the recipe is benchmarks/hls4ml_alone.py), compiled and run on the same
inputs: the error, or its argmax agreement and max abs diff against the model's own output.  Results to
benchmarks/results/zoo.json and a Markdown table
(printed; `--table T.md` writes it, the README carries a copy).

    .venv/bin/python benchmarks/zoo.py [--models NAME ...] [--out benchmarks/results/zoo.json] [--table T.md]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "zoo"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from corpus import CorpusModel, corpus  # noqa: E402
from hls4ml_alone import convert  # noqa: E402  (the hls4ml-alone recipe, shared with benchmarks/fuzz.py)


def _hls4ml_alone(m: CorpusModel, tmp: Path) -> dict:
    """hls4ml alone, in a fresh interpreter (no trigger code, none of its hls4ml workarounds loaded)."""
    cmd = [sys.executable, __file__, "--alone", m.name, "--alone-dir", str(tmp / "hls4ml")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"converts": False, "error": (done.stderr.strip().splitlines() or ["no output"])[-1][:160]}
    return json.loads(lines[-1])


def _alone_main(name: str, out: Path) -> None:
    """What a user gets from hls4ml by hand, as its documentation shows: convert (Vitis, io_parallel, 'name'
    granularity), compile, predict on the shipped inputs; compared with the model's own output (qonnx
    execution / onnxruntime / Keras) by argmax agreement and max abs diff.  Prints one JSON line."""
    import numpy as np

    m = next(c for c in corpus() if c.name == name)
    x = np.load(m.inputs).astype(np.float32)
    row: dict = {"converts": False}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            weights = (
                None if m.model_file.suffix == ".onnx" else m.folder / m.meta.get("weights_file", "model_weights.h5")
            )
            hm, model = convert(m.model_file, out, weights)
            row["converts"] = True
            if model is None:
                from qonnx.core.modelwrapper import ModelWrapper
                from qonnx.core.onnx_exec import execute_onnx
                from qonnx.util.cleanup import cleanup_model

                ref_model = cleanup_model(ModelWrapper(str(m.model_file)), override_inpsize=1)  # batch 1
                name_in = ref_model.graph.input[0].name
                ref = np.concatenate(
                    [
                        execute_onnx(ref_model, {name_in: x[i : i + 1]})[ref_model.graph.output[0].name]
                        for i in range(len(x))
                    ]
                )
            else:
                ref = model.predict(x, verbose=0)
            hm.compile()
            got = np.asarray(hm.predict(np.ascontiguousarray(x, dtype=np.float64))).reshape(len(x), -1)
        ref = np.asarray(ref, dtype=np.float64).reshape(len(x), -1)
        row["argmax_agreement"] = float(np.mean(np.argmax(got, 1) == np.argmax(ref, 1)))
        row["max_abs_diff"] = float(np.max(np.abs(got - ref)))
    except Exception as exc:  # what the user would see
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        row["error"] = f"{type(exc).__name__}: {text}"[:160]
    print(json.dumps(row))


def _trigger(m: CorpusModel, tmp: Path) -> dict:
    from trigger.cli import compile_main

    out = tmp / "trigger"
    args = [str(m.model_file), "--target", "xcvu9p", "-o", str(out), "--inputs", str(m.inputs), "--no-synth"]
    t0 = time.perf_counter()
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = compile_main(args)
    row: dict = {"exit_code": code, "seconds": round(time.perf_counter() - t0, 1)}
    if not (out / "report.json").exists():
        row["error"] = err.getvalue().strip().splitlines()[-1][:200] if err.getvalue().strip() else ""
        return row
    r = json.loads((out / "report.json").read_text())
    emu, rtl, cosim = r["emulation"], r["rtl"], r["cosim"]
    row.update(
        stages=[s for s in ("emulation", "rtl", "cosim") if "skipped" not in r[s]],
        mode=emu["mode"],
        compared_at=emu["compared_at"]["layer"],
        exact_fraction=emu["exact_fraction"],
        argmax_agreement=emu["argmax_agreement"],
        max_abs_diff=emu["max_abs_diff"],
        rtl=("skipped: " + rtl["skipped"]) if "skipped" in rtl else ("exact" if rtl["passed"] else "MISMATCH"),
        cosim=cosim.get("skipped") and "skipped" or f"{cosim['mismatches']} mismatches",
        latency_cycles=cosim.get("latency_cycles", rtl.get("latency_cycles")),
        lut_estimate=round(rtl["estimate"]["LUT"]) if "estimate" in rtl else None,
    )
    return row


def _table(rows: list[dict]) -> str:
    lines = [
        "| model | exporter | exit | compared | exact / agreement | RTL | co-sim | cycles | LUT (est.) "
        "| hls4ml alone |",
        "|---|---|---:|---|---|---|---|---:|---:|---|",
    ]
    for r in rows:
        t, h = r["trigger"], r["hls4ml_alone"]
        if "mode" in t:
            exact = t["mode"] == "exact"
            score = f"{t['exact_fraction']:.4f} exact" if exact else f"argmax {t['argmax_agreement']:.3f}"
            rtl = "exact" if t["rtl"] == "exact" else ("no (" + t["rtl"].split("(")[0][9:].strip() + ")")
        else:
            score, rtl = t.get("error", ""), ""
        if "argmax_agreement" in h:
            alone = f"argmax {h['argmax_agreement']:.3f}, max diff {h['max_abs_diff']:.3g}"
        else:
            alone = ("converts, then fails: " if h["converts"] else "fails: ") + h.get("error", "")[:60]
        lines.append(
            f"| {r['model']} | {r['exporter'].split(' (')[0]} | {t['exit_code']} | {t.get('compared_at', '')} "
            f"| {score} | {rtl} "
            f"| {t.get('cosim', '')} | {t.get('latency_cycles') or ''} | {t.get('lut_estimate') or ''} | {alone} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", help="corpus model names (default: all)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "zoo.json")
    p.add_argument("--table", type=Path, help="also write the Markdown table here")
    p.add_argument("--alone", help=argparse.SUPPRESS)  # internal: the hls4ml-alone run of one model
    p.add_argument("--alone-dir", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.alone:
        _alone_main(args.alone, args.alone_dir)
        return
    models = [m for m in corpus() if not args.models or m.name in args.models]
    rows = []
    for k, m in enumerate(models, 1):
        print(f"[{k}/{len(models)}] {m.name} ...", flush=True)
        with tempfile.TemporaryDirectory() as d:
            row = {
                "model": m.name,
                "exporter": m.exporter,
                "quantized": m.quantized,
                "trigger": _trigger(m, Path(d)),
                "hls4ml_alone": _hls4ml_alone(m, Path(d)),
            }
        print(f"      exit {row['trigger']['exit_code']}, {row['trigger'].get('rtl', '')}", flush=True)
        rows.append(row)
    result = {
        "benchmark": "exporter corpus coverage: trigger-compile --target xcvu9p --no-synth, and hls4ml alone",
        "machine": {"python": platform.python_version(), "cpus": 2, "platform": platform.platform()},
        "models": rows,
        "summary": {
            "models": len(rows),
            "trigger_exit_0": sum(r["trigger"]["exit_code"] == 0 for r in rows),
            "exit_codes": sorted({r["trigger"]["exit_code"] for r in rows}),
            "hls4ml_alone_converts": sum(r["hls4ml_alone"]["converts"] for r in rows),
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    table = _table(rows)
    print(table)
    if args.table:
        args.table.write_text(table)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
