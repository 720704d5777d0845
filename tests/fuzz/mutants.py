"""Seeded mutants of small valid models and command lines for fuzzing `trigger-compile`, and their oracle.

Shared by tests/fuzz/test_fuzz.py (in-process, one test per mutant) and benchmarks/fuzz.py (one subprocess
per mutant).  Sources are copied from the exporter corpus (tests/zoo/models/); every mutant is a small
frozen dataclass holding the bytes of the files to write and an argv template (`{d}` = the mutant's
directory), so it can be materialised into any temporary directory.

`generate(n, seed)` is deterministic, and mutant i does not depend on n (a run of 100 is a prefix of a run
of 500).  The schedule walks every (kind, variant) pair in a seeded order before repeating one.

Oracle (`judge`): exit code in {0, 2, 3}; no Python traceback in the output; no `.partial-*` directory
left anywhere; after exit 2 the mutant's directory (which is also the cwd) holds exactly what it held
before; the input files are unchanged byte for byte; a model with NaN/Inf parameters is never accepted
(exit 0); and a mutant that is invalid beyond doubt (`must_reject`) is never accepted either.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import random
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
ZOO = ROOT / "tests" / "zoo" / "models"

QONNX_SOURCES = ("qonnx_qkeras_mlp", "brevitas_mlp_4b", "brevitas_bnn_fc1")
FLOAT_ONNX_SOURCES = ("tf2onnx_mlp_bn", "torch_mlp_bn")
ONNX_SOURCES = QONNX_SOURCES + FLOAT_ONNX_SOURCES
KERAS_SOURCES = ("qkeras_softmax", "keras_float_softmax")
VALID_16 = ("qonnx_qkeras_mlp", "tf2onnx_mlp_bn", "qkeras_softmax")  # valid models with 16 input features

OK_CODES = (0, 2, 3)
FINDING_CLASSES = (
    "crash",
    "traceback",
    "leftover",
    "nonfinite-accepted",
    "input-changed",
    "accepted-invalid",
)


@dataclass(frozen=True)
class Mutant:
    """One fuzz case: files to write into a fresh directory and the trigger-compile argv (`{d}` = that dir)."""

    id: str
    kind: str
    description: str
    files: dict[str, bytes]
    argv: tuple[str, ...]
    dirs: tuple[str, ...] = ()  # extra (empty) directories to create
    modes: dict[str, int] = field(default_factory=dict)  # chmod applied after writing (e.g. 0o500)
    nonfinite: bool = False  # the model's parameters hold NaN/Inf: exit 0 is a failure
    must_reject: bool = False  # invalid beyond doubt: exit 0 is a failure
    needs_nonroot: bool = False  # a permission check: meaningless when run as root

    def materialise(self, root: Path) -> list[str]:
        """Write the files under `root` (which must exist) and return the argv, with `--stop-after hls`."""
        for rel in self.dirs:
            (root / rel).mkdir(parents=True, exist_ok=True)
        for rel, data in self.files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        for rel, mode in self.modes.items():
            (root / rel).chmod(mode)
        return [a.replace("{d}", str(root)) for a in self.argv] + ["--stop-after", "hls"]

    def restore_modes(self, root: Path) -> None:
        """Make chmod-ed directories writable again so the directory can be removed."""
        for rel in self.modes:
            p = root / rel
            if p.exists():
                p.chmod(0o700)


@dataclass(frozen=True)
class Finding:
    """One oracle violation."""

    cls: str
    message: str


# ---------------------------------------------------------------------------------------------- oracle


def snapshot(root: Path) -> dict[str, str | None]:
    """Every path under `root`: relative path -> sha256 of a file, None for a directory."""
    out: dict[str, str | None] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        base = Path(dirpath)
        for d in dirnames:
            out[str((base / d).relative_to(root))] = None
        for f in filenames:
            p = base / f
            try:
                digest = hashlib.sha256(p.read_bytes()).hexdigest()
            except OSError as exc:
                digest = f"unreadable: {exc.strerror}"
            out[str(p.relative_to(root))] = digest
    return out


def _tail(text: str, n: int = 300) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:n] if lines else ""


def judge(
    m: Mutant, code: int | None, output: str, before: dict[str, str | None], after: dict[str, str | None]
) -> list[Finding]:
    """The oracle: every way this run of `m` went wrong (empty: it behaved)."""
    found: list[Finding] = []
    if code not in OK_CODES:
        what = "timeout" if code is None else (f"signal {-code}" if code < 0 else f"exit {code}")
        found.append(Finding("crash", f"{what}: {_tail(output)}"))
    if "Traceback (most recent call last)" in output:
        i = output.index("Traceback (most recent call last)")
        found.append(Finding("traceback", _tail(output[i:])))
    partial = sorted(p for p in after if ".partial-" in p)
    if partial:
        found.append(Finding("leftover", f"staging directory left behind: {partial[0]}"))
    elif code == 2 and after != before:
        new = sorted(set(after) - set(before))
        gone = sorted(set(before) - set(after))
        found.append(Finding("leftover", f"after exit 2: created {new[:4]}, removed {gone[:4]}"))
    changed = sorted(rel for rel in m.files if before.get(rel) != after.get(rel))
    if changed:
        found.append(Finding("input-changed", f"input files changed or removed: {changed}"))
    if code == 0 and m.nonfinite:
        found.append(Finding("nonfinite-accepted", f"exit 0 on a model with non-finite parameters ({m.description})"))
    elif code == 0 and m.must_reject:
        found.append(Finding("accepted-invalid", f"exit 0 on invalid input ({m.description})"))
    return found


def run_in_process(argv: list[str]) -> tuple[int, str]:
    """Call compile_main in this interpreter; returns (exit code, traceback text if an exception escaped)."""
    import traceback

    from trigger.cli import compile_main

    try:
        return compile_main(argv), ""
    except SystemExit as exc:  # argparse
        code = exc.code
        return (0 if code is None else code if isinstance(code, int) else 1), ""
    except Exception:  # escaped compile_main: what a console script would show
        return 1, traceback.format_exc()


# ---------------------------------------------------------------------------------------------- sources


def _read(name: str, file: str) -> bytes:
    return (ZOO / name / file).read_bytes()


def _onnx(name: str):
    import onnx

    return onnx.load_from_string(_read(name, "model.onnx"))


def _ser(model) -> bytes:
    return model.SerializeToString()


def _valid_files(name: str) -> tuple[dict[str, bytes], str]:
    """A valid model's files and the model path (relative)."""
    if name in KERAS_SOURCES:
        return {
            "model.json": _read(name, "model.json"),
            "model_weights.h5": _read(name, "model_weights.h5"),
        }, "model.json"
    return {"model.onnx": _read(name, "model.onnx")}, "model.onnx"


