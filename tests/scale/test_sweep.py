"""trigger-sweep: grids, point hashes, a real 6-point sweep on a 2-worker Dask cluster (4 compiles pass with
co-simulation, 2 refused by trigger-compile), resuming, retrying failed points, --force, and the Pareto front.

The sweep's compiles keep co-simulation on (what makes a point trustworthy) with 200 vectors and --no-synth."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from trigger.scale.sweep import (
    Point,
    grid_points,
    last_error,
    model_digest,
    parse_grid,
    point_hash,
    read_row,
    run_point,
    verdict_of,
)
from trigger.scale.sweep_cli import main
from trigger.scale.sweep_report import front_of, pareto_front

BOGUS = "ap_fixed<16,6,AP_BOGUS>"  # parses as a fixed-point type; hls4ml refuses its rounding mode (exit 2)
GRID = ["--grid", "clock_ns=2.5,5", "--grid", f"precision=ap_fixed<16,6>,ap_fixed<12,4>,{BOGUS}"]
OPTIONS = ["--target", "xcvu9p", "--no-synth", "--n-vectors", "200"]


@pytest.fixture(scope="module")
def small_model(tmp_path_factory) -> Path:
    """A QKeras tagger 16-8-5 (6-bit), saved as .h5."""
    import tensorflow as tf

    from trigger.zoo import jet_tagger, randomize

    tagger = jet_tagger(hidden=(8,), n_features=16, n_classes=5)
    model = tf.keras.Model(tagger.inputs, tagger.outputs, name="small")
    randomize(model, seed=3)
    path = tmp_path_factory.mktemp("sweep_model") / "small.h5"
    model.save(path)
    return path


@pytest.fixture(scope="module")
def scheduler():
    """One 2-worker local cluster for the module; the sweeps reach it with --scheduler."""
    from trigger.scale.cluster import dask_client

    with dask_client(workers=2) as client:
        yield client.scheduler.address


def sweep(model: Path, out: Path, scheduler: str, *extra: str, grid: list[str] = GRID) -> tuple[int, str, str]:
    """Run trigger-sweep in this process; (exit code, stdout, stderr)."""
    import contextlib
    import io

    out_text, err_text = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out_text), contextlib.redirect_stderr(err_text):
        code = main([str(model), *OPTIONS, *grid, "-o", str(out), "--scheduler", scheduler, *extra])
    return code, out_text.getvalue(), err_text.getvalue()


def mtimes(out: Path) -> dict[str, int]:
    """mtime of every file of every point (report.json, point.json, compile.log, ...)."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in (out / "points").rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def swept(small_model, scheduler, tmp_path_factory):
    """The 6-point sweep, run once: (directory, exit code, stdout, stderr, file mtimes after it)."""
    out = tmp_path_factory.mktemp("sweep") / "s"
    code, stdout, stderr = sweep(small_model, out, scheduler)
    return out, code, stdout, stderr, mtimes(out)


# --- the grid ------------------------------------------------------------------------------------------------------


def test_grid_values_are_parsed_and_split_outside_angle_brackets():
    grid = parse_grid(
        ["clock_ns=2.5, 3.33,5", "precision=ap_fixed<16,6>,ap_fixed<12, 4,AP_RND,AP_SAT>", "reuse_factor=2"]
    )
    assert grid == {
        "clock_ns": [2.5, 3.33, 5.0],
        "precision": ["ap_fixed<16,6>", "ap_fixed<12,4,AP_RND,AP_SAT>"],
        "reuse_factor": [2],
    }
    assert parse_grid(["strategy=Latency,Resource"]) == {"strategy": ["Latency", "Resource"]}


def test_points_are_the_product_with_complete_configurations():
    grid = parse_grid(["reuse_factor=1,2", "clock_ns=2.5,5"])
    points = grid_points(grid, "ab" * 32, "xcvu9p-flga2104-2L-e", {"n_vectors": 200, "no_synth": True})
    assert [(p.config["reuse_factor"], p.config["clock_ns"]) for p in points] == [
        (1, 2.5),
        (1, 5.0),
        (2, 2.5),
        (2, 5.0),
    ]
    assert points[0].config == {
        "clock_ns": 2.5,
        "precision": "ap_fixed<16,6>",
        "reuse_factor": 1,
        "strategy": "Latency",
    }
    assert points[3].compile_args() == [
        *("--clock-ns", "5.0", "--precision", "ap_fixed<16,6>", "--reuse-factor", "2", "--strategy", "Latency"),
        *("--n-vectors", "200", "--no-synth"),
    ]
    assert len({p.hash for p in points}) == 4
    assert points[0].label(["reuse_factor", "clock_ns"]) == "reuse_factor=1 clock_ns=2.5"


