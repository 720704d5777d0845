"""Benchmark: fuzzing trigger-compile with seeded mutants, each in its own subprocess.

The mutants and the oracle are tests/fuzz/mutants.py (the same as tests/fuzz/test_fuzz.py, which runs
fewer of them in-process).  Each mutant is written to a fresh temporary directory, which is also the cwd,
and compiled with `python -m trigger.cli ... --stop-after hls` under a timeout, so a crash or an abort
(a signal) is seen as such.  Results, per mutation kind and in total (runs, exit-code histogram, crashes,
tracebacks, leftovers, silently accepted non-finite models, accepted invalid inputs, changed inputs) and
the list of offending mutants, go to benchmarks/results/fuzz.json.

Beside it, hls4ml alone (skip with --no-alone): every model mutant (ONNX/QONNX and Keras; the command-line
mutants have no hls4ml equivalent and are "n/a") is materialised again in a fresh directory and given to
benchmarks/hls4ml_alone.py in a fresh interpreter (no trigger code: qonnx clean-up + convert_from_onnx_model,
or model_from_json + load_weights + convert_from_keras_model; granularity name, Vitis; then write(), no C
simulation) under the same timeout.  Outcome: `accepted` (wrote a project), `refused` (a Python exception,
i.e. a traceback to the user; its type and first line kept) or `crashed` (a signal, a timeout, or an exit
without a result).  `accepted_invalid` counts accepted mutants flagged must_reject or nonfinite (the oracle's
flags); per kind and in totals under "hls4ml_alone", with a side-by-side block over the model mutants.  The
unmodified source models go through hls4ml alone first, so a refusal the source shares is told apart
(`refused_source_too`: hls4ml alone cannot load qkeras_softmax's JSON at all, mutated or not).

    .venv/bin/python benchmarks/fuzz.py [--n 500] [--seed 0] [--timeout 300] [--jobs 1] [--out FILE] [--no-alone]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALONE = ROOT / "benchmarks" / "hls4ml_alone.py"
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

from mutants import (  # noqa: E402
    FINDING_CLASSES,
    KERAS_SOURCES,
    ONNX_SOURCES,
    ZOO,
    Mutant,
    generate,
    judge,
    snapshot,
)

TOTAL_KEYS = {
    "crash": "crashes",
    "traceback": "tracebacks",
    "leftover": "leftovers",
    "nonfinite-accepted": "nonfinite_accepted",
    "accepted-invalid": "accepted_invalid",
    "input-changed": "inputs_changed",
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TRIGGER_DEBUG"}  # tracebacks only on request
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def run_one(m: Mutant, timeout: float) -> dict:
    """Materialise `m` in a fresh directory, run trigger-compile on it in a subprocess, judge the outcome."""
    if m.needs_nonroot and os.geteuid() == 0:
        return {"id": m.id, "kind": m.kind, "skipped": "running as root: directory permissions are not enforced"}
    with tempfile.TemporaryDirectory(prefix="fuzz-") as d:
        root = Path(d) / "case"
        root.mkdir()
        argv = m.materialise(root)
        before = snapshot(root)
        t0 = time.perf_counter()
        code, out, err = _run_killable([sys.executable, "-m", "trigger.cli", *argv], root, _env(), timeout)
        seconds = time.perf_counter() - t0
        after = snapshot(root)
        m.restore_modes(root)
    findings = judge(m, code, out + err, before, after)
    last = [line for line in err.strip().splitlines() if line.strip()]
    return {
        "id": m.id,
        "kind": m.kind,
        "description": m.description,
        "exit_code": code,
        "seconds": round(seconds, 2),
        "findings": [{"class": f.cls, "message": f.message} for f in findings],
        "stderr_tail": last[-1][:300] if last else "",
    }


def _run_killable(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str, str]:
    """(exit code or None on timeout, stdout, stderr) of `cmd`; a timeout kills its whole process group."""
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, out, err
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return None, out, err


def is_model_mutant(m: Mutant) -> bool:
    """A mutated model (ONNX/QONNX or Keras), which hls4ml alone can be given; not a command-line mutant."""
    return not m.kind.startswith("cli-")


def _alone_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TRIGGER_DEBUG", "PYTHONPATH")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def _alone_subprocess(model: Path, workdir: Path, timeout: float) -> dict:
    """Run benchmarks/hls4ml_alone.py on `model` (project under `workdir`) in a fresh interpreter; classify it."""
    t0 = time.perf_counter()
    cmd = [sys.executable, str(ALONE), str(model), "--out", str(workdir / "hls4ml_prj")]
    code, out, err = _run_killable(cmd, workdir, _alone_env(), timeout)
    seconds = round(time.perf_counter() - t0, 2)
    results = [line for line in out.splitlines() if line.startswith("{")]
    if code == 0 and results:
        row = json.loads(results[-1])
    else:
        last = [line for line in err.strip().splitlines() if line.strip()]
        row = {"outcome": "crashed", "how": _exit_label(code), "stderr_tail": last[-1][:300] if last else ""}
        if results:  # a result, then a crash on the way out: still a crash to the user
            row["result_before_crash"] = json.loads(results[-1])
    row["traceback"] = row["outcome"] == "refused" or "Traceback (most recent call last)" in out + err
    return {**row, "exit_code": code, "seconds": seconds}


def source_of(m: Mutant) -> str | None:
    """The corpus model a model mutant was made from (its description starts with `src:` or `src/file:`)."""
    src = m.description.split(":", 1)[0].split("/", 1)[0]
    return src if src in ONNX_SOURCES + KERAS_SOURCES else None


def alone_baseline(sources: list[str], timeout: float) -> dict[str, dict]:
    """hls4ml alone on each unmodified source model: a refusal of a mutant says nothing if the source is refused."""
    out: dict[str, dict] = {}
    for src in sources:
        folder = ZOO / src
        model = folder / "model.onnx" if (folder / "model.onnx").exists() else folder / "model.json"
        with tempfile.TemporaryDirectory(prefix="fuzz-alone-") as d:
            out[src] = _alone_subprocess(model, Path(d), timeout)
    return out


def run_alone(m: Mutant, timeout: float, baseline: dict[str, dict]) -> dict:
    """Give mutant `m`'s model file to hls4ml alone (convert + write) in a fresh interpreter; classify it."""
    if not is_model_mutant(m):
        return {"outcome": "n/a"}
    with tempfile.TemporaryDirectory(prefix="fuzz-alone-") as d:
        root = Path(d) / "case"
        root.mkdir()
        model = Path(m.materialise(root)[0])  # model mutants: argv = [model, --target, ...]
        row = _alone_subprocess(model, root, timeout)
        m.restore_modes(root)
    src = source_of(m)
    return {
        **row,
        "must_reject": m.must_reject,
        "nonfinite": m.nonfinite,
        "source": src,
        "source_accepted": src is not None and baseline.get(src, {}).get("outcome") == "accepted",
    }


