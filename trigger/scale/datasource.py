"""Large input samples read a slice at a time, by the worker that runs the slice.

DATA is `.npy` (memory-mapped), `.npz` (the model's inputs by name, or one named array; read from the archive
without loading the rest) or Parquet (numeric columns, read by row group with pyarrow).  A `DataSource` is
small and picklable: each Dask task opens the file and reads only its rows, so no process ever holds the whole
sample.  The file must be visible to the workers at the same path (a local cluster, or a shared file system).
Every source yields packed float64 rows (`trigger.input_layout`) of the model's width; the width is checked
from the file's header before any work starts.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trigger.errors import InputError
from trigger.input_layout import InputLayout


@dataclass(frozen=True)
class Member:
    """One array of a .npy file or .npz archive: where its data starts, its row shape and dtype."""

    name: str | None  # None: a plain .npy file
    offset: int
    shape: tuple[int, ...]
    dtype: str
    fortran: bool


@dataclass(frozen=True)
class DataSource:
    """`n` rows of the model's packed inputs from `path`."""

    path: Path
    kind: str  # npy | npz | parquet
    n: int
    members: tuple[Member, ...] = ()  # npy/npz: one per model input, in the model's order
    columns: tuple[str, ...] = ()  # parquet

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) as packed float64, (stop - start, L) (one input: its own shape)."""
        if self.kind == "parquet":
            return _parquet_rows(self.path, self.columns, start, stop)
        parts = [_member_rows(self.path, m, start, stop) for m in self.members]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p.reshape(len(p), -1) for p in parts], axis=1)

    def describe(self) -> dict:
        where = [m.name for m in self.members] if self.kind == "npz" else list(self.columns) or None
        return {"file": str(self.path), "format": self.kind, "rows": self.n, "arrays_or_columns": where}


def open_source(path: Path, layout: InputLayout, array: str | None = None) -> DataSource:
    """The sample at `path`, checked against the model's inputs (InputError naming the file otherwise)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise InputError(f"{path}: no such data file.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        member = _npy_member(path, None, _npy_header(path))
        return _checked(DataSource(path, "npy", member.shape[0], (member,)), layout)
    if suffix == ".npz":
        return _npz_source(path, layout, array)
    if suffix in (".parquet", ".pq"):
        return _parquet_source(path, layout)
    raise InputError(f"{path}: DATA must be .npy, .npz or .parquet.")


def _npy_header(path: Path):
    try:
        with open(path, "rb") as f:
            return _header_of(f)
    except (ValueError, OSError) as exc:
        raise InputError(f"{path}: cannot be read as a .npy array ({exc}).") from None


def _header_of(f) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    version = np.lib.format.read_magic(f)
    shape, fortran, dtype = np.lib.format._read_array_header(f, version, max_header_size=1 << 20)
    return shape, fortran, dtype, f.tell()


def _npy_member(path: Path, name: str | None, header) -> Member:
    shape, fortran, dtype, offset = header
    where = f"{path}" + (f" array '{name}'" if name else "")
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise InputError(f"{where}: has dtype {dtype}; inputs must be integers or floats.")
    if len(shape) < 1 or shape[0] == 0:
        raise InputError(f"{where}: has shape {shape}; expected (N, ...) with N >= 1.")
    return Member(name, offset, tuple(int(s) for s in shape), dtype.str, bool(fortran))