def test_point_hash_covers_model_target_and_every_option():
    config = {"clock_ns": 5.0, "precision": "ap_fixed<16,6>", "reuse_factor": 1, "strategy": "Latency"}
    options = {"n_vectors": 200, "no_synth": True}
    base = point_hash("a" * 64, "xcvu9p-flga2104-2L-e", config, options)
    assert base == point_hash("a" * 64, "xcvu9p-flga2104-2L-e", dict(config), dict(options))
    assert len(base) == 16
    others = [
        point_hash("b" * 64, "xcvu9p-flga2104-2L-e", config, options),
        point_hash("a" * 64, "xcvu13p-flga2577-1-e", config, options),
        point_hash("a" * 64, "xcvu9p-flga2104-2L-e", {**config, "reuse_factor": 2}, options),
        point_hash("a" * 64, "xcvu9p-flga2104-2L-e", config, {**options, "no_synth": False}),
        point_hash("a" * 64, "xcvu9p-flga2104-2L-e", config, {**options, "n_vectors": 201}),
    ]
    assert len({base, *others}) == 6


def test_a_keras_json_model_hash_covers_its_weights(tmp_path):
    arch, weights = tmp_path / "m.json", tmp_path / "m_weights.h5"
    arch.write_text("{}")
    weights.write_bytes(b"1")
    first = model_digest(arch)
    weights.write_bytes(b"2")
    assert model_digest(arch) != first


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        (["clock=2.5"], "--grid 'clock=2.5': unknown key 'clock'"),
        (["clock_ns="], "--grid clock_ns: no values"),
        (["clock_ns=2.5,,5"], "--grid clock_ns: an empty value"),
        (["clock_ns=fast"], "--grid clock_ns: 'fast' is not a number."),
        (["clock_ns=0"], "--grid clock_ns: '0' must be a finite number above 0."),
        (["clock_ns=nan"], "--grid clock_ns: 'nan' must be a finite number above 0."),
        (["reuse_factor=1.5"], "--grid reuse_factor: '1.5' is not an integer."),
        (["precision=ap_fixed<16"], "--grid precision: --precision 'ap_fixed<16' is not a fixed-point type"),
        (["strategy=Fast"], "--grid strategy: 'Fast' is not one of Latency, Resource."),
        (["clock_ns=5,5.0"], "--grid clock_ns: value 5.0 is listed more than once."),
        (["clock_ns=5", "clock_ns=2.5"], "--grid clock_ns is given twice"),
        (["clock_ns"], "--grid 'clock_ns': expected KEY=V1,V2,..."),
        ([], "no --grid given"),
    ],
)
def test_bad_grids_are_exit_2_with_nothing_written(small_model, tmp_path, capsys, grid, message):
    out = tmp_path / "s"
    args = [str(small_model), "--target", "xcvu9p", "-o", str(out), "--workers", "1"]
    assert main(args + [f"--grid={g}" for g in grid]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_target_model_and_output_are_exit_2(small_model, tmp_path, capsys, monkeypatch):
    grid = ["--grid", "clock_ns=5", "--workers", "1"]
    assert main([str(small_model), "--target", "xcvu99p", "-o", str(tmp_path / "s"), *grid]) == 2
    assert "unknown target part 'xcvu99p'" in capsys.readouterr().err
    assert main([str(tmp_path / "nope.h5"), "--target", "xcvu9p", "-o", str(tmp_path / "s"), *grid]) == 2
    assert "nope.h5: no such model file." in capsys.readouterr().err
    assert main([str(small_model), "--target", "xcvu9p", "-o", str(small_model.parent), *grid]) == 2
    assert "it holds the model" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main([str(small_model), "--target", "xcvu9p", "-o", str(tmp_path / "file"), *grid]) == 2
    assert "it exists and is not a directory" in capsys.readouterr().err
    assert main([str(small_model), "--target", "xcvu9p", "-o", str(tmp_path / "file" / "s"), *grid]) == 2
    assert f"{tmp_path / 'file'} is a file, not a directory." in capsys.readouterr().err
    assert main([str(small_model), "--target", "xcvu9p", "-o", str(tmp_path), *grid]) == 2
    assert "holds no sweep.json (not a sweep); pass --force." in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert main([str(small_model), "--target", "xcvu9p", "-o", ".", "--force", *grid]) == 2
    assert "--force would remove the current directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


# --- the Pareto front -----------------------------------------------------------------------------------------------


def test_pareto_front_of_a_known_set():
    points = [(10, 100), (20, 50), (15, 120), (30, 40), (20, 50), (None, 10), (40, 40), (5, 200), (10, None)]
    # (15,120) is dominated by (10,100); (40,40) by (30,40); equal points (20,50) do not dominate each other
    assert pareto_front(points) == [0, 1, 3, 4, 7]
    assert pareto_front([]) == []


def test_the_front_takes_only_passing_points():
    rows = [
        {"verdict": "pass", "latency_ns": 40.0, "LUT": 5000},
        {"verdict": "fail", "latency_ns": 10.0, "LUT": 100},  # would dominate both, but failed a check
        {"verdict": "pass", "latency_ns": 35.0, "LUT": 6000},
        {"verdict": "pass", "latency_ns": 45.0, "LUT": 5000},
        {"verdict": "refused"},
    ]
    assert front_of(rows) == [0, 2]


# --- the task -----------------------------------------------------------------------------------------------------


def test_verdicts_and_reasons(tmp_path):
    assert [verdict_of(c) for c in (0, 2, 3, 1, -9)] == ["pass", "refused", "fail", "crash", "crash"]
    log = tmp_path / "compile.log"
    log.write_text("[2/7] hls ... failed\nx: error: first\ntrigger-compile: error: the last one\n[done]\n")
    assert last_error(log) == "the last one"
    log.write_text("no error here\n")
    assert last_error(log) is None


def test_a_compile_killed_by_a_signal_is_a_crashed_point(tmp_path, monkeypatch):
    import trigger.scale.sweep as sweep_module

    def killed(*_args):
        return [sys.executable, "-c", "import os, signal; print('started'); os.kill(os.getpid(), signal.SIGKILL)"]

    monkeypatch.setattr(sweep_module, "compile_command", killed)
    config = {"clock_ns": 5.0, "precision": "ap_fixed<16,6>", "reuse_factor": 1, "strategy": "Latency"}
    point = Point(config, {"n_vectors": 200, "no_synth": True}, "0123456789abcdef")
    (tmp_path / ".0123456789abcdef.partial-1").mkdir()  # staging left by an earlier killed compile
    row = run_point("m.h5", "xcvu9p", str(tmp_path / point.hash), point)
    assert (row["exit_code"], row["verdict"], row["reason"]) == (-9, "crash", "killed by signal SIGKILL")
    assert (tmp_path / point.hash / "compile.log").read_text() == "started\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [point.hash]
    assert read_row(tmp_path / point.hash) == row


# --- a real sweep ---------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sweep_compiles_every_point_and_records_the_refused_ones(swept, small_model):
    out, code, stdout, stderr, _ = swept
    assert code == 3, stderr  # some point failed: exit 3, the outputs written
    summary = json.loads((out / "sweep.json").read_text())
    assert summary["counts"] == {"points": 6, "compiled": 6, "cached": 0, "pending": 0, "passed": 4, "failed": 2}
    rows = summary["rows"]
    configs = [(r["config"]["clock_ns"], r["config"]["precision"]) for r in rows]
    assert configs == [(c, p) for c in (2.5, 5.0) for p in ("ap_fixed<16,6>", "ap_fixed<12,4>", BOGUS)]
    reason = f"{small_model}: layer 'input_1' (Input): hls4ml cannot convert it in its InferPrecisionTypes pass "
    reason += "(KeyError: 'BOGUS')."
    for row in rows:
        point_dir = out / row["project"]
        record = json.loads((point_dir / "point.json").read_text())
        assert record["exit_code"] == row["exit_code"]
        assert (point_dir / "compile.log").is_file()
        if row["config"]["precision"] == BOGUS:
            assert (row["exit_code"], row["verdict"], row["reason"]) == (2, "refused", reason)
            assert sorted(p.name for p in point_dir.iterdir()) == ["compile.log", "point.json"]
            continue
        report = json.loads((point_dir / "report.json").read_text())
        assert (row["exit_code"], row["verdict"], row["reason"]) == (0, "pass", None)
        assert report["target"]["clock_ns"] == row["config"]["clock_ns"]
        assert report["emulation"]["inputs"]["type"] == row["config"]["precision"].removeprefix("ap_")
        assert report["emulation"]["n_vectors"] == 200
        assert (row["latency_ns"], row["latency_cycles"]) == (report["latency"]["ns"], report["latency"]["cycles"])
        assert row["latency_ns"] == row["latency_cycles"] * row["config"]["clock_ns"]
        assert (row["LUT"], row["FF"], row["DSP"], row["BRAM"]) == tuple(
            report["resources"].get(k) for k in "LUT FF DSP BRAM".split()
        )
        assert row["resources_source"] == "estimate"  # --no-synth
        assert (row["bit_exact"], row["cosim"], row["cosim_mismatches"]) == (True, "run", 0)
        assert row["utilization_pct"]["LUT"] == round(100 * report["resources"]["utilization"]["LUT"], 4)
    hashes = {r["hash"] for r in rows}
    assert {p.name for p in (out / "points").iterdir()} == hashes  # nothing else (no staging, no hidden logs)
    front = [i for i, r in enumerate(rows) if r["pareto"]]
    assert front == front_of(rows) and front
    assert summary["pareto"] == [rows[i]["hash"] for i in front]


@pytest.mark.slow
def test_sweep_progress_and_outputs(swept):
    out, _, stdout, stderr, _ = swept
    lines = [ln for ln in stderr.splitlines() if ln.startswith("[")]
    assert [ln.split("]")[0] for ln in lines] == [f"[{k}/6" for k in range(1, 7)]
    assert sum(": refused (exit 2: " in ln for ln in lines) == 2 and sum(": pass, " in ln for ln in lines) == 4
    assert "6 points: 4 passed, 2 failed; compiled 6, from a previous run 0" in stdout
    md = (out / "sweep.md").read_text()
    assert "## Failed points" in md and md.count("(KeyError: 'BOGUS').") == 2
    assert md.count("| 0 | pass |") == 4
    assert (out / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in out.iterdir()) == ["points", "sweep.json", "sweep.md", "sweep.png"]


@pytest.mark.slow
def test_a_rerun_compiles_nothing(swept, small_model, scheduler):
    out, _, _, _, before = swept
    code, stdout, stderr = sweep(small_model, out, scheduler)
    assert code == 3
    summary = json.loads((out / "sweep.json").read_text())
    assert (summary["counts"]["compiled"], summary["counts"]["cached"]) == (0, 6)
    assert mtimes(out) == before
    assert stderr.count("from a previous run") == 6


@pytest.mark.slow
def test_retry_failed_compiles_only_the_failed_points(swept, small_model, scheduler, tmp_path):
    import shutil

    out = tmp_path / "s"
    shutil.copytree(swept[0], out)
    before = mtimes(out)
    code, _, _ = sweep(small_model, out, scheduler, "--retry-failed")
    assert code == 3
    summary = json.loads((out / "sweep.json").read_text())
    assert (summary["counts"]["compiled"], summary["counts"]["cached"], summary["counts"]["failed"]) == (2, 4, 2)
    after = mtimes(out)
    changed = {name.split("/")[1] for name in after if after[name] != before.get(name)}
    assert changed == {r["hash"] for r in summary["rows"] if r["verdict"] == "refused"}


@pytest.mark.slow
def test_force_replaces_a_directory_and_a_failed_check_keeps_its_figures(small_model, scheduler, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "stray.txt").write_text("not a sweep")
    grid = ["--grid", "clock_ns=1000"]  # 2 cycles x 1000 ns: over xcvu9p's 1 us budget -> exit 3, report kept
    code, _, stderr = sweep(small_model, out, scheduler, grid=grid)
    assert code == 2 and "pass --force" in stderr
    assert sorted(p.name for p in out.iterdir()) == ["stray.txt"]
    code, _, stderr = sweep(small_model, out, scheduler, "--force", grid=grid)
    assert code == 3, stderr
    assert not (out / "stray.txt").exists()
    (row,) = json.loads((out / "sweep.json").read_text())["rows"]
    report = json.loads((out / row["project"] / "report.json").read_text())
    assert (row["exit_code"], row["verdict"], row["pareto"]) == (3, "fail", False)
    assert (
        row["reason"] == "; ".join(report["verdict"]["failures"]) and row["failures"] == report["verdict"]["failures"]
    )
    assert (row["latency_ns"], row["LUT"], row["bit_exact"]) == (
        report["latency"]["ns"],
        report["resources"]["LUT"],
        True,
    )
    assert row["latency_ns"] > report["latency"]["budget_ns"]
