"""Benchmark: fuzzing trigger-compile with seeded mutants, each in its own subprocess.

The mutants and the oracle are tests/fuzz/mutants.py (the same as tests/fuzz/test_fuzz.py, which runs
fewer of them in-process).  Each mutant is written to a fresh temporary directory, which is also the cwd,
and compiled with `python -m trigger.cli ... --stop-after hls` under a timeout, so a crash or an abort
(a signal) is seen as such.  Results, per mutation kind and in total (runs, exit-code histogram, crashes,
tracebacks, leftovers, silently accepted non-finite models, accepted invalid inputs, changed inputs) and
the list of offending mutants, go to benchmarks/results/fuzz.json.

    .venv/bin/python benchmarks/fuzz.py [--n 500] [--seed 0] [--timeout 300] [--jobs 1] [--out FILE]
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
sys.path.insert(0, str(ROOT / "tests" / "fuzz"))

from mutants import FINDING_CLASSES, Mutant, generate, judge, snapshot  # noqa: E402

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
        proc = subprocess.Popen(
            [sys.executable, "-m", "trigger.cli", *argv],
            cwd=root,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # a timeout kills the whole process group
        )
        try:
            out, err = proc.communicate(timeout=timeout)
            code: int | None = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            code = None
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
    args = p.parse_args()

    mutants = generate(args.n, args.seed)
    t0 = time.perf_counter()
    rows: list[dict] = []

    def one(m: Mutant) -> dict:
        return run_one(m, args.timeout)

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for k, row in enumerate(pool.map(one, mutants), 1):
            rows.append(row)
            if "skipped" in row:
                status = "skipped"
            else:
                status = f"exit {_exit_label(row['exit_code'])} ({row['seconds']:.1f} s)"
                if row["findings"]:
                    status += " FAIL " + ", ".join(sorted({f["class"] for f in row["findings"]}))
            bad = sum(bool(r.get("findings")) for r in rows)
            print(f"[{k}/{len(mutants)}] {row['id']:45s} {status}   ({bad} offending so far)", flush=True)

    totals, per_kind = summarise(rows)
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
        "runs": [{k: r.get(k) for k in ("id", "exit_code", "seconds", "skipped") if k in r} for r in rows],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(totals, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
