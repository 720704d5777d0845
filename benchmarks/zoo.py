"""Benchmark: coverage of the exporter corpus (tests/zoo/models/), trigger beside hls4ml alone.

For every corpus model: `trigger-compile --target xcvu9p --no-synth` on its representative inputs
(RTL and Verilator co-simulation included), recording the exit code, the stages reached, the
comparison (exact fraction, or argmax agreement for a float model), the RTL and co-simulation result,
latency in cycles and da4ml's LUT estimate.  Beside it, what a user gets from hls4ml alone with the
clean-up hls4ml documents for ONNX (qonnx `cleanup_model`, `ConvertToChannelsLastAndClean`,
`GemmToMatMul`, then `convert_from_onnx_model`; `convert_from_keras_model` for Keras): whether it
converts, and the error if not.  Results to benchmarks/results/zoo.json and a Markdown table
(printed; `--table T.md` writes it, the README carries a copy).

    .venv/bin/python benchmarks/zoo.py [--models NAME ...] [--out benchmarks/results/zoo.json] [--table T.md]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "zoo"))

from corpus import CorpusModel, corpus  # noqa: E402


def _hls4ml_alone(m: CorpusModel, tmp: Path) -> dict:
    """Convert with hls4ml directly, as its documentation shows; no trigger code involved."""
    import hls4ml

    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if m.model_file.suffix == ".onnx":
                from qonnx.core.modelwrapper import ModelWrapper
                from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
                from qonnx.transformation.gemm_to_matmul import GemmToMatMul
                from qonnx.util.cleanup import cleanup_model

                w = cleanup_model(ModelWrapper(str(m.model_file)))
                w = w.transform(ConvertToChannelsLastAndClean()).transform(GemmToMatMul())
                w = cleanup_model(w)
                cfg = hls4ml.utils.config_from_onnx_model(w, granularity="name", backend="Vitis")
                hls4ml.converters.convert_from_onnx_model(
                    w, hls_config=cfg, backend="Vitis", output_dir=str(tmp / "hls4ml"), io_type="io_parallel"
                )
            else:
                import tensorflow as tf
                from qkeras.utils import _add_supported_quantized_objects

                custom: dict = {}
                _add_supported_quantized_objects(custom)
                model = tf.keras.models.model_from_json(m.model_file.read_text(), custom_objects=custom)
                model.load_weights(str(m.folder / m.meta.get("weights_file", "model_weights.h5")))
                cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
                hls4ml.converters.convert_from_keras_model(
                    model, hls_config=cfg, backend="Vitis", output_dir=str(tmp / "hls4ml"), io_type="io_parallel"
                )
        return {"converts": True}
    except Exception as exc:  # what the user would see
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return {"converts": False, "error": f"{type(exc).__name__}: {text}"[:160]}


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
            score = f"{t['exact_fraction']:.4f} exact" if t["mode"] == "exact" else f"argmax {t['argmax_agreement']}"
            rtl = "exact" if t["rtl"] == "exact" else ("no (" + t["rtl"].split("(")[0][9:].strip() + ")")
        else:
            score, rtl = t.get("error", ""), ""
        alone = "converts" if h["converts"] else f"fails: {h['error'][:60]}"
        lines.append(
            f"| {r['model']} | {r['exporter']} | {t['exit_code']} | {t.get('compared_at', '')} | {score} | {rtl} "
            f"| {t.get('cosim', '')} | {t.get('latency_cycles') or ''} | {t.get('lut_estimate') or ''} | {alone} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="*", help="corpus model names (default: all)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "zoo.json")
    p.add_argument("--table", type=Path, help="also write the Markdown table here")
    args = p.parse_args()
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
