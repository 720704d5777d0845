"""Input vectors: generated on the input types' grids, or read from a user's file.

Vectors are one array however many inputs the model has (`trigger.input_layout`): a model of several inputs
gets them packed side by side; a user gives them as an .npz of one array per input name, or packed in an .npy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trigger.errors import InputError
from trigger.fixed import FixedType
from trigger.input_layout import InputLayout, Port


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


def generate_all(layout: InputLayout, n: int, seed: int) -> Vectors:
    """`generate` for every input of a typed layout (input k with seed + k), packed; one input: `generate`."""
    if layout.single:
        port = layout.ports[0]
        return generate(port.ftype, port.shape, n, seed)
    parts = [generate(p.ftype, p.shape, n, seed + k) for k, p in enumerate(layout.ports)]
    return Vectors(layout.join([v.x for v in parts]), "generated", {**parts[0].info, "seed": seed, "seeds": "seed + k"})


def read(path: Path, layout: InputLayout | tuple[int, ...]) -> np.ndarray:
    """A user's inputs as float64, packed (`trigger.input_layout`), refused unless numeric, finite, non-empty and
    of the model's shapes: an .npy of (N, *shape) (several inputs: packed, (N, L)), or an .npz of one array per
    input name.  `layout` may be a bare shape (one input).

    Called by the load stage, so a bad file is refused before any work is done.
    """
    if not isinstance(layout, InputLayout):
        layout = InputLayout((Port("input", tuple(layout)),))
    if not path.exists():
        raise InputError(f"{path}: no such inputs file.")
    try:
        x = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise InputError(f"{path}: cannot be read as a .npy or .npz array ({exc}).") from exc
    if isinstance(x, np.ndarray):
        return checked(x, layout.row_shape, str(path))
    with x:  # an .npz archive: np.load gives a lazy NpzFile
        return _by_name(dict(x.items()), layout, path)


def _by_name(arrays: dict[str, np.ndarray], layout: InputLayout, path: Path) -> np.ndarray:
    """The arrays of an .npz, one per input name, checked and packed."""
    names = [p.name for p in layout.ports]
    if sorted(arrays) != sorted(names):
        raise InputError(
            f"{path}: holds arrays {sorted(arrays)}; the model's inputs are {names} (one array per input name)."
        )
    xs = [checked(arrays[p.name], p.shape, f"{path}: input '{p.name}'") for p in layout.ports]
    if len({len(a) for a in xs}) > 1:
        counts = {p.name: len(a) for p, a in zip(layout.ports, xs, strict=True)}
        raise InputError(f"{path}: the inputs hold different numbers of vectors {counts}.")
    return layout.join(xs)


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


def place(x: np.ndarray, types: FixedType | InputLayout, name: str) -> Vectors:
    """Inputs read by `read`, placed on the input types' grids (how many moved and saturated is recorded)."""
    q = types.quantize(x)
    if isinstance(types, InputLayout):
        lo, hi = types.bounds(x)
    else:
        lo, hi = types.min_value, types.max_value
    info = {
        "file": name,
        "moved_to_grid": int(np.count_nonzero(q != x)),
        "saturated": int(np.count_nonzero((x < lo) | (x > hi))),
    }
    return Vectors(q, "file", info)


def load(path: Path, ftype: FixedType, shape: tuple[int, ...]) -> Vectors:
    """Read a user's .npy inputs of a one-input model, check them and place them on the input grid."""
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
