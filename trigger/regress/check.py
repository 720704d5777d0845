"""`trigger-regress record` and `check`: golden vectors recorded from, and compared with, a rebuilt emulation."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from trigger.errors import CheckFailed
from trigger.manifest import tool_versions
from trigger.regress import golden as gold
from trigger.regress.diff import table
from trigger.regress.rebuild import configuration, model_file, rebuild

TOOLS = ("trigger", "hls4ml", "qkeras", "qonnx", "alkaid", "numpy")


def _tools() -> dict:
    versions = tool_versions()
    return {k: versions.get(k) for k in TOOLS}


def record(project: Path, inputs: Path | None = None, model: Path | None = None) -> list[Path]:
    """Rebuild the emulation on `inputs` (default: the project's own vectors) and store its raw outputs."""
    project = project.resolve()
    source = model_file(project, model)
    rb = rebuild(project, source, inputs.resolve() if inputs else project / "vectors" / "inputs.npy")
    if rb.failures:
        raise CheckFailed(
            "the rebuilt emulation fails its own checks, golden vectors not recorded: " + "; ".join(rb.failures)
        )
    index = {
        "model": {"path": Path(os.path.relpath(source, project)).as_posix(), "sha256": rb.model_sha256},
        "configuration": configuration(project),
        "tools": _tools(),
        "n_vectors": int(len(rb.inputs_raw)),
        "note": "raw integers: value = raw x 2^-frac of the type; outputs at the compared layer (C simulation)",
    }
    return gold.write(
        project, gold.Golden(rb.inputs_raw, rb.emulation_raw, rb.input_layout, rb.output_type, rb.layer, index)
    )


@dataclass
class CheckResult:
    """Outcome of one golden check; `message()` is what a person reads."""

    project: Path
    n_vectors: int
    failures: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def message(self) -> str:
        head = f"{self.project}: " + (
            f"{self.n_vectors} golden vectors, bit-exact" if self.passed else "; ".join(self.failures)
        )
        return "\n\n".join([head, *self.tables, *(f"note: {n}" for n in self.notes)])


def _changes(g: gold.Golden, project: Path, model_sha: str) -> list[str]:
    notes = []
    if model_sha != g.index["model"]["sha256"]:
        notes.append(
            f"the model file changed since recording (sha256 {g.index['model']['sha256'][:12]} -> {model_sha[:12]})"
        )
    now = configuration(project)
    changed = [f"{k}: {v!r} -> {now.get(k)!r}" for k, v in g.index["configuration"].items() if now.get(k) != v]
    if changed:
        notes.append("configuration changed since recording: " + ", ".join(changed))
    tools = _tools()
    moved = [f"{k} {v} -> {tools.get(k)}" for k, v in g.index.get("tools", {}).items() if tools.get(k) != v]
    if moved:
        notes.append("tool versions changed since recording: " + ", ".join(moved))
    return notes


def check(project: Path, cosim: bool = False, simulator: str = "verilator", model: Path | None = None) -> CheckResult:
    """Rebuild the emulation (and with `cosim` the RTL co-simulation) on the golden inputs; compare exactly."""
    project = project.resolve()
    g = gold.read(project)
    source = model_file(project, model, g.index["model"]["path"])
    rb = rebuild(project, source, g.inputs, cosim, simulator)
    result = CheckResult(project, len(g.inputs_raw), notes=_changes(g, project, rb.model_sha256))
    result.failures += [f"the rebuilt design fails its own check: {f}" for f in rb.failures]
    if (rb.layer, str(rb.output_type)) != (g.output_layer, str(g.output_type)):
        result.failures.append(
            f"the compared output is now {rb.layer} {rb.output_type}, golden vectors hold {g.output_layer} "
            f"{g.output_type}; re-record if the change is intended"
        )
        return result
    got = {"emulation (C simulation)": rb.emulation_raw}
    if rb.cosim_raw is not None:
        got["RTL co-simulation"] = rb.cosim_raw
    elif rb.cosim_layer is not None:
        result.notes.append(
            f"the RTL ends at {rb.cosim_layer}, past the golden outputs' {g.output_layer}: its co-simulation was "
            f"checked against the rebuilt C simulation at {rb.cosim_layer}, which is compared with the golden outputs"
        )
    for what, raw in got.items():
        if raw.shape != g.outputs_raw.shape:
            result.failures.append(f"{what} gives shape {raw.shape}, golden {g.outputs_raw.shape}")
        elif not np.array_equal(raw, g.outputs_raw):
            result.failures.append(f"{what} differs from the golden outputs")
            result.tables.append(table(g.outputs_raw, raw, g.output_type, what))
    return result
