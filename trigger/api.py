"""The Python API: `trigger.compile(model, target, out, **options) -> Project`.

For the physicist in a notebook: `model` is a file path, an in-memory Keras/QKeras model or an
`onnx.ModelProto`.  Bad input raises `trigger.InputError`; a failed check raises `trigger.CheckFailed`
carrying the written project (`exc.project`, whose `report` says what failed).  The command line
(`trigger.cli`) is a thin layer over this module.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import CheckFailed, InputError
from trigger.options import CompileOptions
from trigger.targets import resolve_part

_OWN = ("model", "part", "output_dir", "force")  # given as compile()'s own arguments


@dataclass
class Emulated:
    """Outputs of the firmware arithmetic (hls4ml's C simulation) for some inputs.

    `raw`/`real` are taken at the compare point `layer` (the logits when a lookup-table softmax
    ends the network; `real = raw * 2**-frac` of `type`); `final` is the network's own output.
    """

    raw: np.ndarray
    real: np.ndarray
    layer: str
    type: str
    final: np.ndarray


@dataclass
class Project:
    """A trigger-compile project directory and its report."""

    dir: Path
    report: dict
    _context: Any = field(default=None, repr=False)  # the in-process compile, when there was one

    @classmethod
    def open(cls, directory: str | os.PathLike) -> Project:
        """An existing project (written by `trigger.compile` or `trigger-compile`)."""
        from trigger.report import load_report

        directory = Path(directory).resolve()
        return cls(directory, load_report(directory))

    @property
    def passed(self) -> bool:
        return bool(self.report["verdict"]["passed"])

    @property
    def verdict(self) -> dict:
        return self.report["verdict"]

    @property
    def latency(self) -> dict:
        return self.report["latency"]

    @property
    def resources(self) -> dict:
        return self.report["resources"]

    @property
    def emulation(self) -> dict:
        return self.report["emulation"]

    def emulate(self, x: np.ndarray) -> Emulated:
        """Run the firmware arithmetic (hls4ml's C simulation of this project's model) on `x`.

        `x` has shape (N, *input_shape) (or one vector without N); for a model of several inputs, a list of
        one such array per input, or them packed (trigger.input_layout); values are placed on the input
        types' grids as the compile did.  A project compiled in this process reuses its hls4ml model
        (one C++ build in a temporary directory); one opened from disk is rebuilt from its model file
        and configuration (`trigger-regress`'s rebuild).
        """
        shapes = [tuple(s) for s in self.report["model"]["inputs"]]
        x = _packed(x, shapes) if isinstance(x, list | tuple) and len(shapes) > 1 else np.asarray(x)
        one = shapes[0] if len(shapes) == 1 else (sum(int(np.prod(s)) for s in shapes),)
        if tuple(x.shape) == tuple(one):
            x = x[None]  # one vector
        if self._context is not None and self._context.hls_model is not None:
            return _emulate_in_process(self._context, x)
        return _emulate_rebuilt(self.dir, x)


def compile(
    model: str | os.PathLike | Any,
    target: str = "xcvu9p",
    out: str | os.PathLike | None = None,
    *,
    force: bool = False,
    **options: Any,
) -> Project:
    """Compile `model` for the FPGA part `target` into the project directory `out`.

    `out` defaults to `vivado_projects/<model name>`; an existing non-empty directory is replaced only
    with `force=True`.  `options` are `CompileOptions` fields (clock_ns, inputs (a .npy path or an
    array), n_vectors, seed, precision, reuse_factor, strategy, io_type, latency_budget_ns,
    allow_over_budget, allow_approximate, min_agreement, rtl, rtl_levels_per_stage, cosim, simulator,
    synth, stop_after, weights).
    """
    from trigger import pipeline, project

    unknown = sorted(set(options) - (set(CompileOptions.names()) - set(_OWN)))
    if unknown:
        valid = ", ".join(n for n in CompileOptions.names() if n not in _OWN)
        raise InputError(f"unknown option(s) {', '.join(unknown)}; valid options: {valid}.")
    part = resolve_part(str(target))
    name = _model_name(model)
    final = Path(out if out is not None else Path("vivado_projects") / name)
    with ExitStack() as stack:
        inputs = options.pop("inputs", None)
        if inputs is not None and not isinstance(inputs, str | os.PathLike):
            inputs = _array_file(np.asarray(inputs), Path(stack.enter_context(tempfile.TemporaryDirectory())))
        weights = options.pop("weights", None)
        opts = CompileOptions(
            model=Path(model) if isinstance(model, str | os.PathLike) else Path(f"{name}"),
            part=part,
            output_dir=final,
            force=force,
            inputs=Path(inputs) if inputs is not None else None,
            weights=Path(weights) if weights is not None else None,
            **options,
        ).validate()
        reads = (opts.model if isinstance(model, str | os.PathLike) else None, opts.weights, opts.inputs)
        with project.staged(final, force, reads) as workdir:
            if not isinstance(model, str | os.PathLike):
                opts.model = _save_model(model, workdir / "model", name)
            ctx = pipeline.run(opts, workdir)
    result = Project(final.resolve(), _final_report(final.resolve()), ctx)
    if ctx.failures:
        raise CheckFailed("; ".join(ctx.failures), project=result)
    return result


def _final_report(project_dir: Path) -> dict:
    from trigger.report import load_report

    return load_report(project_dir)


def _model_name(model: Any) -> str:
    """A file's stem, or an in-memory model's own name made safe for a directory and a C++ identifier."""
    if isinstance(model, str | os.PathLike):
        return Path(model).stem
    if _is_onnx(model):
        name = model.graph.name
    elif _is_keras(model):
        name = model.name
    else:
        raise InputError(f"model must be a file path, a Keras model or an onnx.ModelProto; got {type(model).__name__}.")
    return re.sub(r"[^A-Za-z0-9_]", "_", name or "model").strip("_") or "model"


def _is_onnx(model: Any) -> bool:
    return type(model).__name__ == "ModelProto" and hasattr(model, "graph")


def _is_keras(model: Any) -> bool:
    return all(hasattr(model, a) for a in ("layers", "to_json", "save", "get_weights"))


def _save_model(model: Any, directory: Path, name: str) -> Path:
    """Write an in-memory model into the project (DIR/model/), so the project can be rebuilt from it."""
    directory.mkdir(parents=True, exist_ok=True)
    if _is_onnx(model):
        import onnx

        path = directory / f"{name}.onnx"
        onnx.save(model, str(path))
        return path
    path = directory / f"{name}.h5"
    try:
        model.save(str(path), save_format="h5")
    except Exception as exc:
        raise InputError(f"Keras model '{model.name}': cannot be saved as .h5 ({exc}).") from exc
    return path


def _array_file(x: np.ndarray, directory: Path) -> Path:
    """An in-memory `inputs` array as a .npy file for the vectors stage (which checks it)."""
    path = directory / "inputs.npy"
    try:
        np.save(path, x, allow_pickle=False)
    except ValueError as exc:
        raise InputError(f"inputs: an array of {x.dtype} cannot be used as input vectors ({exc}).") from exc
    return path


def _packed(xs, shapes: list[tuple[int, ...]]) -> np.ndarray:
    """One array per input (each (N, *shape), or one vector) packed side by side (trigger.input_layout)."""
    if len(xs) != len(shapes):
        raise InputError(f"Project.emulate(x): {len(xs)} arrays for the model's {len(shapes)} inputs.")
    flat = []
    for k, (a, shape) in enumerate(zip(xs, shapes, strict=True)):
        a = np.asarray(a)
        a = a[None] if tuple(a.shape) == shape else a
        if tuple(a.shape[1:]) != shape:
            raise InputError(f"Project.emulate(x): input {k} has shape {a.shape}; the model expects (N, {shape}).")
        flat.append(a.reshape(len(a), -1))
    if len({len(a) for a in flat}) > 1:
        raise InputError(f"Project.emulate(x): the inputs hold different numbers of vectors {[len(a) for a in flat]}.")
    return np.concatenate(flat, axis=1)


def _on_grid(ctx, x: np.ndarray) -> np.ndarray:
    """Packed inputs `x` as float64 on the input types' grids (as the compile's vectors were)."""
    from trigger import vectors

    layout = ctx.layout
    x = vectors.checked(np.asarray(x), layout.row_shape, "Project.emulate(x)")
    return vectors.place(x, layout, "Project.emulate(x)").x


def _emulate_in_process(ctx, x: np.ndarray) -> Emulated:
    from trigger.csim import run_csim
    from trigger.fixed import from_hls_precision

    x = np.ascontiguousarray(_on_grid(ctx, x), dtype=np.float64)
    hm, point = ctx.hls_model, ctx.point
    saved = hm.config.config["OutputDir"]
    with tempfile.TemporaryDirectory(prefix="trigger-emulate-") as tmp:
        hm.config.config["OutputDir"] = tmp  # never rebuild inside the project's own hls/
        try:
            final, trace = run_csim(hm, ctx.layout.hls_feed(x))
        finally:
            hm.config.config["OutputDir"] = saved
    n = len(x)
    real = point.ftype.from_hls_values(trace[point.layer]).reshape(n, -1)
    out_type = from_hls_precision(list(hm.get_layers())[-1].get_output_variable().type.precision)
    return Emulated(
        raw=point.ftype.to_raw(real)[0],
        real=real,
        layer=point.layer,
        type=str(point.ftype),
        final=out_type.from_hls_values(final).reshape(n, -1),
    )


def _emulate_rebuilt(project_dir: Path, x: np.ndarray) -> Emulated:
    from trigger.regress.rebuild import model_file, rebuild

    rebuilt = rebuild(project_dir, model_file(project_dir, None), x)
    raw = rebuilt.emulation_raw
    return Emulated(
        raw=raw,
        real=rebuilt.output_type.from_raw(raw),
        layer=rebuilt.layer,
        type=str(rebuilt.output_type),
        final=rebuilt.final,
    )
