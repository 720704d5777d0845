"""Assemble report.json from the stage results; every figure names its source."""

from __future__ import annotations

from trigger import __version__, environments
from trigger.hls import layer_table


def build_report(ctx) -> dict:
    """report.json content (keys per docs/report-json.md)."""
    src, opts = ctx.source, ctx.opts
    model: dict = {"name": src.name, "source": src.kind, "file": src.path.name, "sha256": src.sha256}
    if getattr(src, "rewrites", None):  # ONNX forms rewritten for hls4ml (trigger/frontends/onnx_canon*.py)
        model["rewrites"] = list(src.rewrites)
    if getattr(src, "renamed", None):  # Keras layers renamed around hls4ml's reserved names
        model["renamed_layers"] = dict(src.renamed)
    if ctx.hls_model is not None:
        model["inputs"] = [list(v.shape) for v in ctx.hls_model.get_input_variables()]
        model["outputs"] = [list(v.shape) for v in ctx.hls_model.get_output_variables()]
        model["layers"] = layer_table(ctx.hls_model)
    stopped = opts.not_run_reason
    return {
        "trigger_version": __version__,
        "model": model,
        "environment": environments.describe(),
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
        "synth": ctx.blocks.get("synth", {"skipped": stopped}),
        "latency": _budget(opts),  # completed from cosim by report.refresh
        "resources": {},  # from synth (or the RTL estimate) by report.refresh
        "vitis_report": {},  # from DIR/hls/ by report.refresh
        "timings_s": dict(ctx.clock.seconds),
        "warnings": list(getattr(ctx, "warnings", [])),  # e.g. parameters their type cannot hold (representable.py)
        "verdict": {"passed": not ctx.failures, "failures": list(ctx.failures)},
    }


def _budget(opts) -> dict:
    """The latency budget this compile was asked to meet."""
    explicit = opts.latency_budget_ns is not None
    return {
        "budget_ns": opts.latency_budget_ns if explicit else opts.part.budget_ns,
        "budget_source": "--latency-budget-ns" if explicit else opts.part.budget_source,
        "allow_over_budget": opts.allow_over_budget,
    }