def _argv(model_rel: str, *extra: str, out: str | None = "{d}/proj") -> tuple[str, ...]:
    base = [f"{{d}}/{model_rel}", "--target", "xcvu9p"]
    if out is not None:
        base += ["-o", out]
    return tuple(base + list(extra))


def _onnx_nonfinite(data: bytes) -> bool | None:
    """True if `data` parses as ONNX and a float initializer holds NaN/Inf; None if it does not parse."""
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load_from_string(data)
    except Exception:
        return None
    for t in model.graph.initializer:
        try:
            a = numpy_helper.to_array(t)
        except Exception:
            continue
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            return True
    return False


def _h5_nonfinite(data: bytes) -> bool | None:
    """True if `data` opens as HDF5 and a float dataset holds NaN/Inf; None if it cannot be read fully."""
    import h5py

    bad: list[bool] = []
    try:
        with h5py.File(io.BytesIO(data), "r") as f:

            def visit(_name, obj):
                if isinstance(obj, h5py.Dataset):
                    a = np.asarray(obj[()])
                    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
                        bad.append(True)
                for v in obj.attrs.values():
                    _ = v

            f.visititems(visit)
    except Exception:
        return None
    return bool(bad)


def _h5_edit(data: bytes, edit: Callable) -> bytes:
    """Apply `edit(h5py.File)` to a copy of an HDF5 file's bytes and return the new bytes."""
    import h5py

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "w.h5"
        p.write_bytes(data)
        with h5py.File(p, "r+") as f:
            edit(f)
        return p.read_bytes()


# ---------------------------------------------------------------------------------------------- mutators
# Each mutator: (rng, variant) -> dict of Mutant fields (description, files, argv, flags).

Spec = dict


def _flip(rng: random.Random, data: bytes) -> tuple[bytes, list[int]]:
    b = bytearray(data)
    where = sorted(rng.randrange(len(b)) for _ in range(rng.randint(1, 8)))
    for i in where:
        b[i] ^= rng.randint(1, 255)
    return bytes(b), where


