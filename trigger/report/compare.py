"""`trigger-report DIR1 DIR2 ...`: one table across projects (e.g. one model at several clocks or precisions)."""

from __future__ import annotations

COLUMNS = (
    "project",
    "model",
    "part",
    "clock ns",
    "input type",
    "latency cycles",
    "latency ns",
    "budget ns",
    "LUT",
    "FF",
    "DSP",
    "resources from",
    "emulation",
    "co-simulation",
    "verdict",
)


def _count(res: dict, key: str) -> str:
    value = res.get(key)
    if value is None:
        return "n/a"
    util = res.get("utilization", {}).get(key)
    return f"{value:,} ({100 * util:.3g}%)" if util is not None else f"{value:,}"


def _emulation(e: dict) -> str:
    if "skipped" in e:
        return "skipped"
    if e.get("mode") == "exact":
        return "bit-exact" if e["bit_exact"] else "MISMATCH"
    return f"approx., argmax {e['argmax_agreement']:.4f}" if e.get("argmax_agreement") is not None else "approx."


def _cosim(c: dict) -> str:
    if "skipped" in c:
        return "skipped"
    if "error" in c:
        return "ERROR"
    return f"{c['mismatches']} mismatches" if c["mismatches"] else "pass"


def row(name: str, r: dict) -> list[str]:
    """One project's cells, in COLUMNS order."""
    lat, res = r["latency"], r["resources"]
    over = "" if lat.get("within_budget", True) else " OVER"
    return [
        name,
        r["model"]["name"],
        r["target"]["device"],
        f"{r['target']['clock_ns']:g}",
        r["emulation"].get("inputs", {}).get("type", "n/a"),
        str(lat.get("cycles", "n/a")),
        f"{lat['ns']:g}{over}" if "ns" in lat else "n/a",
        f"{lat['budget_ns']:g}",
        _count(res, "LUT"),
        _count(res, "FF"),
        _count(res, "DSP"),
        res.get("source", "n/a"),
        _emulation(r["emulation"]),
        _cosim(r["cosim"]),
        "pass" if r["verdict"]["passed"] else "FAIL",
    ]


def comparison_table(reports: list[tuple[str, dict]]) -> str:
    """A Markdown table, one row per (name, report.json content)."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row(name, r)) + " |" for name, r in reports]
    return "\n".join(lines) + "\n"
