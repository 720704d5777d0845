"""Seeded generation in chunks, run as Dask tasks: the result depends on the seed, never on the worker count.

Every chunk is one seeded Pythia run (`chunk_seed`), one task on `trigger.scale.cluster.dask_client`; a task
returns its chunk's arrays only, and the client puts them together in plan order (never completion order).
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from trigger.data import jets, l1events
from trigger.data.features import NAMES
from trigger.data.l1processes import BACKGROUND, SIGNALS
from trigger.data.processes import CLASSES

CHUNK = 200  # items (jets or events) per Pythia run

Progress = Callable[[int, int], None]

_quiet_lock = threading.Lock()
_quiet_state = {"depth": 0, "saved": -1}


def chunk_seed(seed: int, label_index: int, chunk: int) -> int:
    """Pythia's seed for one chunk (Pythia accepts 1 ... 900,000,000)."""
    return 1 + (seed * 1_000_003 + label_index * 100_003 + chunk * 7_919) % 899_999_999


def _flush_c_stdout() -> None:
    """Flush C's stdio buffers (Pythia writes through std::cout, synchronised with C's stdout)."""
    sys.stdout.flush()
    ctypes.CDLL(None).fflush(None)


@contextmanager
def quiet_stdout() -> Iterator[None]:
    """File descriptor 1 on the null device meanwhile: Pythia's own messages never reach the terminal.

    Process-wide and re-entrant (tasks of a multi-threaded worker share it: the first in redirects, the
    last out restores).
    """
    with _quiet_lock:
        if _quiet_state["depth"] == 0:
            _flush_c_stdout()
            _quiet_state["saved"] = os.dup(1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.close(devnull)
        _quiet_state["depth"] += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_state["depth"] -= 1
            if _quiet_state["depth"] == 0:
                _flush_c_stdout()
                os.dup2(_quiet_state["saved"], 1)
                os.close(_quiet_state["saved"])


def plan(counts: list[int], chunk: int = CHUNK) -> list[tuple[int, int, int]]:
    """(process index, chunk index, items) for every chunk, given the items wanted per process."""
    return [
        (pi, ci, min(chunk, n - start)) for pi, n in enumerate(counts) for ci, start in enumerate(range(0, n, chunk))
    ]


def run_chunk(kind: str, name: str, n: int, seed: int):
    """One chunk, in a Dask task: `n` items of process/class `name` from the Pythia run seeded `seed`."""
    module = jets if kind == "jets" else l1events
    with quiet_stdout():
        return module.generate_chunk(name, n, seed)


def run_all(
    kind: str,
    names: list[str],
    counts: list[int],
    seed: int,
    workers: int | None = None,
    progress: Progress | None = None,
    scheduler: str | None = None,
    chunk: int = CHUNK,
) -> tuple[list[tuple[int, int, int]], list]:
    """Every chunk's result in plan order, computed as Dask tasks (`progress(done, total)` as they finish)."""
    from distributed import as_completed

    from trigger.scale.cluster import dask_client, default_workers

    chunks = plan(counts, chunk)
    if scheduler is None:  # a local cluster: no more workers than tasks
        workers = max(1, min(workers or default_workers(), len(chunks)))
    results: list = [None] * len(chunks)
    with dask_client(scheduler, workers) as client:
        futures = [
            client.submit(run_chunk, kind, names[pi], n, chunk_seed(seed, pi, ci), pure=False) for pi, ci, n in chunks
        ]
        order = {future.key: i for i, future in enumerate(futures)}
        for done, future in enumerate(as_completed(futures), start=1):
            results[order[future.key]] = future.result()
            future.release()  # the worker drops the chunk once the client holds it
            if progress is not None:
                progress(done, len(chunks))
    return chunks, results


def mixture_counts(n: int, fractions: list[float]) -> list[int]:
    """Split `n` by `fractions` (largest remainder: the counts sum to n)."""
    exact = np.array(fractions) / sum(fractions) * n
    counts = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - counts))[: n - counts.sum()]:
        counts[i] += 1
    return counts.tolist()


def generate_l1events(
    n_background: int,
    n_signal: int,
    seed: int,
    workers: int | None = None,
    progress: Progress | None = None,
    *,
    scheduler: str | None = None,
    chunk: int = CHUNK,
) -> dict[str, np.ndarray]:
    """A background mixture of `n_background` events and `n_signal` events of every signal.

    `workers` local Dask worker processes (default: all cores), or the cluster at `scheduler`; `chunk`
    events per Pythia run (it changes the events: the cached samples use CHUNK).
    """
    processes = [*BACKGROUND, *SIGNALS]
    counts = mixture_counts(n_background, [p.fraction for p in BACKGROUND]) + [n_signal] * len(SIGNALS)
    chunks, results = run_all(
        "l1events", [p.name for p in processes], counts, seed, workers, progress, scheduler, chunk
    )
    index = np.concatenate([np.full(len(r), pi) for (pi, _, _), r in zip(chunks, results, strict=True)])
    return {
        "features": np.concatenate(results),
        "process": index.astype(np.int64),
        "processes": np.array([p.name for p in processes]),
        "is_signal": np.array([p.signal for p in processes])[index],
        "feature_names": np.array(l1events.feature_names()),
    }


def generate_jets(
    n_per_class: int,
    seed: int,
    workers: int | None = None,
    progress: Progress | None = None,
    *,
    scheduler: str | None = None,
    chunk: int = CHUNK,
) -> dict[str, np.ndarray]:
    """`n_per_class` jets of each class (q, g, W, Z, t), as arrays ready for np.savez (workers, scheduler,
    chunk: as for `generate_l1events`)."""
    counts = [n_per_class] * len(CLASSES)
    chunks, results = run_all("jets", list(CLASSES), counts, seed, workers, progress, scheduler, chunk)
    labels = np.concatenate([np.full(len(c.features), p[0]) for p, c in zip(chunks, results, strict=True)])
    return {
        "features": np.concatenate([c.features for c in results]),
        "constituents": np.concatenate([c.constituents for c in results]),
        "label": labels.astype(np.int64),
        "jet_pt": np.concatenate([c.jet_pt for c in results]),
        "jet_eta": np.concatenate([c.jet_eta for c in results]),
        "truth_mass": np.concatenate([c.truth_mass for c in results]),
        "classes": np.array(CLASSES),
        "feature_names": np.array(NAMES),
    }
