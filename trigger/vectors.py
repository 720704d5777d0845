"""Input vectors: generated on the input type's grid, or read from a user's .npy file."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trigger.errors import InputError
from trigger.fixed import FixedType


@dataclass
class Vectors:
    """Inputs (real values on the input grid) and how they were obtained."""

    x: np.ndarray
    source: str
    info: dict = field(default_factory=dict)


def generate(ftype: FixedType, shape: tuple[int, ...], n: int, seed: int) -> Vectors:
    """`n` vectors spread over the input type's range, on its grid.

    A quarter uniform over the whole range (exercising saturation), a quarter uniform in [-1, 1],
    half normal with a width of 1/8 of the range; the first rows are zero, the minimum and the maximum.
    """
    rng = np.random.default_rng(seed)
    size = (n, *shape)
    lo, hi = ftype.min_value, ftype.max_value
    kind = rng.integers(0, 4, size=(n,) + (1,) * len(shape))
    full = rng.uniform(lo, hi + ftype.lsb, size)
    unit = rng.uniform(max(lo, -1.0), min(hi, 1.0), size)
    normal = rng.normal(0.0, (hi - lo) / 8.0, size)
    x = np.where(kind == 0, full, np.where(kind == 1, unit, normal))
    for row, value in enumerate((0.0, lo, hi)[:n]):
        x[row] = value
    return Vectors(
        ftype.quantize(x),
        "generated",
        {"seed": seed, "distribution": "mix: uniform full range, uniform [-1,1], normal"},
    )


def read(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    """A user's .npy inputs as float64 (N, *shape), refused unless numeric, finite, non-empty and of that shape.

    Called by the load stage, so a bad file is refused before any work is done.
    """
    if not path.exists():
        raise InputError(f"{path}: no such inputs file.")
    try:
        x = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise InputError(f"{path}: cannot be read as a .npy array ({exc}).") from exc
    if not isinstance(x, np.ndarray):  # an .npz archive: np.load gives a lazy NpzFile
        x.close()
        raise InputError(f"{path}: is an .npz archive, not one array; save the inputs with numpy.save (.npy).")
    return checked(x, shape, str(path))


def checked(x: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    """An inputs array as float64 (N, *shape), refused unless numeric, finite, non-empty and of that shape;
    `name` (the file, or what holds the array) starts each message."""
    if x.dtype.kind not in "biuf":  # bool, integers, floats: no strings, datetimes, complex or records
        raise InputError(f"{name}: inputs have dtype {x.dtype}; input vectors must be integers or floats.")
    x = np.asarray(x, dtype=np.float64)
    if x.shape[1:] != tuple(shape) or x.ndim != len(shape) + 1 or len(x) == 0:
        raise InputError(f"{name}: inputs have shape {x.shape}; the model expects (N, {', '.join(map(str, shape))}).")
    if not np.all(np.isfinite(x)):
        raise InputError(f"{name}: inputs contain NaN or infinite values.")
    return x


def place(x: np.ndarray, ftype: FixedType, name: str) -> Vectors:
    """Inputs read by `read`, placed on the input type's grid (how many moved and saturated is recorded)."""
    q = ftype.quantize(x)
    info = {
        "file": name,
        "moved_to_grid": int(np.count_nonzero(q != x)),
        "saturated": int(np.count_nonzero((x < ftype.min_value) | (x > ftype.max_value))),
    }
    return Vectors(q, "file", info)


def load(path: Path, ftype: FixedType, shape: tuple[int, ...]) -> Vectors:
    """Read a user's .npy inputs, check them and place them on the input grid."""
    return place(read(path, shape), ftype, path.name)


def save(vectors_dir: Path, arrays: dict[str, np.ndarray], index: dict) -> None:
    """Write arrays as .npy files and an index.json describing them."""
    vectors_dir.mkdir(parents=True, exist_ok=True)
    for name, arr in arrays.items():
        np.save(vectors_dir / f"{name}.npy", arr)
    (vectors_dir / "index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")


def add(vectors_dir: Path, name: str, array: np.ndarray, entry: dict) -> None:
    """Add one array (and its index.json entry) to the vectors `save` wrote."""
    index = json.loads((vectors_dir / "index.json").read_text())
    save(vectors_dir, {name: array}, {**index, name: entry})
