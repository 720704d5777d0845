"""Golden files: DIR/vectors/golden.npz (raw integers) and golden.json (types, model hash, configuration).

Both are byte-for-byte reproducible: the archive is written with fixed member order and timestamps,
the index with sorted keys, relative paths and no dates.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trigger.errors import InputError
from trigger.fixed import FixedType, fixed_type_from_str
from trigger.input_layout import InputLayout

FORMAT = "trigger-golden/1"
NPZ = "vectors/golden.npz"
INDEX = "vectors/golden.json"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can hold


@dataclass
class Golden:
    """Golden inputs and outputs as raw fixed-point integers, with their types and provenance."""

    inputs_raw: np.ndarray
    outputs_raw: np.ndarray
    input_layout: InputLayout  # the inputs' types (several inputs: packed side by side, trigger.input_layout)
    output_type: FixedType
    output_layer: str
    index: dict

    @property
    def inputs(self) -> np.ndarray:
        """Real input values (exact: raw x 2^-frac in float64)."""
        return self.input_layout.from_raw(self.inputs_raw)


def _array_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A .npz numpy can load, with stable bytes (stored members in the given order, fixed timestamps)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            zf.writestr(info, _array_bytes(arr))


def sha256_of(arr: np.ndarray) -> str:
    return hashlib.sha256(_array_bytes(arr)).hexdigest()


def write(project: Path, golden: Golden) -> list[Path]:
    """Write golden.npz and golden.json into DIR/vectors/; returns the two paths."""
    arrays = {"inputs_raw": golden.inputs_raw.astype(np.int64), "outputs_raw": golden.outputs_raw.astype(np.int64)}
    index = {
        **golden.index,
        "format": FORMAT,
        "arrays": {name: {"shape": list(a.shape), "sha256": sha256_of(a)} for name, a in arrays.items()},
        "inputs": golden.input_layout.describe(),
        "outputs": {"layer": golden.output_layer, "type": str(golden.output_type)},
    }
    npz, idx = project / NPZ, project / INDEX
    npz.parent.mkdir(parents=True, exist_ok=True)
    write_npz(npz, arrays)
    idx.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
    return [npz, idx]


def read(project: Path) -> Golden:
    """Read and verify DIR/vectors/golden.{npz,json} (InputError naming the file when unusable)."""
    npz, idx = project / NPZ, project / INDEX
    for f in (npz, idx):
        if not f.is_file():
            raise InputError(f"{f}: no golden file; record one with `trigger-regress record {project}`.")
    try:
        index = json.loads(idx.read_text())
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: data[k] for k in ("inputs_raw", "outputs_raw")}
    except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{npz}: not a golden file ({type(exc).__name__}: {exc}).") from None
    if index.get("format") != FORMAT:
        raise InputError(f"{idx}: format {index.get('format')!r}, expected {FORMAT!r}.")
    for name, arr in arrays.items():
        if sha256_of(arr) != index["arrays"][name]["sha256"]:
            raise InputError(f"{npz}: {name} does not match the hash in {idx.name} (edited or damaged).")
    return Golden(
        arrays["inputs_raw"],
        arrays["outputs_raw"],
        InputLayout.from_index(index["inputs"]),
        fixed_type_from_str(index["outputs"]["type"]),
        index["outputs"]["layer"],
        index,
    )
