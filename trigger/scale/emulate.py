"""`trigger-emulate`: a project's bit-exact firmware model over a large sample, in chunks, on Dask.

Each chunk is one Dask task: the worker reads its rows from DATA (`datasource`), places them on the input
types' grids and runs the firmware model (`firmware`); the client writes the raw integers into a memory-mapped
array at the chunk's rows as results arrive, so memory stays bounded by the chunks in flight and the output is
in input order whatever the number of workers or the chunk size.  OUT.npz is assembled beside its final path
and renamed into place only when complete; an error leaves nothing behind.

OUT.npz: `raw` int64 (N, lanes), `value` float64 (raw x 2^-frac), `frac` (0-d int64), `output_type` and
`output_layer` (0-d str), `meta` (0-d str, JSON: project, data, counts of inputs moved onto the grid and
saturated, the firmware model's backend, the compile's checks, workers, chunk, seconds, memory per worker).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from trigger import __version__
from trigger.errors import InputError
from trigger.scale.cluster import dask_client
from trigger.scale.datasource import DataSource, open_source
from trigger.scale.firmware import FirmwareModel

DEFAULT_CHUNK = 100_000


def plan(n: int, chunk: int) -> list[tuple[int, int]]:
    """[start, stop) of every chunk."""
    return [(a, min(a + chunk, n)) for a in range(0, n, chunk)]


def run_chunk(model: FirmwareModel, source: DataSource, start: int, stop: int) -> dict:
    """One task: read rows [start, stop), run the firmware model.  A row with NaN/Inf is reported, not run."""
    x = source.read(start, stop)
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    result = {"start": start, "worker_pid": os.getpid()}
    if bad.any():
        return {**result, "nonfinite_row": start + int(np.argmax(bad))}
    raw, counts = model.run(x)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: KiB
    return {**result, "raw": raw, "counts": counts, "peak_rss_mib": round(peak_kib / 1024, 1), "anon_mib": _anon_mib()}


def _anon_mib() -> float | None:
    """This process's anonymous resident memory now (RssAnon; Linux), MiB: what it holds, without the pages of
    DATA's memory map that ru_maxrss also counts."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _target(out: Path, data: Path, project: Path, force: bool) -> Path:
    out = Path(out).resolve()
    if out.suffix != ".npz":
        raise InputError(f"--out {out}: must end in .npz.")
    if out == data or out.is_relative_to(project):
        raise InputError(f"--out {out}: must not be the data file or inside the project {project}.")
    if out.exists() and not force:
        raise InputError(f"--out {out}: exists; pass --force to replace it.")
    if not out.parent.is_dir():
        raise InputError(f"--out {out}: its directory does not exist.")
    return out


def emulate(
    project: Path,
    data: Path,
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    chunk: int = DEFAULT_CHUNK,
    array: str | None = None,
    force: bool = False,
    backend: str = "auto",
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Run the firmware model of `project` over `data` into `out` (see the module docstring); returns `meta`."""
    model = FirmwareModel.open(project, backend="interpreter")  # no C build before DATA and OUT are checked
    source = open_source(data, model.layout, array)
    out = _target(out, source.path, model.project, force)
    model = model.with_backend(backend)
    if chunk < 1:
        raise InputError(f"--chunk {chunk}: must be at least 1.")
    staging = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        meta = _run(model, source, staging, scheduler, workers, chunk, progress)
        _write_npz(staging, model, meta, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return meta


def _run(model, source, staging: Path, scheduler, workers, chunk: int, progress) -> dict:
    from distributed import as_completed

    t0 = time.perf_counter()
    raw = np.lib.format.open_memmap(staging / "raw.npy", mode="w+", dtype=np.int64, shape=(source.n, model.out_lanes))
    chunks = plan(source.n, chunk)
    counts = {"moved_to_grid": 0, "saturated": 0}
    peaks: dict[int, float] = {}
    anon: dict[int, float] = {}
    with dask_client(scheduler, workers) as client:
        n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
        futures = [client.submit(run_chunk, model, source, a, b, pure=False) for a, b in chunks]
        for done, fut in enumerate(as_completed(futures), start=1):
            r = fut.result()
            if "nonfinite_row" in r:
                client.cancel(futures)
                raise InputError(f"{source.path}: row {r['nonfinite_row']} holds NaN or infinite values.")
            raw[r["start"] : r["start"] + len(r["raw"])] = r["raw"]
            for k in counts:
                counts[k] += r["counts"][k]
            peaks[r["worker_pid"]] = max(peaks.get(r["worker_pid"], 0.0), r["peak_rss_mib"])
            if r["anon_mib"] is not None:
                anon[r["worker_pid"]] = max(anon.get(r["worker_pid"], 0.0), r["anon_mib"])
            del r
            if progress is not None:
                progress(done, len(chunks))
    raw.flush()
    seconds = time.perf_counter() - t0
    return {
        "trigger": __version__,
        "project": str(model.project),
        "data": source.describe(),
        "n_events": source.n,
        "lanes": model.out_lanes,
        "output_layer": model.output_layer,
        "output_type": model.output_type,
        "inputs": {"type": str(model.layout), **model.layout.describe(), **counts},
        "firmware_model": model.describe(),
        "checks_in_compile": model.checks,
        "scheduler": scheduler or "local",
        "workers": n_workers,
        "chunk": chunk,
        "n_chunks": len(chunks),
        "seconds": round(seconds, 3),
        "events_per_second": round(source.n / seconds, 1) if seconds > 0 else None,
        "peak_rss_mib_per_worker": sorted(peaks.values(), reverse=True),
        "anonymous_mib_per_worker": sorted(anon.values(), reverse=True),
    }


def _write_npz(staging: Path, model: FirmwareModel, meta: dict, out: Path) -> None:
    """OUT.npz from the staged raw.npy (value.npy made from it a block at a time), renamed into place."""
    raw = np.load(staging / "raw.npy", mmap_mode="r")
    value = np.lib.format.open_memmap(staging / "value.npy", mode="w+", dtype=np.float64, shape=raw.shape)
    scale = 2.0**-model.out_frac
    for a in range(0, len(raw), 1 << 20):
        value[a : a + (1 << 20)] = raw[a : a + (1 << 20)] * scale
    value.flush()
    del value, raw
    small = {
        "frac": np.asarray(model.out_frac, dtype=np.int64),
        "output_type": np.asarray(model.output_type),
        "output_layer": np.asarray(model.output_layer),
        "meta": np.asarray(json.dumps(meta, sort_keys=True)),
    }
    for name, arr in small.items():
        np.save(staging / f"{name}.npy", arr, allow_pickle=False)
    tmp = staging / "out.npz"
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name in ("raw", "value", *small):
            zf.write(staging / f"{name}.npy", f"{name}.npy")
    os.replace(tmp, out)