def _trunc(rng: random.Random, data: bytes) -> tuple[bytes, int]:
    cut = rng.randrange(0, max(1, int(len(data) * 0.95)))
    return data[:cut], cut


def m_bytes(target: str, how: str) -> Callable[[random.Random, str], Spec]:
    def make(rng: random.Random, variant: str) -> Spec:
        if target == "onnx":
            src = rng.choice(ONNX_SOURCES)
            files, rel = _valid_files(src)
        else:
            src = rng.choice(KERAS_SOURCES)
            files, rel = _valid_files(src)
        key = {"onnx": "model.onnx", "json": "model.json", "h5": "model_weights.h5"}[target]
        original = files[key]
        if how == "flip":
            data, where = _flip(rng, original)
            desc = f"{src}/{key}: bytes flipped at {where}"
        else:
            data, cut = _trunc(rng, original)
            desc = f"{src}/{key}: truncated to {cut} of {len(original)} bytes"
        files[key] = data
        nonfinite, invalid = False, False
        if target == "onnx":
            nf = _onnx_nonfinite(data)
            invalid, nonfinite = nf is None, bool(nf)
        elif target == "h5":
            nf = _h5_nonfinite(data)
            invalid, nonfinite = nf is None, bool(nf)
        else:
            try:
                json.loads(data)
            except ValueError:
                invalid = True
        return {"description": desc, "files": files, "argv": _argv(rel), "nonfinite": nonfinite, "must_reject": invalid}

    return make


def _pick_node(rng: random.Random, model, pred: Callable = lambda n: True):
    nodes = [n for n in model.graph.node if pred(n)]
    return rng.choice(nodes)


def _param_names(model) -> set[str]:
    """Quantizer parameters (scale, zero point, bit width) of Quant/BipolarQuant nodes."""
    out: set[str] = set()
    for n in model.graph.node:
        if n.op_type in ("Quant", "BipolarQuant", "Trunc"):
            out.update(n.input[1:])
    return out


def _weight_inits(model) -> list:
    from onnx import numpy_helper

    params = _param_names(model)
    return [
        t
        for t in model.graph.initializer
        if t.name not in params and numpy_helper.to_array(t).dtype.kind == "f" and numpy_helper.to_array(t).size > 1
    ]


def _set_init(model, name: str, fn: Callable[[np.ndarray], np.ndarray]) -> None:
    from onnx import numpy_helper

    for t in model.graph.initializer:
        if t.name == name:
            a = numpy_helper.to_array(t).copy()
            t.CopyFrom(numpy_helper.from_array(np.asarray(fn(a), dtype=a.dtype).reshape(a.shape), name))
            return
    raise KeyError(name)


def _onnx_mutant(fn: Callable, sources: tuple[str, ...] = ONNX_SOURCES, **flags) -> Callable:
    """Wrap `fn(rng, model, variant) -> description | (description, flags)` into a mutator on an ONNX source."""

    def make(rng: random.Random, variant: str) -> Spec:
        src = rng.choice(sources)
        model = _onnx(src)
        desc = fn(rng, model, variant)
        extra: dict = {}
        if isinstance(desc, tuple):
            desc, extra = desc
        spec = {"description": f"{src}: {desc}", "files": {"model.onnx": _ser(model)}, "argv": _argv("model.onnx")}
        spec.update(flags)
        spec.update(extra)
        return spec

    return make


def o_del_node(rng, model, _v):
    n = _pick_node(rng, model)
    model.graph.node.remove(n)
    return f"deleted node {n.name or n.op_type} ({n.op_type})"


def o_dangling(rng, model, _v):
    n = _pick_node(rng, model, lambda n: len(n.input) > 0)
    i = rng.randrange(len(n.input))
    old = n.input[i]
    n.input[i] = f"missing_tensor_{rng.randrange(1000)}"
    return f"node {n.name} input {i} ({old}) rewired to {n.input[i]} (produced by nothing)"


def o_unknown_op(rng, model, _v):
    n = _pick_node(rng, model)
    old = n.op_type
    n.op_type = rng.choice(["FooBar", "NoSuchOp", "Conv9D", "quant"])
    return f"node {n.name}: op type {old} -> {n.op_type}"