def summarise_alone(rows: list[dict]) -> tuple[dict, dict[str, dict | str]]:
    """hls4ml-alone totals (model mutants) and per-kind counts ("n/a" for command-line kinds)."""

    def block(rs: list[dict]) -> dict:
        outcomes = Counter(r["outcome"] for r in rs)
        accepted = [r for r in rs if r["outcome"] == "accepted"]
        return {
            "runs": len(rs),
            "accepted": outcomes["accepted"],
            "refused": outcomes["refused"],
            "refused_source_too": sum(r["outcome"] == "refused" and not r["source_accepted"] for r in rs),
            "crashed": outcomes["crashed"],
            "tracebacks": sum(r["traceback"] for r in rs),
            "nonfinite_accepted": sum(r["nonfinite"] for r in accepted),
            "accepted_invalid": sum(r["must_reject"] or r["nonfinite"] for r in accepted),
            "refusals": dict(Counter(r["error_type"] for r in rs if r["outcome"] == "refused").most_common()),
        }

    alone = [{**r["hls4ml_alone"], "kind": r["kind"]} for r in rows if r["hls4ml_alone"]["outcome"] != "n/a"]
    per_kind: dict[str, dict | str] = {}
    for k in sorted({r["kind"] for r in rows}):
        rs = [r for r in alone if r["kind"] == k]
        per_kind[k] = block(rs) if rs else "n/a"
    return block(alone), per_kind


def side_by_side(rows: list[dict]) -> dict:
    """Trigger and hls4ml alone over the same model mutants, in the same terms."""
    model_rows = [r for r in rows if r["hls4ml_alone"]["outcome"] != "n/a" and "skipped" not in r]

    def has(r: dict, cls: str) -> bool:
        return any(f["class"] == cls for f in r["findings"])

    trig = {
        "runs": len(model_rows),
        "accepted": sum(r["exit_code"] == 0 for r in model_rows),
        "refused": sum(r["exit_code"] in (2, 3) for r in model_rows),
        "crashed": sum(has(r, "crash") for r in model_rows),
        "tracebacks": sum(has(r, "traceback") for r in model_rows),
        "nonfinite_accepted": sum(has(r, "nonfinite-accepted") for r in model_rows),
        "accepted_invalid": sum(has(r, "nonfinite-accepted") or has(r, "accepted-invalid") for r in model_rows),
    }
    alone, _ = summarise_alone(model_rows)
    return {
        "mutants": "model mutants only (ONNX/QONNX and Keras); accepted = trigger exit 0 / hls4ml wrote a project; "
        "accepted_invalid = accepted although flagged must_reject or nonfinite; refused_source_too = refused, "
        "but hls4ml alone refuses the unmodified source model as well",
        "trigger": trig,
        "hls4ml_alone": {k: v for k, v in alone.items() if k in trig or k == "refused_source_too"},
    }


def _exit_label(code: int | None) -> str:
    return "timeout" if code is None else (f"signal {-code}" if code < 0 else str(code))