def _npz_source(path: Path, layout: InputLayout, array: str | None) -> DataSource:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = {i.filename[:-4]: i for i in zf.infolist() if i.filename.endswith(".npy")}
            names = [p.name for p in layout.ports]
            if array is not None:
                wanted = [array]
            elif set(names) <= set(infos):
                wanted = names
            elif len(infos) == 1 and layout.single:
                wanted = list(infos)
            else:
                raise InputError(
                    f"{path}: holds arrays {sorted(infos)}; expected one per model input {names}"
                    + (" (or --array NAME)" if layout.single else "")
                    + "."
                )
            members = []
            for name in wanted:
                if name not in infos:
                    raise InputError(f"{path}: has no array '{name}' (it holds {sorted(infos)}).")
                with zf.open(infos[name]) as f:
                    header = _header_of(f)
                members.append(_npy_member(path, name, header))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot be read as an .npz archive ({exc}).") from None
    counts = {m.name: m.shape[0] for m in members}
    if len(set(counts.values())) > 1:
        raise InputError(f"{path}: the arrays hold different numbers of rows {counts}.")
    return _checked(DataSource(path, "npz", members[0].shape[0], tuple(members)), layout)


def _checked(source: DataSource, layout: InputLayout) -> DataSource:
    """Rows of the model's shape: one array per input (by name), or one array of packed rows."""
    if [m.name for m in source.members] == [p.name for p in layout.ports]:
        for m, port in zip(source.members, layout.ports, strict=True):
            if m.shape[1:] != port.shape:
                raise InputError(
                    f"{source.path} array '{m.name}': rows have shape {m.shape[1:]}; input '{port.name}' takes "
                    f"{port.shape}."
                )
        return source
    row = source.members[0].shape[1:]
    if len(source.members) != 1 or row != tuple(layout.row_shape):
        packed = "" if layout.single else " (the inputs flattened and packed side by side)"
        raise InputError(f"{source.path}: rows have shape {row}; the model takes {tuple(layout.row_shape)}{packed}.")
    return source


def _member_rows(path: Path, m: Member, start: int, stop: int) -> np.ndarray:
    """Rows [start, stop) of one array, reading only those bytes (C order) or its columns (Fortran order)."""
    dtype = np.dtype(m.dtype)
    row = int(np.prod(m.shape[1:], dtype=np.int64))
    if m.name is None:
        return np.asarray(np.load(path, mmap_mode="r")[start:stop], dtype=np.float64)
    with zipfile.ZipFile(path) as zf, zf.open(f"{m.name}.npy") as f:
        if m.fortran:  # column-major inside an archive: the whole array is read (rare for event samples)
            f.seek(m.offset)
            data = np.frombuffer(f.read(), dtype=dtype).reshape(m.shape, order="F")
            return np.asarray(data[start:stop], dtype=np.float64)
        f.seek(m.offset + start * row * dtype.itemsize)  # a compressed member is inflated up to here
        data = np.frombuffer(f.read((stop - start) * row * dtype.itemsize), dtype=dtype)
    return data.reshape((stop - start, *m.shape[1:])).astype(np.float64)


def _parquet_source(path: Path, layout: InputLayout) -> DataSource:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path}: cannot be read as Parquet ({exc}).") from None
    schema = pf.schema_arrow
    columns = [f.name for f in schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]
    others = [f.name for f in schema if f.name not in columns]
    width = int(np.prod(layout.row_shape))
    if len(columns) != width:
        raise InputError(
            f"{path}: has {len(columns)} numeric columns{f' (and non-numeric {others})' if others else ''}; "
            f"the model takes {width} values per event."
        )
    if pf.metadata.num_rows == 0:
        raise InputError(f"{path}: holds no rows.")
    return DataSource(path, "parquet", int(pf.metadata.num_rows), columns=tuple(columns))


def _parquet_rows(path: Path, columns: tuple[str, ...], start: int, stop: int) -> np.ndarray:
    """Rows [start, stop): only the row groups that hold them are read."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    groups, first, pos = [], None, 0
    for g in range(pf.metadata.num_row_groups):
        size = pf.metadata.row_group(g).num_rows
        if pos + size > start and pos < stop:
            groups.append(g)
            first = pos if first is None else first
        pos += size
    table = pf.read_row_groups(groups, columns=list(columns))
    table = table.slice(start - first, stop - start)
    return np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in columns]).astype(np.float64)