def o_init_values(rng, model, variant):
    t = rng.choice(_weight_inits(model))
    value = {"nan": math.nan, "+inf": math.inf, "-inf": -math.inf, "1e30": 1e30, "-1e30": -1e30}[variant]
    whole = rng.random() < 0.3

    def put(a: np.ndarray) -> np.ndarray:
        if whole:
            a[...] = value
        else:
            a.flat[rng.randrange(a.size)] = value
        return a

    _set_init(model, t.name, put)
    return f"initializer {t.name} {'all elements' if whole else 'one element'} = {variant}"


def o_input_dim(rng, model, variant):
    inp = model.graph.input[0]
    dims = inp.type.tensor_type.shape.dim
    k = len(dims) - 1
    dims[k].Clear()
    dims[k].dim_value = int(variant)
    return f"input {inp.name} dim {k} = {variant}"


def _quant_nodes(model):
    return [n for n in model.graph.node if n.op_type == "Quant"]


def o_quant_bits(rng, model, variant):
    n = rng.choice(_quant_nodes(model))
    _set_init(model, n.input[3], lambda a: np.full_like(a, int(variant)))
    return f"Quant {n.name}: bit width ({n.input[3]}) = {variant}", {"must_reject": int(variant) <= 0}


def o_quant_scale(rng, model, variant):
    n = rng.choice(_quant_nodes(model))
    _set_init(model, n.input[1], lambda a: np.full_like(a, float(variant)))
    flag = "nonfinite" if variant == "nan" else "must_reject"
    return f"Quant {n.name}: scale ({n.input[1]}) = {variant}", {flag: True}


def o_quant_zeropt(rng, model, variant):
    from onnx import numpy_helper

    n = rng.choice(_quant_nodes(model))
    t = next(t for t in model.graph.initializer if t.name == n.input[2])
    shape = numpy_helper.to_array(t).shape  # an integer zero point becomes float32 (QONNX allows both)
    t.CopyFrom(numpy_helper.from_array(np.full(shape, float(variant), dtype=np.float32), t.name))
    return f"Quant {n.name}: zero point ({n.input[2]}) = {variant}"


def o_quant_rounding(rng, model, variant):
    from onnx import helper

    n = rng.choice(_quant_nodes(model))
    for a in list(n.attribute):
        if a.name == "rounding_mode":
            n.attribute.remove(a)
    n.attribute.append(helper.make_attribute("rounding_mode", variant))
    return f"Quant {n.name}: rounding_mode = {variant!r}"


def o_empty_graph(rng, model, _v):
    del model.graph.node[:]
    return "every node deleted"


def o_bn_negative_var(rng, model, _v):
    bn = rng.choice([n for n in model.graph.node if n.op_type == "BatchNormalization"])
    _set_init(model, bn.input[4], lambda a: -np.abs(a) - 1.0)
    return f"BatchNormalization {bn.name}: running variance ({bn.input[4]}) negative (its sqrt is NaN)"


def o_no_outputs(rng, model, _v):
    names = [o.name for o in model.graph.output]
    del model.graph.output[:]
    return f"graph outputs {names} removed"


def o_output_unproduced(rng, model, _v):
    old = model.graph.output[0].name
    model.graph.output[0].name = "tensor_nobody_produces"
    return f"graph output {old} renamed to tensor_nobody_produces"


def o_dup_names(rng, model, _v):
    a, b = rng.sample(list(model.graph.node), 2)
    if not a.name:
        a.name = "dup"
    b.name = a.name
    return f"nodes {a.op_type} and {b.op_type} both named {a.name}"


def o_two_writers(rng, model, _v):
    a, b = rng.sample(list(model.graph.node), 2)
    old = b.output[0]
    b.output[0] = a.output[0]
    return f"node {b.name} now writes {a.output[0]} (also written by {a.name}; was {old})"


def o_cycle(rng, model, _v):
    n = _pick_node(rng, model, lambda n: len(n.input) > 0)
    n.input[0] = n.output[0]
    return f"node {n.name} ({n.op_type}) reads its own output {n.output[0]}"


def o_opset(rng, model, variant):
    for op in model.opset_import:
        if op.domain in ("", "ai.onnx"):
            op.version = int(variant)
    return f"default-domain opset = {variant}"


def o_ir_version(rng, model, variant):
    model.ir_version = int(variant)
    return f"ir_version = {variant}"


