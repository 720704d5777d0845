"""Assemble report.json from the stage results; every figure names its source."""

from __future__ import annotations

from trigger import __version__
from trigger.hls import layer_table

NOT_YET = "the open RTL / co-simulation path is not part of this version"


def build_report(ctx) -> dict:
    """report.json content (keys per DESIGN.md)."""
    src, opts = ctx.source, ctx.opts
    model: dict = {"name": src.name, "source": src.kind, "file": src.path.name, "sha256": src.sha256}
    if ctx.hls_model is not None:
        model["inputs"] = [list(v.shape) for v in ctx.hls_model.get_input_variables()]
        model["outputs"] = [list(v.shape) for v in ctx.hls_model.get_output_variables()]
        model["layers"] = layer_table(ctx.hls_model)
    budget = opts.latency_budget_ns if opts.latency_budget_ns is not None else opts.part.budget_ns
    skipped_reason = ctx.blocks.get("stopped") or NOT_YET
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
        else {"skipped": skipped_reason},
        "emulation": ctx.blocks.get("emulation", {"skipped": skipped_reason}),
        "cosim": ctx.blocks.get("cosim", {"skipped": skipped_reason}),
        "latency": ctx.blocks.get(
            "latency",
            {
                "skipped": skipped_reason,
                "budget_ns": budget,
                "budget_source": opts.part.budget_source if opts.latency_budget_ns is None else "--latency-budget-ns",
            },
        ),
        "resources": ctx.blocks.get("resources", {"skipped": skipped_reason, "part_totals": opts.part.totals()}),
        "timings_s": dict(ctx.clock.seconds),
        "verdict": {"passed": not ctx.failures, "failures": list(ctx.failures)},
    }
