"""trigger-emulate: the project's firmware model on Dask equals the C simulation, in input order, for any number
of workers and chunk size; every DATA format; bad input is exit 2 with nothing written."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

from trigger.fixed import fixed_type_from_str
from trigger.scale.emulate_cli import main

pytestmark = pytest.mark.slow

N_FRESH = 100_000


def _read(out) -> dict:
    with np.load(out) as d:
        return {k: d[k] for k in d.files}


def _run(*args) -> int:
    return main([str(a) for a in args])


@pytest.fixture(scope="module")
def scheduler():
    """One local cluster of 2 workers for the module's runs (each run connects to it with --scheduler)."""
    from trigger.scale.cluster import dask_client

    with dask_client(workers=2) as client:
        yield client.scheduler.address


@pytest.fixture(scope="module")
def fresh(tiny_plain, tmp_path_factory):
    """(inputs file of 10^5 fresh vectors, the C simulation's raw output of them at the project's output type)."""
    from trigger.api import Project

    tmp = tmp_path_factory.mktemp("fresh")
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(0, 4, (N_FRESH // 2, 8)), rng.uniform(-40, 40, (N_FRESH // 2, 8))])
    np.save(tmp / "x.npy", x)
    emulated = Project.open(tiny_plain).emulate(x)  # hls4ml's C simulation (rebuilt from the model file)
    index = json.loads((tiny_plain / "vectors" / "index.json").read_text())
    out_type = fixed_type_from_str(index["rtl_expected_raw"]["type"])
    raw, on_grid = out_type.to_raw(emulated.final)
    assert on_grid.all()
    return tmp / "x.npy", raw


def test_equals_the_c_simulation_on_the_project_vectors(tiny_plain, scheduler, tmp_path):
    out = tmp_path / "o.npz"
    x = tiny_plain / "vectors" / "inputs.npy"
    assert _run(tiny_plain, x, "--out", out, "--scheduler", scheduler, "--chunk", 17) == 0
    got = _read(out)
    expected = np.load(tiny_plain / "vectors" / "rtl_expected_raw.npy")
    np.testing.assert_array_equal(got["raw"], expected.reshape(len(expected), -1))
    np.testing.assert_array_equal(got["value"], got["raw"] * 2.0 ** -int(got["frac"]))
    meta = json.loads(str(got["meta"]))
    assert meta["workers"] == 2 and meta["n_chunks"] == 3 and meta["inputs"]["moved_to_grid"] == 0
    assert str(got["output_layer"]) == meta["output_layer"] and meta["checks_in_compile"]["rtl_vs_csim"]["bit_exact"]


def test_equals_the_c_simulation_on_fresh_inputs_chunk_by_chunk(tiny_plain, fresh, scheduler, tmp_path):
    x_file, csim_raw = fresh
    out = tmp_path / "o.npz"
    assert _run(tiny_plain, x_file, "--out", out, "--scheduler", scheduler, "--chunk", 25_000) == 0
    got = _read(out)
    assert got["raw"].shape == csim_raw.shape == (N_FRESH, csim_raw.shape[1])
    for a in range(0, N_FRESH, 10_000):
        np.testing.assert_array_equal(got["raw"][a : a + 10_000], csim_raw[a : a + 10_000], err_msg=f"rows {a}+")
    meta = json.loads(str(got["meta"]))
    assert meta["inputs"]["moved_to_grid"] > 0 and meta["inputs"]["saturated"] > 0  # off-grid, out-of-range inputs
    assert meta["firmware_model"]["backend"] == "compiled" and meta["firmware_model"]["rows_checked_per_chunk"] > 0


def test_the_interpreter_backend_gives_the_same_integers(tiny_plain, fresh, scheduler, tmp_path):
    x_file, csim_raw = fresh
    out = tmp_path / "o.npz"
    assert _run(tiny_plain, x_file, "--out", out, "--scheduler", scheduler, "--backend", "interpreter") == 0
    got = _read(out)
    np.testing.assert_array_equal(got["raw"], csim_raw)
    fw = json.loads(str(got["meta"]))["firmware_model"]
    assert (fw["backend"], fw["why"], fw["rows_checked_per_chunk"]) == (
        "interpreter",
        "chosen with --backend interpreter",
        None,
    )


def test_same_output_for_any_workers_and_chunk(tiny_plain, fresh, tmp_path):
    x_file, _ = fresh
    outs = []
    for workers, chunk in ((1, 100_000), (2, 7_777)):
        outs.append(tmp_path / f"o{workers}.npz")
        assert _run(tiny_plain, x_file, "--out", outs[-1], "--workers", workers, "--chunk", chunk) == 0
    np.testing.assert_array_equal(_read(outs[0])["raw"], _read(outs[1])["raw"])


def test_every_data_format_gives_the_same_output(tiny_plain, scheduler, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = np.load(tiny_plain / "vectors" / "inputs.npy")
    name = json.loads((tiny_plain / "vectors" / "index.json").read_text())["inputs"]["ports"][0]["name"]
    np.savez_compressed(tmp_path / "by_name.npz", **{name: x})
    np.savez(tmp_path / "named.npz", jets=x.astype(np.float32), other=np.zeros(3))
    table = pa.table({f"f{k}": x[:, k] for k in range(8)})
    pq.write_table(table, tmp_path / "x.parquet", row_group_size=13)
    want = np.load(tiny_plain / "vectors" / "rtl_expected_raw.npy")
    for data, extra in (("by_name.npz", ()), ("named.npz", ("--array", "jets")), ("x.parquet", ())):
        out = tmp_path / f"{data}.out.npz"
        assert _run(tiny_plain, tmp_path / data, "--out", out, "--scheduler", scheduler, "--chunk", 11, *extra) == 0
        np.testing.assert_array_equal(_read(out)["raw"], want.reshape(len(want), -1), err_msg=data)


def test_a_wrong_input_grid_is_caught(tiny_plain, fresh, scheduler, tmp_path):
    """The comparison can fail: a project whose recorded input type is off by one integer bit places the inputs
    on another grid, and its outputs differ from the C simulation."""
    x_file, csim_raw = fresh
    copy = tmp_path / "prj"
    shutil.copytree(tiny_plain, copy)
    index = json.loads((copy / "vectors" / "index.json").read_text())
    for entry in [index["inputs"], *index["inputs"]["ports"]]:
        entry["type"] = "fixed<16,5>"
    (copy / "vectors" / "index.json").write_text(json.dumps(index))
    out = tmp_path / "o.npz"
    assert _run(copy, x_file, "--out", out, "--scheduler", scheduler) == 0
    assert np.count_nonzero(_read(out)["raw"] != csim_raw) > 0


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda d: np.save(d / "x.npy", np.zeros((5, 7))), r"x\.npy: rows have shape \(7,\); the model takes \(8,\)"),
        (lambda d: np.save(d / "x.npy", np.where(np.arange(80).reshape(10, 8) == 43, np.nan, 0.0)), "row 5 holds NaN"),
        (lambda d: np.savez(d / "x.npz", a=np.zeros((3, 8)), b=np.zeros((3, 8))), r"holds arrays \['a', 'b'\]"),
        (lambda d: (d / "x.npy").write_text("no"), "cannot be read as a .npy array"),
        (lambda d: None, "no such data file"),
    ],
)
def test_bad_data_is_exit_2_and_nothing_is_written(tiny_plain, scheduler, tmp_path, capsys, make, message):
    make(tmp_path)
    data = next(iter(sorted(tmp_path.glob("x.*"))), tmp_path / "x.npy")
    out = tmp_path / "out" / "o.npz"
    out.parent.mkdir()
    assert _run(tiny_plain, data, "--out", out, "--scheduler", scheduler, "--chunk", 4) == 2
    assert re.search(message, capsys.readouterr().err)
    assert list(out.parent.iterdir()) == []  # no OUT, no staging directory


