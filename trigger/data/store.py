"""Generated samples on disk: an .npz of arrays plus a .json of how they were made, cached by that recipe."""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib import metadata
from pathlib import Path

import numpy as np

from trigger.cache_root import cache_dir

GENERATOR_VERSION = 2  # bump when the generator's output changes for the same recipe


def recipe(kind: str, **params) -> dict:
    """Everything that determines a sample: kind, parameters, generator and package versions."""
    return {
        "kind": kind,
        "params": params,
        "generator_version": GENERATOR_VERSION,
        "packages": {p: metadata.version(p) for p in ("pythia8mc", "fastjet", "numpy")},
    }


def cache_path(rec: dict) -> Path:
    key = hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()[:20]
    return cache_dir() / "data" / f"{rec['kind']}-{key}.npz"


def cached(rec: dict, make) -> tuple[Path, bool]:
    """The cached sample for `rec`, generated with `make()` (-> arrays) when absent; (path, was cached)."""
    path = cache_path(rec)
    if path.is_file():
        return path, True
    save(path, make(), rec)
    return path, False


def save(path: Path, arrays: dict[str, np.ndarray], rec: dict) -> None:
    """Write `path` (.npz) and its recipe beside it (`path` with .json)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps(rec, indent=2, sort_keys=True) + "\n")


def copy(src: Path, dst: Path) -> None:
    """Copy a sample and its recipe."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    shutil.copyfile(src.with_suffix(".json"), dst.with_suffix(".json"))


def load(path: Path) -> dict[str, np.ndarray]:
    """All arrays of a sample."""
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}
