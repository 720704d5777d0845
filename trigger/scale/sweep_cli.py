"""`trigger-sweep MODEL --target PART --grid KEY=V1,V2 ... -o DIR`: a design-space sweep of trigger-compile on Dask
(argument parsing, the sweep directory and progress; the points are `trigger.scale.sweep`, the outputs
`trigger.scale.sweep_report`)."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from trigger.cli_common import guarded, positive
from trigger.errors import CheckFailed, InputError

PROG = "trigger-sweep"
SWEEP_JSON = "sweep.json"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Compile a model at every point of a grid of trigger-compile options (the Cartesian product), "
        "one Dask task each, into DIR/points/<hash>/; write sweep.json, sweep.md and sweep.png (latency against "
        "LUT, Pareto front). A re-run with the same DIR compiles only the points not done yet.",
        epilog="exit codes: 0 every point passed; 2 bad usage or input (nothing written); 3 some point failed "
        "(recorded with its reason in sweep.json/md; the outputs are written). docs/sweep.md.",
    )
    p.add_argument("model", type=Path, help="model file, as trigger-compile takes it")
    p.add_argument("--target", required=True, help="FPGA part: short name (xcvu9p, ...) or full part string")
    p.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="values of one option (repeatable): clock_ns, precision, reuse_factor, strategy",
    )
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="sweep directory")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a local cluster)")
    p.add_argument("--workers", type=positive(int), help="local cluster worker processes (default: one per core)")
    p.add_argument("--no-synth", action="store_true", help="every point without yosys (resources: alkaid's estimate)")
    p.add_argument("--n-vectors", type=positive(int), default=2000, help="vectors per point (default 2000)")
    p.add_argument("--retry-failed", action="store_true", help="compile again the points that failed before")
    p.add_argument("--force", action="store_true", help="replace DIR (even a sweep directory: every point again)")
    return p


def _check_output(out: Path, model: Path, force: bool) -> bool:
    """Refuse an output that cannot be a sweep directory; True when DIR is to be replaced (--force)."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise InputError(f"-o {out}: it exists and is not a directory.")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"-o {out}: {parent} is a file, not a directory.")
            break
    if out == model.resolve().parent or out in model.resolve().parents:
        raise InputError(f"-o {out}: it holds the model {model}; choose another directory.")
    if not out.is_dir() or not any(out.iterdir()):
        return False
    if force:
        if out == Path.cwd() or out in Path.cwd().parents:
            raise InputError(f"-o {out}: --force would remove the current directory; choose another directory.")
        return True
    if not (out / SWEEP_JSON).is_file():
        raise InputError(f"-o {out}: exists, is not empty and holds no {SWEEP_JSON} (not a sweep); pass --force.")
    return False


def _progress(n: int, keys: list[str]):
    """A line on stderr per finished point: k/n, its configuration, its verdict and figures."""

    def show(k: int, point, row: dict, cached: bool) -> None:
        verdict = row["verdict"]
        if row.get("latency_ns") is not None:
            lut = row.get("LUT")
            lut = "n/a" if lut is None else f"{lut:,.0f}"
            verdict += f", {row['latency_ns']:g} ns, {lut} LUT ({row.get('resources_source')})"
        if row.get("reason"):
            verdict += f" (exit {row['exit_code']}: {row['reason']})"
        when = "from a previous run" if cached else f"{row['wall_s']} s" if row.get("wall_s") is not None else ""
        print(f"[{k}/{n}] {point.label(keys)}: {verdict}; {when}", file=sys.stderr, flush=True)

    return show


def main(argv: list[str] | None = None) -> int:
    """Entry point of trigger-sweep; returns the exit code."""
    args = parser().parse_args(argv)

    def body() -> int:
        from trigger.scale.cluster import dask_client
        from trigger.scale.sweep import Sweep, grid_points, model_digest, parse_grid, run_sweep, summarise
        from trigger.scale.sweep_report import write_json, write_outputs
        from trigger.targets import resolve_part

        if not args.model.is_file():
            raise InputError(f"{args.model}: no such model file.")
        part = resolve_part(args.target).part
        grid = parse_grid(args.grid)
        replace = _check_output(args.output, args.model, args.force)
        model = args.model.resolve()
        sha = model_digest(model)
        options = {"n_vectors": args.n_vectors, "no_synth": args.no_synth}
        out = args.output.resolve()
        sweep = Sweep(model, part, grid_points(grid, sha, part, options), list(grid), out)
        t0 = time.perf_counter()
        with dask_client(args.scheduler, args.workers) as client:
            if replace:
                shutil.rmtree(out)
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(f"-o {out}: cannot create it ({exc.strerror or exc}).") from None
            rows: dict[str, dict] = {}
            write_json(out / SWEEP_JSON, summarise(sweep, grid, sha, rows, 0.0))  # pending rows: a sweep directory
            n_workers = len(client.scheduler_info().get("workers", {}))
            print(f"{PROG}: {len(sweep.points)} points on {n_workers} Dask workers -> {out}", file=sys.stderr)
            for point, row, cached in run_sweep(
                sweep, client, args.retry_failed, _progress(len(sweep.points), sweep.keys)
            ):
                rows[point.hash] = {**row, "status": "cached" if cached else "compiled"}
                write_json(out / SWEEP_JSON, summarise(sweep, grid, sha, rows, time.perf_counter() - t0))
        summary = summarise(sweep, grid, sha, rows, time.perf_counter() - t0)
        for path in write_outputs(out, summary):
            print(f"written: {path}")
        c = summary["counts"]
        print(
            f"{c['points']} points: {c['passed']} passed, {c['failed']} failed; compiled {c['compiled']}, "
            f"from a previous run {c['cached']}; Pareto-optimal: {len(summary['pareto'])}"
        )
        if c["failed"]:
            raise CheckFailed(f"{c['failed']} of {c['points']} points failed (reasons in {out / 'sweep.md'}).")
        return 0

    return guarded(PROG, body, "finished points stay in DIR/points/ (a re-run resumes).")


if __name__ == "__main__":
    sys.exit(main())