def test_bad_project_output_or_scheduler_is_exit_2(tiny_plain, tmp_path, capsys, monkeypatch):
    from trigger.scale import cluster

    x = tiny_plain / "vectors" / "inputs.npy"
    no_rtl = tmp_path / "no_rtl"
    shutil.copytree(tiny_plain, no_rtl)
    report = json.loads((no_rtl / "report.json").read_text())
    report["rtl"] = {"skipped": "--no-rtl"}
    (no_rtl / "report.json").write_text(json.dumps(report))
    existing = tmp_path / "exists.npz"
    existing.write_bytes(b"user data")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT_S", 1)
    cases = [
        ((no_rtl, x, "--out", tmp_path / "a.npz"), "has no RTL model to run (--no-rtl)"),
        ((tmp_path, x, "--out", tmp_path / "a.npz"), "no report.json; not a trigger-compile project"),
        ((tiny_plain, x, "--out", existing), "exists; pass --force"),
        ((tiny_plain, x, "--out", tmp_path / "a.txt"), "must end in .npz"),
        ((tiny_plain, x, "--out", tmp_path / "a.npz", "--scheduler", "tcp://127.0.0.1:1"), "cannot connect"),
    ]
    for args, message in cases:
        assert _run(*args) == 2, args
        assert message in capsys.readouterr().err, message
    assert existing.read_bytes() == b"user data" and not (tmp_path / "a.npz").exists()
