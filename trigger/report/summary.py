"""Assemble report.json from the stage results; every figure names its source."""

from __future__ import annotations

from trigger import __version__
from trigger.hls import layer_table

RESOURCES_LATER = "no synthesis or Vitis report in this version; da4ml's own estimate is in rtl.estimate"


def build_report(ctx) -> dict:
    """report.json content (keys per DESIGN.md)."""
    src, opts = ctx.source, ctx.opts
    model: dict = {"name": src.name, "source": src.kind, "file": src.path.name, "sha256": src.sha256}
    if ctx.hls_model is not None:
        model["inputs"] = [list(v.shape) for v in ctx.hls_model.get_input_variables()]
        model["outputs"] = [list(v.shape) for v in ctx.hls_model.get_output_variables()]
        model["layers"] = layer_table(ctx.hls_model)
    stopped = opts.not_run_reason
    return {
        "trigger_version": __version__,
        "model": model,
        "target": {
            "part": opts.part.part,
            "device": opts.part.short,
            "family": opts.part.family,
            "clock_ns": opts.clock_ns,
        },
        "hls": {
            "backend": "Vitis",
            "io_type": opts.io_type,
            "strategy": opts.strategy,
            "reuse_factor": opts.reuse_factor,
            "project_dir": "hls",
        }
        if ctx.hls_model is not None
        else {"skipped": stopped},
        "emulation": ctx.blocks.get("emulation", {"skipped": stopped}),
        "rtl": ctx.blocks.get("rtl", {"skipped": stopped}),
        "cosim": ctx.blocks.get("cosim", {"skipped": stopped}),
        "latency": ctx.blocks["latency"],  # set by the report stage (budget verdict)
        "resources": ctx.blocks.get("resources", {"skipped": RESOURCES_LATER, "part_totals": opts.part.totals()}),
        "timings_s": dict(ctx.clock.seconds),
        "verdict": {"passed": not ctx.failures, "failures": list(ctx.failures)},
    }
