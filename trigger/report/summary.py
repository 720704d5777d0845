"""Assemble report.json from the stage results; every figure names its source."""

from __future__ import annotations

from trigger import __version__
from trigger.hls import layer_table

RESOURCES_LATER = "no synthesis or Vitis report in this version; da4ml's own estimate is in rtl.estimate"


def latency_block(cosim: dict, budget: float, budget_source: str, skipped: str) -> dict:
    """Latency measured by co-simulation, against the budget."""
    if cosim.get("latency_cycles") is None:
        reason = cosim.get("skipped") or cosim.get("error") or skipped
        return {"skipped": f"no co-simulation ({reason})", "budget_ns": budget, "budget_source": budget_source}
    ns = cosim["latency_ns"]
    return {
        "cycles": cosim["latency_cycles"],
        "ns": ns,
        "clock_ns": cosim["clock_ns"],
        "ii_cycles": cosim["ii_cycles"],
        "budget_ns": budget,
        "budget_source": budget_source,
        "within_budget": ns <= budget,
        "source": "cosim",
    }


def build_report(ctx) -> dict:
    """report.json content (keys per DESIGN.md)."""
    src, opts = ctx.source, ctx.opts
    model: dict = {"name": src.name, "source": src.kind, "file": src.path.name, "sha256": src.sha256}
    if ctx.hls_model is not None:
        model["inputs"] = [list(v.shape) for v in ctx.hls_model.get_input_variables()]
        model["outputs"] = [list(v.shape) for v in ctx.hls_model.get_output_variables()]
        model["layers"] = layer_table(ctx.hls_model)
    budget = opts.latency_budget_ns if opts.latency_budget_ns is not None else opts.part.budget_ns
    stopped = f"--stop-after {opts.stop_after}" if opts.stop_after else "not run"
    budget_source = opts.part.budget_source if opts.latency_budget_ns is None else "--latency-budget-ns"
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
        "latency": latency_block(ctx.blocks.get("cosim", {}), budget, budget_source, stopped),
        "resources": ctx.blocks.get("resources", {"skipped": RESOURCES_LATER, "part_totals": opts.part.totals()}),
        "timings_s": dict(ctx.clock.seconds),
        "verdict": {"passed": not ctx.failures, "failures": list(ctx.failures)},
    }