def o_string_input(rng, model, _v):
    from onnx import TensorProto

    model.graph.input[0].type.tensor_type.elem_type = TensorProto.STRING
    return f"input {model.graph.input[0].name} declared STRING"


def o_output_shape(rng, model, _v):
    out = model.graph.output[0]
    dims = out.type.tensor_type.shape.dim
    last = dims[len(dims) - 1]
    old = last.dim_value
    last.Clear()
    last.dim_value = old + rng.randint(1, 7)
    return f"output {out.name} declared with last dim {last.dim_value} (graph produces {old})"


def _keras_json(name: str) -> dict:
    return json.loads(_read(name, "model.json"))


def _keras_mutant(fn: Callable, sources: tuple[str, ...] = KERAS_SOURCES, **flags) -> Callable:
    """Wrap `fn(rng, config, variant, src) -> (description, files-override)` into a mutator on a Keras source."""

    def make(rng: random.Random, variant: str) -> Spec:
        src = rng.choice(sources)
        cfg = _keras_json(src)
        desc, override = fn(rng, cfg, variant, src)
        files = {"model.json": json.dumps(cfg).encode(), "model_weights.h5": _read(src, "model_weights.h5")}
        files.update(override)
        files = {k: v for k, v in files.items() if v is not None}
        spec = {"description": f"{src}: {desc}", "files": files, "argv": _argv("model.json")}
        spec.update(flags)
        return spec

    return make


def k_del_layer(rng, cfg, _v, _src):
    layers = cfg["config"]["layers"]
    layer = layers.pop(rng.randrange(len(layers)))
    return f"layer {layer['config']['name']} ({layer['class_name']}) deleted", {}


def k_unknown_class(rng, cfg, _v, _src):
    layer = rng.choice(cfg["config"]["layers"][1:])
    old = layer["class_name"]
    layer["class_name"] = rng.choice(["NoSuchLayer", "QDense9", "Lambda2"])
    return f"layer {layer['config']['name']}: class {old} -> {layer['class_name']}", {}


def k_bad_units(rng, cfg, variant, _src):
    layer = rng.choice([x for x in cfg["config"]["layers"] if "units" in x["config"]])
    layer["config"]["units"] = int(variant)
    return f"layer {layer['config']['name']}: units = {variant}", {}


def k_missing_weights(rng, cfg, _v, _src):
    return "weights file model_weights.h5 missing", {"model_weights.h5": None}


def k_other_weights(rng, cfg, _v, src):
    other = next(s for s in KERAS_SOURCES if s != src)
    return f"weights file of {other}", {"model_weights.h5": _read(other, "model_weights.h5")}


def k_nonfinite_weight(rng, cfg, variant, src):
    value = {"nan": math.nan, "+inf": math.inf, "-inf": -math.inf}[variant]
    picked: list[str] = []

    def edit(f) -> None:
        names: list[str] = []
        f.visititems(lambda n, o: names.append(n) if n.endswith(":0") else None)
        name = rng.choice(sorted(names))
        a = f[name][()]
        a.flat[rng.randrange(a.size)] = value
        f[name][...] = a
        picked.append(name)

    h5 = _h5_edit(_read(src, "model_weights.h5"), edit)
    return f"{picked[0]}: one element = {variant}", {"model_weights.h5": h5}


def k_quant_bits(rng, cfg, variant, _src):
    slots = []
    for layer in cfg["config"]["layers"]:
        c = layer["config"]
        for key in ("kernel_quantizer", "bias_quantizer", "activation"):
            q = c.get(key)
            if isinstance(q, dict) and "bits" in q.get("config", {}):
                slots.append((c["name"], key, q))
    name, key, q = rng.choice(slots)
    q["config"]["bits"] = int(variant)
    return f"layer {name} {key} bits = {variant}", {}


def k_json_shape(rng, cfg, variant, _src):
    text = {"list": b"[]", "null": b"null", "empty-object": b"{}", "no-layers": None}[variant]
    if text is None:
        cfg["config"]["layers"] = []
        return "architecture with no layers", {}
    return f"model.json is {text.decode()}", {"model.json": text}


def _npy(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=True)
    return buf.getvalue()


