"""Design-space sweeps of `trigger-compile` on Dask: the grid, one content-addressed directory per point, the task
that compiles a point in a subprocess of a worker, and the rows (one per point) read back from its report.json.

Layout of a sweep directory DIR:

    DIR/points/<hash>/           the trigger-compile project of one point (report.json, ...), plus
    DIR/points/<hash>/point.json its configuration, exit code, verdict/reason and wall time (written last)
    DIR/points/<hash>/compile.log trigger-compile's stdout and stderr

`<hash>` covers the model file(s), the part and every option of the point, so a re-run with the same DIR finds
the points already compiled (a failed point is retried only when asked).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from trigger.errors import InputError

# grid key -> trigger-compile option
OPTIONS = {
    "clock_ns": "--clock-ns",
    "precision": "--precision",
    "reuse_factor": "--reuse-factor",
    "strategy": "--strategy",
}
POINT_FILE = "point.json"
LOG_FILE = "compile.log"
POINTS = "points"
HASH_CHARS = 16
VERDICTS = {0: "pass", 2: "refused", 3: "fail"}  # any other exit code (or a signal) is "crash"


# --- the grid -----------------------------------------------------------------------------------------------------


def _split_values(text: str) -> list[str]:
    """Split `v1,v2,...` on the commas outside <...> (a precision such as ap_fixed<16,6> holds one)."""
    values, depth, current = [], 0, ""
    for ch in text:
        depth += {"<": 1, ">": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            values.append(current)
            current = ""
        else:
            current += ch
    values.append(current)
    return [v.strip() for v in values]


def _number(key: str, text: str, kind: type) -> int | float:
    """A finite number above 0 of `kind`, else InputError naming the --grid key."""
    try:
        value = kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise InputError(f"--grid {key}: '{text}' is not {what}.") from None
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"--grid {key}: '{text}' must be a finite number above 0.")
    return value


def _value(key: str, text: str) -> int | float | str:
    """One grid value, parsed and checked as trigger-compile's argument parser would."""
    from trigger.fixed import parse_precision
    from trigger.options import STRATEGIES

    if not text:
        raise InputError(f"--grid {key}: an empty value (two commas in a row, or a trailing comma).")
    if key == "clock_ns":
        return float(_number(key, text, float))
    if key == "reuse_factor":
        return int(_number(key, text, int))
    if key == "strategy":
        if text not in STRATEGIES:
            raise InputError(f"--grid strategy: '{text}' is not one of {', '.join(STRATEGIES)}.")
        return text
    try:
        return parse_precision(text)
    except InputError as exc:
        raise InputError(f"--grid precision: {exc}") from None


def parse_grid(specs: list[str]) -> dict[str, list]:
    """`--grid key=v1,v2` options -> {key: [values]} in the order given; every error is InputError (exit 2)."""
    if not specs:
        raise InputError(f"no --grid given; give at least one of {', '.join(OPTIONS)} (e.g. --grid clock_ns=2.5,5).")
    grid: dict[str, list] = {}
    for spec in specs:
        key, sep, text = spec.partition("=")
        key = key.strip()
        if not sep:
            raise InputError(f"--grid '{spec}': expected KEY=V1,V2,... with KEY one of {', '.join(OPTIONS)}.")
        if key not in OPTIONS:
            raise InputError(f"--grid '{spec}': unknown key '{key}'; the keys are {', '.join(OPTIONS)}.")
        if key in grid:
            raise InputError(f"--grid {key} is given twice; list all its values in one --grid {key}=V1,V2,...")
        if not text.strip():
            raise InputError(f"--grid {key}: no values; expected {key}=V1,V2,...")
        values = [_value(key, v) for v in _split_values(text)]
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            raise InputError(f"--grid {key}: value {', '.join(repeated)} is listed more than once.")
        grid[key] = values
    return grid


def compile_defaults() -> dict:
    """trigger-compile's defaults of the grid keys (a point's configuration is always complete)."""
    from trigger.cli import compile_parser

    p = compile_parser()
    return {key: p.get_default(key) for key in OPTIONS}


