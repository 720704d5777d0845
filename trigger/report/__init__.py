"""Project reports: report.json (the contract in DESIGN.md), report.md and manifest.json."""

from __future__ import annotations

import json
from pathlib import Path

from trigger.manifest import build_manifest
from trigger.report.latency import LATENCY_FAILURE_PREFIX, budget_failure, latency_block
from trigger.report.markdown import render_markdown
from trigger.report.summary import build_report

COSIM_FAILURE_PREFIX = "co-simulation"


def write_json(path: Path, data: dict) -> None:
    """Stable, readable JSON."""
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_all(ctx) -> None:
    """Write report.json, report.md and manifest.json into the project directory."""
    report = build_report(ctx)
    write_json(ctx.workdir / "report.json", report)
    (ctx.workdir / "report.md").write_text(render_markdown(report))
    manifest = build_manifest(ctx.source, ctx.opts.to_dict(), ctx.hls_config or {}, ctx.clock.seconds)
    write_json(ctx.workdir / "manifest.json", manifest)


def update_cosim(project: Path, cosim: dict) -> list[str]:
    """Replace report.json's cosim and latency blocks and the verdict's co-simulation and budget failures.

    report.md is re-rendered from the result.  Returns the failures of this co-simulation (its own
    and a latency over the budget).
    """
    path = project / "report.json"
    report = json.loads(path.read_text())
    report["cosim"] = cosim
    old = report["latency"]
    allow = bool(old.get("allow_over_budget", False))
    report["latency"] = latency_block(
        cosim, report.get("rtl", {}), old["budget_ns"], old["budget_source"], allow, "not run"
    )
    prefixes = (COSIM_FAILURE_PREFIX, LATENCY_FAILURE_PREFIX)
    over = budget_failure(report["latency"])
    new = [*cosim.get("failures", []), *([over] if over else [])]
    failures = [f for f in report["verdict"]["failures"] if not f.startswith(prefixes)] + new
    report["verdict"] = {"passed": not failures, "failures": failures}
    write_json(path, report)
    (project / "report.md").write_text(render_markdown(report))
    return new