def _inputs_file(rng: random.Random, variant: str) -> tuple[str, bytes]:
    n = rng.randint(1, 8)
    if variant == "strings":
        return "x.npy", _npy(np.array([[rng.choice("abc") for _ in range(16)] for _ in range(n)]))
    if variant == "datetimes":
        return "x.npy", _npy(np.full((n, 16), np.datetime64("2024-01-01")))
    if variant == "objects":
        return "x.npy", _npy(np.array([[{"a": i} for i in range(16)] for _ in range(n)], dtype=object))
    if variant == "npz":
        buf = io.BytesIO()
        np.savez(buf, features=rng.random() * np.ones((n, 16)))  # not named after the model's input
        return "x.npz", buf.getvalue()
    if variant == "wrong-shape":
        return "x.npy", _npy(np.zeros((n, rng.choice([7, 15, 17, 32]))))
    if variant == "nan":
        a = np.zeros((n, 16))
        a.flat[rng.randrange(a.size)] = rng.choice([math.nan, math.inf])
        return "x.npy", _npy(a)
    if variant == "empty":
        return "x.npy", _npy(np.zeros((0, 16)))
    return "x.npy", b"this is not a numpy file\n"


def _cli_mutant(extra: Callable[[random.Random, str], tuple[str, ...]], **flags) -> Callable:
    def make(rng: random.Random, variant: str) -> Spec:
        src = rng.choice(VALID_16)
        files, rel = _valid_files(src)
        args = extra(rng, variant)
        spec = {"description": f"{src}: {' '.join(args)}", "files": files, "argv": _argv(rel, *args)}
        spec.update(flags)
        return spec

    return make


def c_inputs(rng, variant) -> Spec:
    src = rng.choice(VALID_16)
    files, rel = _valid_files(src)
    name, data = _inputs_file(rng, variant)
    files[name] = data
    return {
        "description": f"{src}: --inputs {name} ({variant})",
        "files": files,
        "argv": _argv(rel, "--inputs", f"{{d}}/{name}"),
        "must_reject": True,
    }


def c_target(rng, variant) -> Spec:
    src = rng.choice(VALID_16)
    files, rel = _valid_files(src)
    files["sentinel"] = b"must survive\n"
    target = {"inject": "xcvu9p;rm -rf {d}/sentinel", "bogus": "xcvu9p-bogus-9", "empty": ""}[variant]
    argv = list(_argv(rel))
    argv[argv.index("xcvu9p")] = target
    return {"description": f"{src}: --target {target!r}", "files": files, "argv": tuple(argv), "must_reject": True}


def c_weights(rng, variant) -> Spec:
    src = rng.choice(KERAS_SOURCES)
    files, rel = _valid_files(src)
    if variant == "onnx-file":
        files["w.onnx"] = _read("qonnx_qkeras_mlp", "model.onnx")
        target = "{d}/w.onnx"
    elif variant == "directory":
        target = "{d}"
    else:
        target = "{d}/no_such_weights.h5"
    return {
        "description": f"{src}: --weights {target} ({variant})",
        "files": files,
        "argv": _argv(rel, "--weights", target),
        "must_reject": True,
    }


def c_o_special(rng, variant) -> Spec:
    src = rng.choice(VALID_16)
    files, rel = _valid_files(src)
    out, extra, reject = {
        "model-file": (f"{{d}}/{rel}", (), True),
        "inputs-dir": ("{d}", (), True),
        "inputs-dir-force": ("{d}", ("--force",), False),
        "empty": ("", (), True),
    }[variant]
    return {
        "description": f"{src}: -o {out!r} {' '.join(extra)} ({variant}; the model file must survive)",
        "files": files,
        "argv": _argv(rel, *extra, out=out),
        "must_reject": reject,
    }


def c_unwritable(rng, _v) -> Spec:
    src = rng.choice(VALID_16)
    files, rel = _valid_files(src)
    out = rng.choice(["{d}/ro/proj", "{d}/ro/a/proj"])
    return {
        "description": f"{src}: -o below a directory with mode 0o500 ({out})",
        "files": files,
        "argv": _argv(rel, out=out),
        "dirs": ("ro",),
        "modes": {"ro": 0o500},
        "must_reject": True,
        "needs_nonroot": True,
    }


def c_below_file(rng, _v) -> Spec:
    src = rng.choice(VALID_16)
    files, rel = _valid_files(src)
    files["afile"] = b"a regular file\n"
    out = rng.choice(["{d}/afile/proj", "{d}/afile"])
    return {
        "description": f"{src}: -o {out} (afile is a regular file)",
        "files": files,
        "argv": _argv(rel, out=out),
        "must_reject": True,
    }