# --- points -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One grid point: its complete configuration, the fixed options and the directory hash."""

    config: dict  # every grid key, in OPTIONS order (defaults of trigger-compile where the grid has none)
    options: dict  # n_vectors, no_synth: the same for every point
    hash: str = field(compare=False)

    def label(self, keys: list[str]) -> str:
        """`clock_ns=2.5 precision=ap_fixed<16,6>` over the swept keys."""
        return " ".join(f"{k}={self.config[k]:g}" if k == "clock_ns" else f"{k}={self.config[k]}" for k in keys)

    def compile_args(self) -> list[str]:
        """trigger-compile options of this point (model, --target and -o come separately)."""
        args = []
        for key, flag in OPTIONS.items():
            args += [flag, repr(self.config[key]) if key == "clock_ns" else str(self.config[key])]
        args += ["--n-vectors", str(self.options["n_vectors"])]
        return args + (["--no-synth"] if self.options["no_synth"] else [])


def model_digest(model: Path) -> str:
    """sha256 of the model file (and, for a Keras .json, of the `<stem>_weights.h5` beside it)."""
    h = hashlib.sha256()
    files = [model]
    weights = model.with_name(f"{model.stem}_weights.h5")
    if model.suffix == ".json" and weights.is_file():
        files.append(weights)
    for path in files:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def point_hash(model_sha256: str, part: str, config: dict, options: dict) -> str:
    """Directory name of a point: hash of the model, the full part string and every option."""
    text = json.dumps({"model": model_sha256, "target": part, "config": config, "options": options}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_CHARS]


def grid_points(grid: dict[str, list], model_sha256: str, part: str, options: dict) -> list[Point]:
    """The Cartesian product of the grid (the last key varies fastest), every configuration complete."""
    defaults = compile_defaults()
    points = []
    for combo in itertools.product(*grid.values()):
        config = {**defaults, **dict(zip(grid, combo, strict=True))}
        config = {k: config[k] for k in OPTIONS}
        points.append(Point(config, dict(options), point_hash(model_sha256, part, config, options)))
    return points


# --- one point: the task ------------------------------------------------------------------------------------------


def _write_json(path: Path, data: dict) -> None:
    """Write JSON atomically (a temporary file beside it, then a rename)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)


def last_error(log: Path) -> str | None:
    """The text after `error:` on the last such line of a compile log, or None."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        _, sep, text = line.partition("error: ")
        if sep:
            return text.strip()
    return None


def verdict_of(code: int) -> str:
    """pass (0), fail (3: a check failed, the project is kept), refused (2: bad input), crash (anything else)."""
    return VERDICTS.get(code, "crash")


def _reason(code: int, log: Path) -> str | None:
    if code == 0:
        return None
    found = last_error(log)
    if found:
        return found
    if code < 0:
        return (
            f"killed by signal {signal.Signals(-code).name}" if -code in signal.valid_signals() else f"signal {-code}"
        )
    return f"exit code {code} without an error line (see {LOG_FILE})"


def compile_command(model: Path, part: str, project: Path, point: Point) -> list[str]:
    """trigger-compile as a module of this interpreter (trigger/cli.py runs compile_main under -m)."""
    return [
        sys.executable,
        "-m",
        "trigger.cli",
        str(model),
        "--target",
        part,
        "-o",
        str(project),
        *point.compile_args(),
    ]


