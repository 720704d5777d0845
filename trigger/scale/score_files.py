"""The files `trigger-rate` reads: `trigger-emulate` score files (their header, then one lane of `raw` streamed
from the archive), the project's report, and the checks that they belong together; plus the recount of every
threshold on the events themselves before anything is written."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trigger.errors import CheckFailed, InputError

CHUNK_BYTES = 1 << 26  # rows of `raw` are read from the .npz in pieces of about this size


@dataclass
class ScoreFile:
    """One trigger-emulate output: what its header says, and (once read) the chosen lane of `raw`."""

    label: str  # "background" or the signal's NAME
    path: Path
    n: int
    lanes: int
    frac: int
    output_type: str
    output_layer: str | None
    meta: object
    lane: np.ndarray | None = None


def _npy_header(member) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(member)
    raise ValueError(f"unsupported .npy format version {version}")


def _scalar(data, key: str, path: Path, kind: type, required: bool):
    if key not in data.files:
        if required:
            raise InputError(f"{path}: no '{key}' array (not a trigger-emulate output?)")
        return None
    value = data[key]
    if value.ndim != 0:
        raise InputError(f"{path}: '{key}' must be a scalar (0-d) array, has shape {value.shape}")
    value = value[()]
    ok = isinstance(value, np.integer) if kind is int else isinstance(value, str)
    if not ok:
        raise InputError(f"{path}: '{key}' must be {'an integer' if kind is int else 'a string'}, is {value!r}")
    return kind(value)


def _not_finite(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def read_header(label: str, path: Path) -> ScoreFile:
    """Shape of `raw` and the small arrays of a scores file, without reading `raw`."""
    if not path.is_file():
        raise InputError(f"{path} ({'--background' if label == 'background' else '--signal ' + label}): no such file")
    try:
        with zipfile.ZipFile(path) as zf:
            if "raw.npy" not in zf.namelist():
                raise InputError(f"{path}: no 'raw' array (not a trigger-emulate output?)")
            with zf.open("raw.npy") as member:
                shape, _, dtype = _npy_header(member)
        with np.load(path, allow_pickle=False) as data:
            frac = _scalar(data, "frac", path, int, True)
            output_type = _scalar(data, "output_type", path, str, True)
            output_layer = _scalar(data, "output_layer", path, str, False)
            meta_text = _scalar(data, "meta", path, str, False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npz file ({exc})") from None
    if len(shape) != 2:
        raise InputError(f"{path}: 'raw' must have shape (events, lanes), has {shape}")
    if not np.issubdtype(dtype, np.signedinteger) and not (
        np.issubdtype(dtype, np.unsignedinteger) and dtype.itemsize < 8
    ):
        raise InputError(f"{path}: 'raw' must hold integers that fit int64, holds {dtype}")
    try:
        meta = json.loads(meta_text, parse_constant=_not_finite) if meta_text is not None else None
    except (json.JSONDecodeError, ValueError) as exc:
        raise InputError(f"{path}: 'meta' is not JSON ({exc})") from None
    return ScoreFile(label, path, int(shape[0]), int(shape[1]), frac, output_type, output_layer, meta)


def read_lane(sf: ScoreFile, lane: int, progress=None) -> np.ndarray:
    """Lane `lane` of `raw` as int64, streamed from the .npz in chunks (a 10^7-event file never sits in memory
    whole); `progress(done, total)` is called after each chunk."""
    out = np.empty(sf.n, dtype=np.int64)
    try:
        with zipfile.ZipFile(sf.path) as zf, zf.open("raw.npy") as member:
            shape, fortran, dtype = _npy_header(member)
            if fortran:  # lanes are contiguous columns: skip to ours
                _skip(member, lane * sf.n * dtype.itemsize, sf.path)
                rows_per, width = max(1, CHUNK_BYTES // dtype.itemsize), 1
            else:
                rows_per, width = max(1, CHUNK_BYTES // (dtype.itemsize * sf.lanes)), sf.lanes
            for start in range(0, sf.n, rows_per):
                rows = min(rows_per, sf.n - start)
                want = rows * width * dtype.itemsize
                buf = member.read(want)
                if len(buf) != want:
                    raise InputError(
                        f"{sf.path}: 'raw' is truncated ({start + len(buf) // (width * dtype.itemsize)} "
                        f"of {sf.n} events)"
                    )
                block = np.frombuffer(buf, dtype=dtype).reshape(rows, width)
                out[start : start + rows] = block[:, 0 if fortran else lane]
                if progress is not None:
                    progress(start + rows, sf.n)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"{sf.path}: cannot read 'raw' ({exc})") from None
    return out


def _skip(member, nbytes: int, path: Path) -> None:
    """Read past `nbytes` bytes of a zip member (a deflated member cannot seek cheaply)."""
    while nbytes > 0:
        got = len(member.read(min(nbytes, CHUNK_BYTES)))
        if got == 0:
            raise InputError(f"{path}: 'raw' is truncated")
        nbytes -= got


def _normalised(type_text: str) -> str:
    """A fixed-point type without its rounding/overflow modes (`fixed<25,12,TRN,WRAP,0>` -> `fixed<25,12>`)."""
    from trigger.fixed import fixed_type_from_str

    try:
        return str(fixed_type_from_str(type_text))
    except ValueError:
        return type_text.strip()


def read_project(path: Path) -> dict:
    """The project's path and, when DIR/report.json exists, its model name and layer types."""
    if not path.is_dir():
        raise InputError(f"{path}: no such directory (DIR is the trigger-compile project the scores came from)")
    info: dict = {"dir": str(path.resolve()), "report": None, "model": None, "layers": None}
    report = path / "report.json"
    if report.is_file():
        try:
            model = json.loads(report.read_text()).get("model") or {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
            raise InputError(f"{report}: not a readable report.json ({exc})") from None
        layers = model.get("layers") if isinstance(model, dict) else None
        info["report"] = "report.json"
        info["model"] = model.get("name") if isinstance(model, dict) else None
        if isinstance(layers, list) and layers and all(isinstance(ly, dict) for ly in layers):
            info["layers"] = [(str(ly.get("name")), str(ly.get("precision"))) for ly in layers]
    return info


def check_consistent(files: list[ScoreFile], lane: int) -> None:
    """Every file scores the same output (lanes, type, layer), its `frac` is its type's, the lane exists, and no
    sample is empty."""
    from trigger.fixed import fixed_type_from_str

    first = files[0]
    for sf in files:
        try:
            ftype = fixed_type_from_str(sf.output_type)
        except ValueError:
            raise InputError(f"{sf.path}: output_type '{sf.output_type}' is not a fixed-point type") from None
        if ftype.frac != sf.frac:
            raise InputError(f"{sf.path}: frac {sf.frac} contradicts output_type {sf.output_type} ({ftype.frac})")
        if sf.lanes != first.lanes:
            raise InputError(f"{sf.path}: 'raw' has {sf.lanes} lanes, {first.path} has {first.lanes}")
        if _normalised(sf.output_type) != _normalised(first.output_type) or sf.output_layer != first.output_layer:
            raise InputError(
                f"{sf.path}: scores {sf.output_layer} {sf.output_type}, {first.path} scores "
                f"{first.output_layer} {first.output_type}: not the same firmware output"
            )
        if sf.n == 0:
            raise InputError(f"{sf.path}: no events ({'an empty background' if sf is first else 'an empty signal'})")
    if lane >= first.lanes:
        raise InputError(f"--output-lane {lane}: {first.path} has {first.lanes} lanes (0..{first.lanes - 1})")


def check_project_type(project: dict, sf: ScoreFile) -> dict:
    """Compare the scores' output type with the project's type of that layer (report.json `model.layers`)."""
    layers = project["layers"]
    if not layers:
        why = "no report.json" if project["report"] is None else "report.json lists no layer types"
        return {"checked": False, "why": why, "layer": None, "type": None, "final_layer": None, "final_type": None}
    final_layer, final_type = layers[-1]
    types = dict(layers)
    layer = sf.output_layer or final_layer
    if layer not in types:
        raise InputError(
            f"{sf.path}: output_layer '{layer}' is not a layer of {project['dir']} (report.json model.layers)"
        )
    if _normalised(types[layer]) != _normalised(sf.output_type):
        raise InputError(
            f"{sf.path}: output_type {sf.output_type} differs from the project's {layer} type {types[layer]} "
            f"({project['dir']}/report.json): scores of another firmware?"
        )
    return {
        "checked": True,
        "why": None,
        "layer": layer,
        "type": types[layer],
        "final_layer": final_layer,
        "final_type": final_type,
    }


def _progress(sf: ScoreFile):
    """A progress bar for reading a file of more than one chunk, else None."""
    from trigger.progress import bar

    big = sf.n * sf.lanes * 8 > CHUNK_BYTES
    return bar(f"reading {sf.path.name}") if big else None


def recount(files: list[ScoreFile], points: list) -> None:
    """Every threshold and count recounted on the events themselves (`rate.check_cut`, `rate.check_counts`);
    a difference is CheckFailed (exit 3), raised before anything is written."""
    from trigger.scale import rate

    failures = []
    for p in points:
        failures += rate.check_cut(files[0].lane, p.cut.threshold, p.cut.max_count)
        failures += rate.check_counts(files[0].lane, p.cut.threshold, p.cut.background_count, "background")
        for sf in files[1:]:
            failures += rate.check_counts(sf.lane, p.cut.threshold, p.efficiencies[sf.label].k, sf.label)
    if failures:
        raise CheckFailed("threshold recount failed, nothing written: " + "; ".join(failures))