def _broken_onnx(rng: random.Random) -> bytes:
    return _read(rng.choice(ONNX_SOURCES), "model.onnx")[: rng.randint(20, 200)]


def c_nested(rng, variant) -> Spec:
    out = rng.choice(["{d}/a/b/proj", "{d}/a/b/c/proj"])
    if variant == "valid":
        src = rng.choice(VALID_16)
        files, rel = _valid_files(src)
        return {"description": f"{src}: -o {out} (parents do not exist)", "files": files, "argv": _argv(rel, out=out)}
    return {
        "description": f"truncated model, -o {out} (parents do not exist): nothing may be created",
        "files": {"model.onnx": _broken_onnx(rng)},
        "argv": _argv("model.onnx", out=out),
        "must_reject": True,
    }


def c_existing(rng, _v) -> Spec:
    src = rng.choice(VALID_16)
    files, rel = _valid_files(src)
    files["proj/report.json"] = json.dumps({"old": rng.randrange(10**6)}).encode()
    files["proj/hls/notes.txt"] = b"user notes\n"
    return {
        "description": f"{src}: -o an existing non-empty project without --force",
        "files": files,
        "argv": _argv(rel),
        "must_reject": True,
    }


def c_default_out(rng, _v) -> Spec:
    return {
        "description": "truncated model, no -o (default vivado_projects/model in the cwd): nothing may be created",
        "files": {"model.onnx": _broken_onnx(rng)},
        "argv": _argv("model.onnx", out=None),
        "must_reject": True,
    }