def record_failure(point_dir: Path, record: dict, log: Path | None) -> None:
    """A point without a project (exit 2, a crash): its directory gets the log and point.json, atomically."""
    tmp = point_dir.with_name(f".{point_dir.name}.failed-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if log is not None and log.exists():
        log.replace(tmp / LOG_FILE)
    _write_json(tmp / POINT_FILE, record)
    shutil.rmtree(point_dir, ignore_errors=True)
    tmp.rename(point_dir)


def clear_point(point_dir: Path) -> None:
    """Remove a point's directory and whatever an interrupted compile left beside it (staging, log)."""
    shutil.rmtree(point_dir, ignore_errors=True)
    for leftover in point_dir.parent.glob(f".{point_dir.name}.*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


class Stopped(Exception):
    """The sweep was interrupted while this point compiled: nothing is recorded (a re-run compiles it)."""


_RUNNING: set[subprocess.Popen] = set()  # on a worker: the compiles its tasks are running
_STOPPED: set[int] = set()  # on a worker: process ids of the compiles stop_compiles interrupted


def stop_compiles() -> int:
    """On a worker (`client.run`): interrupt the compiles its tasks started, with their tools (each runs in a
    session of its own); returns how many. run_point then removes what they left."""
    for proc in list(_RUNNING):
        _STOPPED.add(proc.pid)
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return len(_RUNNING)


def _identity(point: Point, model: str, part: str) -> dict:
    """What names a point in its point.json: its hash, configuration, options, model and part."""
    return {"hash": point.hash, "config": point.config, "options": point.options, "model": model, "target": part}


def run_point(model: str, part: str, point_dir: str, point: Point) -> dict:
    """The Dask task: compile one point with trigger-compile in a subprocess; write point.json; return its row.

    The compile writes DIR/points/<hash>/ itself (staged beside it, moved into place when done); its output goes
    to a hidden log beside it, moved into the project as compile.log at the end.
    """
    target = Path(point_dir)
    clear_point(target)
    log = target.with_name(f".{target.name}.{LOG_FILE}")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
    command = compile_command(Path(model), part, target, point)
    t0 = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=target.parent,
            env=env,
            start_new_session=True,
        )
        _RUNNING.add(proc)
        try:
            code = proc.wait()
        finally:
            _RUNNING.discard(proc)
    wall = round(time.perf_counter() - t0, 2)
    if proc.pid in _STOPPED:
        _STOPPED.discard(proc.pid)
        clear_point(target)
        raise Stopped(f"{point.hash}: the sweep was interrupted")
    for staging in target.parent.glob(f".{target.name}.partial-*"):  # left by a compile killed by a signal
        shutil.rmtree(staging, ignore_errors=True)
    record = {
        **_identity(point, model, part),
        "exit_code": code,
        "verdict": verdict_of(code),
        "reason": _reason(code, log),
        "wall_s": wall,
        "command": command[1:],
    }
    if (target / "report.json").is_file():
        log.replace(target / LOG_FILE)
        _write_json(target / POINT_FILE, record)
    else:
        record_failure(target, record, log)
    return read_row(target)


# --- rows ---------------------------------------------------------------------------------------------------------


def _figures(report: dict) -> dict:
    """Latency, resources (with their source) and exactness of one report.json (docs/report-json.md)."""
    lat, res = report.get("latency", {}), report.get("resources", {})
    emu, cosim, synth = report.get("emulation", {}), report.get("cosim", {}), report.get("synth", {})
    util = res.get("utilization", {})
    row = {
        "latency_ns": lat.get("ns"),
        "latency_cycles": lat.get("cycles"),
        "ii_cycles": lat.get("ii_cycles"),
        "latency_source": lat.get("source"),
        "within_budget": lat.get("within_budget"),
        **{k: res.get(k) for k in ("LUT", "FF", "DSP", "BRAM")},
        "utilization_pct": {k: round(100 * v, 4) for k, v in util.items() if v is not None},
        "resources_source": res.get("source"),
        "synth_cached": synth.get("cached"),
        "bit_exact": emu.get("bit_exact"),
        "cosim_mismatches": cosim.get("mismatches"),
        "cosim": "skipped" if "skipped" in cosim else ("error" if "error" in cosim else "run"),
        "rtl_note": report.get("rtl", {}).get("note"),
        "failures": report.get("verdict", {}).get("failures", []),
    }
    vitis = report.get("vitis_report", {})
    for kind in ("vivado_synth", "csynth"):  # figures a user's Vitis run left in the project (source vitis-report)
        if "resources" in vitis.get(kind, {}):
            row["vitis_report"] = {k: vitis[kind]["resources"].get(k) for k in ("LUT", "FF", "DSP", "BRAM", "kind")}
            break
    return row


def read_point(point_dir: Path) -> dict | None:
    """point.json of a finished point, or None (not compiled, interrupted, or unreadable)."""
    try:
        record = json.loads((point_dir / POINT_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or "exit_code" not in record:
        return None
    if record["exit_code"] in (0, 3) and not (point_dir / "report.json").is_file():
        return None  # a project without its report is not finished
    return record


def read_row(point_dir: Path) -> dict:
    """The sweep row of a finished point: point.json and the figures of its report.json (when it has one)."""
    record = read_point(point_dir)
    if record is None:
        raise InputError(f"{point_dir}: no finished point (point.json and report.json) here.")
    row = {k: record[k] for k in ("hash", "config", "options", "exit_code", "verdict", "reason", "wall_s")}
    row["project"] = f"{POINTS}/{point_dir.name}"
    report = point_dir / "report.json"
    if report.is_file():
        row.update(_figures(json.loads(report.read_text())))
    return row


def is_done(point_dir: Path, retry_failed: bool) -> bool:
    """A point needs no compile: finished with exit 0, or finished otherwise and failures are not retried."""
    record = read_point(point_dir)
    return record is not None and (record["exit_code"] == 0 or not retry_failed)


def crash_row(point_dir: Path, point: Point, model: str, part: str, exc: BaseException) -> dict:
    """Record a task that died on its worker (the worker process was killed, ...) as a crashed point."""
    record = {
        **_identity(point, model, part),
        "exit_code": -1,
        "verdict": "crash",
        "reason": f"the Dask task failed: {type(exc).__name__}: {exc}",
        "wall_s": None,
    }
    if not (point_dir / "report.json").is_file():
        record_failure(point_dir, record, None)
    else:
        _write_json(point_dir / POINT_FILE, record)
    return read_row(point_dir)


# --- the sweep ----------------------------------------------------------------------------------------------------


@dataclass
class Sweep:
    """What to compile: the model, the part, the points and where they go."""

    model: Path
    part: str
    points: list[Point]
    keys: list[str]  # the swept keys, in --grid order
    out: Path

    def point_dir(self, point: Point) -> Path:
        return self.out / POINTS / point.hash


def run_sweep(
    sweep: Sweep, client, retry_failed: bool, on_row: Callable[[int, Point, dict, bool], None]
) -> Iterator[tuple[Point, dict, bool]]:
    """Yield (point, row, cached) for every point: first the points already done, then each compile as it ends
    (distributed.as_completed). `on_row(k, point, row, cached)` is called for each, k counting from 1."""
    from distributed import as_completed

    (sweep.out / POINTS).mkdir(parents=True, exist_ok=True)
    k = 0
    todo = []
    for point in sweep.points:
        if is_done(sweep.point_dir(point), retry_failed):
            k += 1
            row = read_row(sweep.point_dir(point))
            on_row(k, point, row, True)
            yield point, row, True
        else:
            todo.append(point)
    futures = {}
    for i, point in enumerate(todo):
        args = (str(sweep.model), sweep.part, str(sweep.point_dir(point)), point)
        future = client.submit(run_point, *args, key=f"sweep-point-{point.hash}-{os.getpid()}-{time.time_ns()}-{i}")
        futures[future] = point
    try:
        for future in as_completed(futures):
            point = futures.pop(future)
            try:
                row = future.result()
            except Exception as exc:  # the task itself died (worker killed, ...): a crashed point, the sweep goes on
                row = crash_row(sweep.point_dir(point), point, str(sweep.model), sweep.part, exc)
            k += 1
            on_row(k, point, row, False)
            yield point, row, False
    except BaseException:  # interrupted (Ctrl-C, ...): stop the compiles still running, record none of them
        if futures:
            client.cancel(list(futures))
            client.run(stop_compiles)
        raise


def pending_row(sweep: Sweep, point: Point) -> dict:
    """The row of a point not finished yet."""
    return {
        "hash": point.hash,
        "config": point.config,
        "options": point.options,
        "verdict": None,
        "project": f"{POINTS}/{point.hash}",
        "status": "pending",
    }


def summarise(sweep: Sweep, grid: dict, model_sha256: str, rows: dict[str, dict], wall_s: float) -> dict:
    """sweep.json's content: the sweep, counts, the rows in grid order (Pareto-optimal ones marked)."""
    from trigger import __version__
    from trigger.scale.sweep_report import front_of

    ordered = [rows.get(p.hash) or pending_row(sweep, p) for p in sweep.points]
    front = set(front_of(ordered))
    ordered = [{**r, "pareto": i in front} for i, r in enumerate(ordered)]
    status = [r.get("status") for r in ordered]
    return {
        "sweep": {
            "model": str(sweep.model),
            "model_sha256": model_sha256,
            "target": sweep.part,
            "keys": sweep.keys,
            "grid": grid,
            "options": sweep.points[0].options,
            "trigger_version": __version__,
        },
        "counts": {
            "points": len(ordered),
            "compiled": status.count("compiled"),
            "cached": status.count("cached"),
            "pending": status.count("pending"),
            "passed": sum(r.get("verdict") == "pass" for r in ordered),
            "failed": sum(r.get("verdict") not in (None, "pass") for r in ordered),
        },
        "pareto": [r["hash"] for r in ordered if r["pareto"]],
        "wall_s": round(wall_s, 1),
        "rows": ordered,
    }
