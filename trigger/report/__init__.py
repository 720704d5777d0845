"""Project reports: report.json (the contract in docs/report-json.md), report.md, plots/ and manifest.json."""

from __future__ import annotations

import json
import math
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
    """Stable, readable, standard JSON: a NaN or Infinity anywhere is refused (ValueError naming where)."""
    bad = non_finite(data)
    if bad:
        where = ", ".join(f"{_dotted(keys)} = {value}" for keys, value in bad[:5])
        raise ValueError(f"{path.name}: non-finite figures cannot be written as standard JSON: {where}.")
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str, allow_nan=False) + "\n")


Keys = tuple[str | int, ...]


def non_finite(data, keys: Keys = ()) -> list[tuple[Keys, float]]:
    """(key path, value) of every NaN/Infinity float in a JSON-like structure."""
    if isinstance(data, float):
        return [] if math.isfinite(data) else [(keys, data)]
    if isinstance(data, dict):
        return [hit for k, v in data.items() for hit in non_finite(v, (*keys, k))]
    if isinstance(data, list | tuple):
        return [hit for i, v in enumerate(data) for hit in non_finite(v, (*keys, i))]
    return []


def _dotted(keys: Keys) -> str:
    return "".join(f"[{k}]" if isinstance(k, int) else (f".{k}" if i else str(k)) for i, k in enumerate(keys))


def null_non_finite(report: dict) -> None:
    """Replace every NaN/Infinity figure by null, with `<key>_null_reason` beside it and a report warning.

    The stages are meant never to produce one (the emulation refuses non-finite values); this keeps
    report.json standard JSON, and says so, if one slips through.
    """
    found = non_finite(report)
    for keys, value in found:
        parent = report
        for k in keys[:-1]:
            parent = parent[k]
        if isinstance(parent, tuple):  # tuples are not built by the stages; JSON writes them as lists anyway
            continue
        parent[keys[-1]] = None
        if isinstance(parent, dict):
            parent[f"{keys[-1]}_null_reason"] = f"the computed value was {value}, which JSON cannot hold"
    report.setdefault("warnings", []).extend(f"{_dotted(keys)} was {value}; written as null." for keys, value in found)


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
    null_non_finite(report)
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
