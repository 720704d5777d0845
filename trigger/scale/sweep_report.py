"""The outputs of `trigger-sweep`: sweep.json (one row per point), sweep.md (the table a person reads) and
sweep.png (latency against LUT, the Pareto-optimal points joined), each written atomically."""

from __future__ import annotations

import json
import os
from pathlib import Path

from matplotlib.figure import Figure

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
REUSE_NOTE = (
    "reuse_factor (and strategy) change the hls4ml project in `hls/` only: the RTL trigger builds, co-simulates "
    "and synthesises is fully parallel (II = 1) whatever the reuse factor, so its latency and yosys/estimate "
    "resources are identical across reuse factors; a reuse factor shows in resources only in `vitis-report` "
    "figures, after a user runs Vitis HLS in a point's `hls/`."
)


def pareto_front(points: list[tuple[float | None, float | None]]) -> list[int]:
    """Indices of the points no other point dominates when both coordinates are minimised (a point with a None
    coordinate takes no part). Equal points do not dominate each other: both are on the front."""
    valid = [(i, x, y) for i, (x, y) in enumerate(points) if x is not None and y is not None]
    return [i for i, x, y in valid if not any(x2 <= x and y2 <= y and (x2 < x or y2 < y) for _, x2, y2 in valid)]


def front_of(rows: list[dict]) -> list[int]:
    """Pareto front of latency ns against LUT over the points that passed every check."""
    return pareto_front(
        [(r.get("latency_ns"), r.get("LUT")) if r.get("verdict") == "pass" else (None, None) for r in rows]
    )