def summarise(rows: list[dict]) -> tuple[dict, dict]:
    """Totals and per-kind counts."""

    def block(rs: list[dict]) -> dict:
        ran = [r for r in rs if "skipped" not in r]
        out = {
            "runs": len(ran),
            "skipped": len(rs) - len(ran),
            "exit_codes": dict(sorted(Counter(_exit_label(r["exit_code"]) for r in ran).items())),
        }
        for cls in FINDING_CLASSES:
            out[TOTAL_KEYS[cls]] = sum(any(f["class"] == cls for f in r["findings"]) for r in ran)
        out["offending"] = sum(bool(r["findings"]) for r in ran)
        return out

    kinds = sorted({r["kind"] for r in rows})
    return block(rows), {k: block([r for r in rows if r["kind"] == k]) for k in kinds}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=500, help="number of mutants (default 500)")
    p.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant before it counts as a crash")
    p.add_argument("--jobs", type=int, default=1, help="subprocesses at once (default 1)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "fuzz.json")
    p.add_argument("--no-alone", action="store_true", help="skip the hls4ml-alone column")
    args = p.parse_args()
    alone = not args.no_alone

    mutants = generate(args.n, args.seed)
    t0 = time.perf_counter()
    rows: list[dict] = []
    baseline: dict[str, dict] = {}
    if alone:
        sources = sorted({s for m in mutants if is_model_mutant(m) and (s := source_of(m))})
        baseline = alone_baseline(sources, args.timeout)
        for src, b in baseline.items():
            print(f"hls4ml alone on unmodified {src}: {b['outcome']} {b.get('error_type', '')}".rstrip(), flush=True)

    def one(m: Mutant) -> dict:
        row = run_one(m, args.timeout)
        if alone:
            row["hls4ml_alone"] = run_alone(m, args.timeout, baseline)
        return row

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for k, row in enumerate(pool.map(one, mutants), 1):
            rows.append(row)
            if "skipped" in row:
                status = "skipped"
            else:
                status = f"exit {_exit_label(row['exit_code'])} ({row['seconds']:.1f} s)"
                if row["findings"]:
                    status += " FAIL " + ", ".join(sorted({f["class"] for f in row["findings"]}))
            if alone:
                h = row["hls4ml_alone"]
                status += f" | hls4ml: {h['outcome']}"
                if h["outcome"] == "refused":
                    status += f" ({h['error_type']})"
                elif h["outcome"] == "crashed":
                    status += f" ({h['how']})"
            bad = sum(bool(r.get("findings")) for r in rows)
            print(f"[{k}/{len(mutants)}] {row['id']:45s} {status}   ({bad} offending so far)", flush=True)

    totals, per_kind = summarise(rows)
    if alone:
        alone_totals, alone_kinds = summarise_alone(rows)
        totals["hls4ml_alone"] = alone_totals
        for k, b in alone_kinds.items():
            per_kind[k]["hls4ml_alone"] = b
    result = {
        "benchmark": "fuzzing: seeded mutants (tests/fuzz/mutants.py), python -m trigger.cli --stop-after hls, "
        "one subprocess each",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "seed": args.seed,
        "n": args.n,
        "timeout_s": args.timeout,
        "seconds": round(time.perf_counter() - t0, 1),
        "oracle": "exit code in {0, 2, 3}; no traceback; no .partial-* left; after exit 2 nothing created or "
        "removed; input files unchanged; NaN/Inf parameters or invalid-beyond-doubt input never exit 0",
        "totals": totals,
        "per_kind": per_kind,
        "offenders": [r for r in rows if r.get("findings")],
        "runs": [
            {k: r.get(k) for k in ("id", "exit_code", "seconds", "skipped", "hls4ml_alone") if k in r} for r in rows
        ],
    }
    if alone:
        result["hls4ml_alone"] = (
            "benchmarks/hls4ml_alone.py on each model mutant's file in a fresh interpreter (convert + write, no C "
            "simulation); accepted = wrote a project, refused = a Python exception (a traceback), crashed = signal, "
            "timeout or no result"
        )
        result["hls4ml_alone_baseline"] = baseline
        result["side_by_side"] = side_by_side(rows)
        result["hls4ml_alone_accepted_invalid"] = [
            {"id": r["id"], "kind": r["kind"], "description": r["description"]}
            for r in rows
            if r["hls4ml_alone"]["outcome"] == "accepted"
            and (r["hls4ml_alone"]["must_reject"] or r["hls4ml_alone"]["nonfinite"])
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(totals, indent=2))
    if alone:
        print(_side_by_side_table(result["side_by_side"]))
    print(f"wrote {args.out}")


def _side_by_side_table(sbs: dict) -> str:
    """A short side-by-side text table over the model mutants."""
    t, h = sbs["trigger"], sbs["hls4ml_alone"]
    lines = [f"model mutants: {t['runs']}", f"{'':22s}{'trigger':>10s}{'hls4ml alone':>15s}"]
    for key in ("accepted", "refused", "crashed", "tracebacks", "nonfinite_accepted", "accepted_invalid"):
        lines.append(f"{key:22s}{t[key]:>10d}{h[key]:>15d}")
        if key == "refused":
            lines.append(f"{'  (source refused too)':22s}{'-':>10s}{h['refused_source_too']:>15d}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