# (kind, variants, mutator).  Variant "" = a kind without variants.
KINDS: list[tuple[str, tuple[str, ...], Callable[[random.Random, str], Spec]]] = [
    ("bytes-flip-onnx", ("",), m_bytes("onnx", "flip")),
    ("bytes-trunc-onnx", ("",), m_bytes("onnx", "trunc")),
    ("bytes-flip-json", ("",), m_bytes("json", "flip")),
    ("bytes-trunc-json", ("",), m_bytes("json", "trunc")),
    ("bytes-flip-h5", ("",), m_bytes("h5", "flip")),
    ("bytes-trunc-h5", ("",), m_bytes("h5", "trunc")),
    ("onnx-del-node", ("",), _onnx_mutant(o_del_node, must_reject=True)),
    ("onnx-dangling-input", ("",), _onnx_mutant(o_dangling, must_reject=True)),
    ("onnx-unknown-op", ("",), _onnx_mutant(o_unknown_op, must_reject=True)),
    ("onnx-nan-init", ("nan",), _onnx_mutant(o_init_values, nonfinite=True)),
    ("onnx-inf-init", ("+inf", "-inf"), _onnx_mutant(o_init_values, nonfinite=True)),
    ("onnx-huge-init", ("1e30", "-1e30"), _onnx_mutant(o_init_values)),
    ("onnx-input-dim", ("0", "-1", "-7"), _onnx_mutant(o_input_dim, must_reject=True)),
    ("onnx-quant-bits", ("0", "1", "64", "-3"), _onnx_mutant(o_quant_bits, QONNX_SOURCES)),
    ("onnx-quant-scale", ("0", "nan", "inf"), _onnx_mutant(o_quant_scale, QONNX_SOURCES)),
    ("onnx-quant-zeropt", ("nan",), _onnx_mutant(o_quant_zeropt, QONNX_SOURCES, nonfinite=True)),
    ("onnx-quant-rounding", ("BOGUS",), _onnx_mutant(o_quant_rounding, QONNX_SOURCES, must_reject=True)),
    ("onnx-empty-graph", ("",), _onnx_mutant(o_empty_graph, must_reject=True)),
    ("onnx-bn-negative-var", ("",), _onnx_mutant(o_bn_negative_var, ("torch_mlp_bn",), must_reject=True)),
    ("onnx-no-outputs", ("",), _onnx_mutant(o_no_outputs, must_reject=True)),
    ("onnx-output-unproduced", ("",), _onnx_mutant(o_output_unproduced, must_reject=True)),
    ("onnx-dup-node-names", ("",), _onnx_mutant(o_dup_names)),
    ("onnx-two-writers", ("",), _onnx_mutant(o_two_writers, must_reject=True)),
    ("onnx-cycle", ("",), _onnx_mutant(o_cycle, must_reject=True)),
    ("onnx-opset", ("1", "99"), _onnx_mutant(o_opset)),
    ("onnx-ir-version", ("99",), _onnx_mutant(o_ir_version)),
    ("onnx-string-input", ("",), _onnx_mutant(o_string_input, must_reject=True)),
    ("onnx-output-shape", ("",), _onnx_mutant(o_output_shape, must_reject=True)),
    ("keras-del-layer", ("",), _keras_mutant(k_del_layer, must_reject=True)),
    ("keras-unknown-class", ("",), _keras_mutant(k_unknown_class, must_reject=True)),
    ("keras-bad-units", ("0", "-1"), _keras_mutant(k_bad_units, must_reject=True)),
    ("keras-missing-weights", ("",), _keras_mutant(k_missing_weights, must_reject=True)),
    ("keras-other-weights", ("",), _keras_mutant(k_other_weights, must_reject=True)),
    ("keras-nonfinite-weight", ("nan", "+inf", "-inf"), _keras_mutant(k_nonfinite_weight, nonfinite=True)),
    (
        "keras-json-shape",
        ("list", "null", "empty-object", "no-layers"),
        _keras_mutant(k_json_shape, must_reject=True),
    ),
    ("keras-quant-bits", ("0", "-2"), _keras_mutant(k_quant_bits, ("qkeras_softmax",), must_reject=True)),
    ("cli-clock", ("nan", "inf", "-1", "0"), _cli_mutant(lambda r, v: ("--clock-ns", v), must_reject=True)),
    ("cli-seed", ("-1",), _cli_mutant(lambda r, v: ("--seed", v), must_reject=True)),
    (
        "cli-latency-budget",
        ("nan", "inf", "-5"),
        _cli_mutant(lambda r, v: ("--latency-budget-ns", v), must_reject=True),
    ),
    ("cli-n-vectors", ("0", "-3"), _cli_mutant(lambda r, v: ("--n-vectors", v), must_reject=True)),
    (
        "cli-precision",
        ("ap_fixed<0,0>", "ap_fixed<16,6", "ap_fixed<-1,2>", "garbage"),
        _cli_mutant(lambda r, v: ("--precision", v), must_reject=True),
    ),
    ("cli-inputs", ("strings", "datetimes", "objects", "npz", "wrong-shape", "nan", "empty", "not-numpy"), c_inputs),
    ("cli-target", ("inject", "bogus", "empty"), c_target),
    ("cli-weights", ("missing", "directory", "onnx-file"), c_weights),
    ("cli-o-special", ("model-file", "inputs-dir", "inputs-dir-force", "empty"), c_o_special),
    ("cli-o-unwritable", ("",), c_unwritable),
    ("cli-o-below-file", ("",), c_below_file),
    ("cli-o-nested", ("valid", "broken-model"), c_nested),
    ("cli-o-existing", ("",), c_existing),
    ("cli-o-default", ("",), c_default_out),
]


def _slug(variant: str) -> str:
    """A readable test-id fragment: '-1' -> 'neg1', '+inf' -> 'posinf', 'ap_fixed<16,6' -> 'ap-fixed-16-6'."""
    v = variant
    if v[:1] in "+-" and v:
        v = ("pos" if v[0] == "+" else "neg") + v[1:]
    v = v.replace("<-", "<neg")
    return "-".join(part for part in re.split(r"[^0-9A-Za-z]+", v) if part)


def schedule(seed: int) -> list[tuple[str, str]]:
    """Every (kind, variant) pair once, in a seeded order."""
    pairs = [(kind, v) for kind, variants, _ in KINDS for v in variants]
    random.Random(seed).shuffle(pairs)
    return pairs


def generate(n: int, seed: int = 0) -> list[Mutant]:
    """`n` mutants from `seed`; mutant i is the same for every n > i."""
    pairs = schedule(seed)
    makers = {kind: fn for kind, _, fn in KINDS}
    out: list[Mutant] = []
    for i in range(n):
        kind, variant = pairs[i % len(pairs)]
        rng = random.Random(f"{seed}:{i}")
        spec = makers[kind](rng, variant)
        slug = _slug(variant)
        mid = f"{kind}-{slug}-{i:03d}" if slug else f"{kind}-{i:03d}"
        out.append(Mutant(id=mid, kind=kind, **spec))
    return out