def _atomic_write(path: Path, write) -> None:
    """Call write(temporary path) beside `path`, then rename it into place."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: Path, summary: dict) -> None:
    _atomic_write(path, lambda tmp: tmp.write_text(json.dumps(summary, indent=2) + "\n"))


# --- Markdown -----------------------------------------------------------------------------------------------------


def _config_cells(row: dict, keys: list[str]) -> list[str]:
    return [f"{row['config'][k]:g}" if k == "clock_ns" else str(row["config"][k]) for k in keys]


def _count(row: dict, key: str) -> str:
    value = row.get(key)
    if value is None:
        return "n/a"
    pct = row.get("utilization_pct", {}).get(key)
    text = f"{value:,}" if float(value).is_integer() else f"{value:,.1f}"  # BRAM counts halves (RAMB18)
    text = text.removesuffix(".0")
    return f"{text} ({pct:.3g}%)" if pct is not None else text


def _exactness(row: dict) -> str:
    exact = {True: "bit-exact", False: "MISMATCH", None: "n/a"}[row.get("bit_exact")]
    cosim = row.get("cosim")
    if cosim == "run":
        mism = row.get("cosim_mismatches")
        return f"{exact}; cosim {'n/a' if mism is None else mism} mismatches"
    return f"{exact}; cosim {cosim or 'n/a'}"


def _cell(value, fmt: str = "{}") -> str:
    return "n/a" if value is None else fmt.format(value)


def markdown(summary: dict) -> str:
    """sweep.md: what was swept, the table (Pareto-optimal points starred), the failed points and notes."""
    s, rows, keys = summary["sweep"], summary["rows"], summary["sweep"]["keys"]
    counts = summary["counts"]
    lines = [
        f"# Sweep: {Path(s['model']).name} on {s['target']}",
        "",
        f"{counts['points']} points ({' x '.join(f'{k} {len(v)}' for k, v in s['grid'].items())}); "
        f"compiled now {counts['compiled']}, from a previous run {counts['cached']}; "
        f"passed {counts['passed']}, failed {counts['failed']}. "
        f"Options of every point: --n-vectors {s['options']['n_vectors']}"
        + (", --no-synth (resources: alkaid's estimate)" if s["options"]["no_synth"] else ", yosys synthesis")
        + ". Pareto-optimal (latency ns, LUT; among passing points): *.",
        "",
    ]
    head = ["", *keys, "exit", "verdict", "cycles", "latency ns", "LUT", "FF", "DSP", "BRAM", "from", "exactness"]
    head += ["wall s", "point"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        cells = ["*" if row.get("pareto") else "", *_config_cells(row, keys)]
        cells += [_cell(row.get("exit_code")), row.get("verdict", "pending"), _cell(row.get("latency_cycles"))]
        cells += [_cell(row.get("latency_ns"), "{:g}"), *(_count(row, k) for k in ("LUT", "FF", "DSP", "BRAM"))]
        source = (row.get("resources_source") or "n/a") + (" (cache)" if row.get("synth_cached") else "")
        cells += [source, _exactness(row), _cell(row.get("wall_s"), "{:.1f}")]
        cells += [f"`{row['project']}`"]
        lines.append("| " + " | ".join(cells) + " |")
    failed = [r for r in rows if r.get("verdict") not in ("pass", None)]
    if failed:
        lines += ["", "## Failed points", ""]
        for r in failed:
            label = ", ".join(f"{k}={c}" for k, c in zip(keys, _config_cells(r, keys), strict=True))
            lines.append(f"- {label}: exit {r['exit_code']} ({r['verdict']}): {r.get('reason') or 'no reason given'}")
    lines += ["", "## Notes", "", f"- {REUSE_NOTE}"]
    if any(r.get("synth_cached") for r in rows):
        lines.append(
            "- `yosys (cache)`: the point's RTL equals one synthesised before (here, the same clock and precision "
            "at another reuse factor, or an earlier run), so yosys's result came from the synthesis cache and its "
            "wall time is the compile without synthesis."
        )
    lines.append("- Latency: co-simulated cycles x clock (`cosim`); resources: `from` names the figures' source.")
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, summary: dict) -> None:
    text = markdown(summary)
    _atomic_write(path, lambda tmp: tmp.write_text(text))


# --- the Pareto plot ----------------------------------------------------------------------------------------------


def _styles(rows: list[dict]) -> tuple[dict, dict]:
    """Marker per clock and colour per precision, in the order they first appear."""
    from matplotlib import colormaps

    clocks = list(dict.fromkeys(r["config"]["clock_ns"] for r in rows))
    precisions = list(dict.fromkeys(r["config"]["precision"] for r in rows))
    colours = colormaps["tab10"]
    return (
        {c: MARKERS[i % len(MARKERS)] for i, c in enumerate(clocks)},
        {p: colours(i % 10) for i, p in enumerate(precisions)},
    )


def _short_reason(row: dict, model: str, width: int) -> str:
    """The reason without the model path trigger-compile puts in front, cut to `width` characters."""
    text = (row.get("reason") or "").removeprefix(f"{model}: ")
    return text if len(text) <= width else text[: width - 3] + "..."


def _caption(summary: dict) -> str:
    """Under the plot: coinciding points, then the failed points (at most 8; all of them are in sweep.md)."""
    s = summary["sweep"]
    keys = s["keys"]
    lines = []
    same_rtl = [k for k in ("reuse_factor", "strategy") if len(s["grid"].get(k, [])) > 1]
    if same_rtl:
        lines.append(f"points differing only in {' or '.join(same_rtl)} coincide (same RTL; see sweep.md)")
    failed = [r for r in summary["rows"] if r.get("verdict") not in ("pass", None)]
    for r in failed[:8]:
        label = ", ".join(f"{k}={c}" for k, c in zip(keys, _config_cells(r, keys), strict=True))
        lines.append(f"failed: {label} (exit {r['exit_code']}: {_short_reason(r, s['model'], 150 - len(label))})")
    if len(failed) > 8:
        lines.append(f"... and {len(failed) - 8} more failed points (sweep.md)")
    return "\n".join(lines)


def plot(summary: dict, path: Path) -> None:
    """Latency ns against LUT: marker by clock, colour by precision; the Pareto front joined and ringed; points
    that failed a check but have figures hollow; failed points listed under the plot."""
    rows = summary["rows"]
    drawn = [r for r in rows if r.get("latency_ns") is not None and r.get("LUT") is not None]
    markers, colours = _styles(drawn)
    caption = _caption(summary)
    n_lines = caption.count("\n") + 1 if caption else 0
    height = 5.0 + 0.17 * n_lines
    fig = Figure(figsize=(9, height))
    ax = fig.subplots()
    for r in drawn:
        clock, prec = r["config"]["clock_ns"], r["config"]["precision"]
        ok = r["verdict"] == "pass"
        ax.scatter(
            r["latency_ns"],
            r["LUT"],
            marker=markers[clock],
            s=70,
            facecolors=colours[prec] if ok else "none",
            edgecolors=colours[prec],
            linewidths=1.5,
            zorder=3,
        )
    front = sorted((r for r in drawn if r.get("pareto")), key=lambda r: (r["latency_ns"], r["LUT"]))
    if front:
        ax.step(
            [r["latency_ns"] for r in front], [r["LUT"] for r in front], where="post", color="black", lw=1, zorder=2
        )
        ax.scatter(
            [r["latency_ns"] for r in front],
            [r["LUT"] for r in front],
            s=220,
            facecolors="none",
            edgecolors="black",
            zorder=4,
            label="Pareto-optimal (passing points)",
        )
    for clock, m in markers.items():
        ax.scatter([], [], marker=m, color="gray", label=f"clock {clock:g} ns")
    for prec, c in colours.items():
        ax.scatter([], [], marker="s", color=c, label=prec)
    if any(r["verdict"] != "pass" for r in drawn):
        ax.scatter([], [], marker="o", facecolors="none", edgecolors="gray", label="failed a check (exit 3)")
    if drawn:
        ax.legend(fontsize=8, loc="best")
    else:
        ax.text(0.5, 0.5, "no point has latency and LUT figures", ha="center", transform=ax.transAxes)
    ax.set_xlabel("latency [ns] (co-simulated cycles x clock)")
    sources = sorted({r["resources_source"] for r in drawn if r.get("resources_source")})
    ax.set_ylabel(f"LUT ({', '.join(sources) or 'n/a'})")
    s = summary["sweep"]
    ax.set_title(f"{Path(s['model']).name} on {s['target']}: {summary['counts']['points']} points", fontsize=10)
    ax.grid(alpha=0.3)
    bottom = (0.1 + 0.16 * n_lines) / height if caption else 0
    if caption:
        fig.text(0.01, 0.01, caption, fontsize=7, va="bottom", ha="left", color="tab:red")
    fig.tight_layout(rect=(0, bottom, 1, 1))
    _atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110))


def write_outputs(out: Path, summary: dict) -> list[Path]:
    """sweep.json, sweep.md and sweep.png in `out`."""
    paths = [out / "sweep.json", out / "sweep.md", out / "sweep.png"]
    write_json(paths[0], summary)
    write_markdown(paths[1], summary)
    plot(summary, paths[2])
    return paths
