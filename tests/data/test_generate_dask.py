"""Generation as Dask tasks: the same events for 1 and 2 workers, assembled in plan order, progress per chunk,
Pythia's stdout silenced in the task, and trigger-data's --workers / --jobs / --scheduler checked up front."""

from __future__ import annotations

import os

import numpy as np
import pytest

from trigger.data.generate import plan

pytest.importorskip("pythia8mc")
pytestmark = pytest.mark.slow

N_BACKGROUND, N_SIGNAL, CHUNK = 4, 0, 2  # 3 chunks: W 3 events (2 chunks), QCD 1


def test_plan_splits_every_process_into_chunks_in_order():
    assert plan([6, 3, 0, 1], chunk=4) == [(0, 0, 4), (0, 1, 2), (1, 0, 3), (3, 0, 1)]


@pytest.fixture(scope="module")
def runs():
    """The tiny sample on 1 and on 2 local workers, with every progress call."""
    from trigger.data.generate import generate_l1events

    def one(workers: int) -> tuple[dict, list[tuple[int, int]]]:
        calls: list[tuple[int, int]] = []
        data = generate_l1events(
            N_BACKGROUND, N_SIGNAL, seed=7, workers=workers, progress=lambda d, t: calls.append((d, t)), chunk=CHUNK
        )
        return data, calls

    return {workers: one(workers) for workers in (1, 2)}


def test_same_seed_same_events_for_1_and_2_workers(runs):
    (one, _), (two, _) = runs[1], runs[2]
    assert one["features"].shape == (N_BACKGROUND + 4 * N_SIGNAL, 57)
    assert np.bincount(one["process"]).tolist() == [3, 1]
    for key in one:
        np.testing.assert_array_equal(one[key], two[key])


def test_chunks_are_assembled_in_plan_order(runs):
    from trigger.data.generate import chunk_seed, run_chunk

    data, _ = runs[2]
    assert np.all(np.diff(data["process"]) >= 0)  # process by process, as planned
    first = run_chunk("l1events", str(data["processes"][0]), CHUNK, chunk_seed(7, 0, 0))  # in this process
    np.testing.assert_array_equal(data["features"][:CHUNK], first)
    second = run_chunk("l1events", str(data["processes"][0]), 1, chunk_seed(7, 0, 1))
    with pytest.raises(AssertionError):  # a wrong order is seen: chunk 1 is not chunk 0
        np.testing.assert_array_equal(data["features"][:1], second)


def test_progress_counts_every_chunk_once(runs):
    n_chunks = len(plan([3, 1, 0, 0, 0, 0, 0, 0], CHUNK))
    assert n_chunks == 3
    for workers in (1, 2):
        _, calls = runs[workers]
        assert calls == [(done, n_chunks) for done in range(1, n_chunks + 1)]


def test_pythia_prints_unless_quieted(capfd):
    from trigger.data import l1events
    from trigger.data.generate import quiet_stdout

    l1events.generate_chunk("A_4l", 1, 5)
    assert "PYTHIA" in capfd.readouterr().out  # Pythia's banner, on file descriptor 1
    print("before", flush=True)
    with quiet_stdout(), quiet_stdout():  # re-entrant: the inner exit keeps the null device
        l1events.generate_chunk("A_4l", 1, 5)
    print("after", flush=True)
    assert capfd.readouterr().out == "before\nafter\n"  # nothing from Pythia, stdout restored


def test_dask_workers_print_nothing(capfd):
    from trigger.data.generate import generate_l1events

    generate_l1events(1, 0, seed=3, workers=1)  # one chunk on a local worker process
    assert "PYTHIA" not in capfd.readouterr().out


def _cli(tmp_path, *extra: str) -> int:
    from trigger.data.cli import main

    return main(["l1events", "--n", "2", "--n-signal", "1", "--out", str(tmp_path / "l1.npz"), *extra])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:9"], "--workers applies to a local cluster only"),
        (["--workers", "2", "--jobs", "2"], "--jobs is a deprecated alias of --workers"),
    ],
)
def test_conflicting_cluster_options_are_exit_2(tmp_path, capsys, extra, message):
    assert _cli(tmp_path, *extra) == 2
    assert message in capsys.readouterr().err and not os.listdir(tmp_path)


def test_unreachable_scheduler_is_exit_2(tmp_path, capsys):
    assert _cli(tmp_path, "--scheduler", "tcp://127.0.0.1:9", "--seed", "99") == 2  # not cached: connects
    assert "--scheduler tcp://127.0.0.1:9: cannot connect" in capsys.readouterr().err and not os.listdir(tmp_path)


def test_workers_then_deprecated_jobs(tmp_path, capsys):
    assert _cli(tmp_path, "--workers", "1") == 0
    first = (tmp_path / "l1.npz").read_bytes()
    (tmp_path / "l1.npz").unlink()
    assert _cli(tmp_path, "--jobs", "2") == 0  # the cached sample: the same bytes
    assert "--jobs is deprecated; use --workers" in capsys.readouterr().err
    assert (tmp_path / "l1.npz").read_bytes() == first
