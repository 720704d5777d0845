"""Seeded, multi-process generation in chunks: the result depends on the seed, never on the worker count."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from trigger.data import jets, l1events
from trigger.data.features import NAMES
from trigger.data.l1processes import BACKGROUND, SIGNALS
from trigger.data.processes import CLASSES

CHUNK = 200  # jets per Pythia run


def chunk_seed(seed: int, label_index: int, chunk: int) -> int:
    """Pythia's seed for one chunk (Pythia accepts 1 ... 900,000,000)."""
    return 1 + (seed * 1_000_003 + label_index * 100_003 + chunk * 7_919) % 899_999_999


def _quiet() -> None:
    """Worker start-up: Pythia's own messages go to the null device, not over the progress bar."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)


def _plan(counts: list[int]) -> list[tuple[int, int, int]]:
    """(process index, chunk index, items) for every chunk, given the items wanted per process."""
    plan = []
    for pi, n in enumerate(counts):
        for ci, start in enumerate(range(0, n, CHUNK)):
            plan.append((pi, ci, min(CHUNK, n - start)))
    return plan


def _run(task: tuple[str, str, int, int, int, int]):
    kind, name, pi, ci, n, seed = task
    module = jets if kind == "jets" else l1events
    return module.generate_chunk(name, n, chunk_seed(seed, pi, ci))


def _run_all(
    kind: str, names: list[str], counts: list[int], seed: int, jobs: int | None, progress
) -> tuple[list, list]:
    """Every chunk's result in plan order (parallel over chunks)."""
    plan = _plan(counts)
    tasks = [(kind, names[pi], pi, ci, n, seed) for pi, ci, n in plan]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(tasks)))
    results = []
    with ProcessPoolExecutor(max_workers=jobs, initializer=_quiet) as pool:
        for done, chunk in enumerate(pool.map(_run, tasks), start=1):
            results.append(chunk)
            if progress is not None:
                progress(done, len(tasks))
    return plan, results


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
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, np.ndarray]:
    """A background mixture of `n_background` events and `n_signal` events of every signal."""
    processes = [*BACKGROUND, *SIGNALS]
    counts = mixture_counts(n_background, [p.fraction for p in BACKGROUND]) + [n_signal] * len(SIGNALS)
    plan, results = _run_all("l1events", [p.name for p in processes], counts, seed, jobs, progress)
    index = np.concatenate([np.full(len(r), pi) for (pi, _, _), r in zip(plan, results, strict=True)])
    return {
        "features": np.concatenate(results),
        "process": index.astype(np.int64),
        "processes": np.array([p.name for p in processes]),
        "is_signal": np.array([p.signal for p in processes])[index],
        "feature_names": np.array(l1events.feature_names()),
    }


def generate_jets(
    n_per_class: int, seed: int, jobs: int | None = None, progress: Callable[[int, int], None] | None = None
) -> dict[str, np.ndarray]:
    """`n_per_class` jets of each class (q, g, W, Z, t), as arrays ready for np.savez."""
    plan, results = _run_all("jets", list(CLASSES), [n_per_class] * len(CLASSES), seed, jobs, progress)
    labels = np.concatenate([np.full(len(c.features), p[0]) for p, c in zip(plan, results, strict=True)])
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
