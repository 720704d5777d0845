"""Project reports: report.json (the contract in DESIGN.md), report.md, plots/ and manifest.json."""

from __future__ import annotations

import json
from pathlib import Path

from trigger.errors import InputError
from trigger.manifest import build_manifest
from trigger.report.latency import LATENCY_FAILURE_PREFIX, budget_failure, latency_block
from trigger.report.markdown import render_markdown
from trigger.report.plots import write_plots
from trigger.report.resources import RESOURCE_FAILURE_PREFIX, fits_failure, resources_block
from trigger.report.summary import build_report
from trigger.report.vitis import SOURCE as VITIS
from trigger.report.vitis import vitis_block, vitis_failures
from trigger.targets import resolve_part

COSIM_FAILURE_PREFIX = "co-simulation"
DERIVED_PREFIXES = (LATENCY_FAILURE_PREFIX, RESOURCE_FAILURE_PREFIX, VITIS)  # verdicts recomputed from the blocks


def write_json(path: Path, data: dict) -> None:
    """Stable, readable JSON."""
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def refresh(report: dict, project: Path) -> list[str]:
    """Recompute latency, resources and the Vitis block from the stage results and DIR/hls/.

    The verdict's derived failures (latency over budget, does not fit, and the same from Vitis
    reports) are replaced; the stage failures (emulation, RTL, co-simulation, synthesis) are kept.
    Returns the derived failures.
    """
    part = resolve_part(report["target"]["part"])
    totals = part.totals()
    lat = report["latency"]
    allow = bool(lat.get("allow_over_budget", False))
    report["latency"] = latency_block(
        report["cosim"], report["rtl"], lat["budget_ns"], lat["budget_source"], allow, "not run"
    )
    report["resources"] = resources_block(report.get("synth", {}), report["rtl"], totals)
    report["vitis_report"] = vitis_block(project / "hls", totals, lat["budget_ns"])
    derived = [budget_failure(report["latency"]), fits_failure(report["resources"], part.short)]
    derived = [f for f in derived if f] + vitis_failures(report["vitis_report"], part.short, allow)
    kept = [f for f in report["verdict"]["failures"] if not f.startswith(DERIVED_PREFIXES)]
    failures = kept + derived
    report["verdict"] = {"passed": not failures, "failures": failures}
    return derived


def write_outputs(report: dict, project: Path) -> None:
    """plots/, report.json and report.md from one report dictionary."""
    report["plots"] = write_plots(report, project)
    write_json(project / "report.json", report)
    (project / "report.md").write_text(render_markdown(report))


def write_all(ctx) -> None:
    """Write report.json, report.md, plots/ and manifest.json into the project directory.

    The verdict's derived failures are added to `ctx.failures`.
    """
    report = build_report(ctx)
    ctx.failures.extend(refresh(report, ctx.workdir))
    write_outputs(report, ctx.workdir)
    manifest = build_manifest(ctx.source, ctx.opts.to_dict(), ctx.hls_config or {}, ctx.clock.seconds)
    write_json(ctx.workdir / "manifest.json", manifest)


def load_report(project: Path) -> dict:
    """report.json of a trigger-compile project (InputError when it is not one)."""
    path = project / "report.json"
    if not path.is_file():
        raise InputError(f"{project}: no report.json; not a trigger-compile project.")
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc}).") from None


def update_block(project: Path, name: str, block: dict, prefix: str) -> list[str]:
    """Replace one stage's block (`cosim`, `synth`) and its failures, then refresh and rewrite the report.

    Returns the failures of that stage plus the derived ones.
    """
    report = load_report(project)
    report[name] = block
    own = list(block.get("failures", []))
    report["verdict"]["failures"] = [f for f in report["verdict"]["failures"] if not f.startswith(prefix)] + own
    derived = refresh(report, project)
    write_outputs(report, project)
    return own + derived


def update_cosim(project: Path, cosim: dict) -> list[str]:
    """A re-run co-simulation replaces the cosim block; latency and the verdict follow."""
    return update_block(project, "cosim", cosim, COSIM_FAILURE_PREFIX)


def regenerate(project: Path) -> dict:
    """trigger-report DIR: re-read DIR/hls/ reports, recompute the derived blocks, rewrite md/json/plots."""
    report = load_report(project)
    refresh(report, project)
    write_outputs(report, project)
    return report
