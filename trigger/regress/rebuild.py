"""Rebuild a project's emulation (and optionally its RTL co-simulation) on given inputs, from its model file
and its recorded configuration (DIR/manifest.json), with the tools installed now."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trigger.errors import InputError
from trigger.fixed import FixedType
from trigger.input_layout import InputLayout
from trigger.options import CompileOptions
from trigger.targets import resolve_part

CONFIG_KEYS = ("part", "clock_ns", "precision", "reuse_factor", "strategy", "io_type", "rtl_levels_per_stage")


@dataclass
class Rebuilt:
    """Raw outputs at the compare point, from the C simulation and (optionally) the co-simulated RTL."""

    emulation_raw: np.ndarray
    layer: str
    output_type: FixedType
    input_layout: InputLayout
    inputs_raw: np.ndarray
    model_sha256: str
    cosim_raw: np.ndarray | None = None  # the RTL's outputs, when the RTL ends at the compare point
    cosim_layer: str | None = None  # the layer the co-simulated RTL ends at (checked there by the cosim stage)
    failures: list[str] = field(default_factory=list)
    final: np.ndarray | None = None  # the C simulation's network output (real values), (N, outputs)


def manifest(project: Path) -> dict:
    """DIR/manifest.json (InputError when DIR is not a trigger-compile project)."""
    path = project / "manifest.json"
    if not path.is_file():
        raise InputError(f"{project}: no manifest.json; not a trigger-compile project.")
    return json.loads(path.read_text())


def configuration(project: Path) -> dict:
    """The options that shape the arithmetic, as the project was compiled."""
    options = manifest(project)["options"]
    return {k: options.get(k) for k in CONFIG_KEYS}


def model_file(project: Path, override: Path | None, recorded: str | None = None) -> Path:
    """The model to rebuild from: `--model`, else the manifest's path, else the golden index's (relative to DIR)."""
    if override is not None:
        if not override.is_file():
            raise InputError(f"{override}: no such model file (--model).")
        return override.resolve()
    m = manifest(project)
    candidates = [Path(p) for p in (m["model"].get("path"), m["options"].get("model")) if p]
    if recorded:
        candidates.append(project / recorded)
    for c in candidates:
        if c.is_file():
            return c.resolve()
    tried = ", ".join(str(c) for c in candidates) or "nothing recorded"
    raise InputError(f"{project}: the model file is not found (tried {tried}); pass --model PATH.")


def rebuild(
    project: Path, model: Path, inputs: np.ndarray | Path, cosim: bool = False, simulator: str = "verilator"
) -> Rebuilt:
    """Run load -> hls -> emulate (-> rtl -> cosim) into a temporary directory with `inputs` as the vectors
    (a packed array, or a user's .npy/.npz file, which error messages then name)."""
    from trigger import pipeline

    o = manifest(project)["options"]
    weights = Path(o["weights"]) if o.get("weights") else None
    with tempfile.TemporaryDirectory(prefix="trigger-regress-") as tmp:
        work = Path(tmp) / "project"
        work.mkdir()
        if not isinstance(inputs, Path):
            np.save(Path(tmp) / "inputs.npy", inputs)
            inputs = Path(tmp) / "inputs.npy"
        opts = CompileOptions(
            model=model,
            part=resolve_part(o["part"]),
            output_dir=work,
            weights=weights if weights and weights.is_file() else None,
            clock_ns=float(o["clock_ns"]),
            inputs=inputs,
            precision=o["precision"],
            reuse_factor=int(o["reuse_factor"]),
            strategy=o["strategy"],
            io_type=o["io_type"],
            allow_over_budget=True,  # latency is not what is being checked
            rtl=cosim,
            rtl_levels_per_stage=o.get("rtl_levels_per_stage"),
            cosim=cosim,
            simulator=simulator,
            synth=False,
            stop_after="cosim" if cosim else "emulate",
        )
        ctx = pipeline.run(opts, work)
        n = len(ctx.inputs)
        out = Rebuilt(
            np.asarray(ctx.expected_raw).reshape(n, -1),
            ctx.point.layer,
            ctx.point.ftype,
            ctx.layout,
            ctx.layout.to_raw(ctx.inputs)[0],
            ctx.source.sha256,
            failures=list(ctx.failures),
            final=np.load(work / "vectors" / "emulation_output.npy").reshape(n, -1),
        )
        rtl_out = work / "cosim" / "outputs_raw.npy"
        if cosim:
            if not rtl_out.is_file():
                reason = ctx.blocks.get("cosim", {}).get("skipped") or ctx.blocks.get("rtl", {}).get("skipped")
                raise InputError(f"{project}: no co-simulation of the rebuilt RTL ({reason}).")
            out.cosim_layer = ctx.blocks["rtl"]["check"]["layer"]
            if out.cosim_layer == ctx.point.layer:  # else the RTL ends at the network output (after a softmax)
                got = np.load(rtl_out)
                if got.size != out.emulation_raw.size:
                    raise InputError(f"{project}: the rebuilt RTL gave {got.shape} outputs for {n} vectors.")
                out.cosim_raw = got.reshape(n, -1)
    return out
