"""The report's plots in DIR/plots/: latency against the budget, resource utilisation, per-layer bit widths."""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

from trigger.fixed import fixed_type_from_str

PLOTS = {
    "latency": "plots/latency.png",
    "resources": "plots/resources.png",
    "bitwidths": "plots/bitwidths.png",
}


def _latency_bars(report: dict) -> list[tuple[str, float, str]]:
    bars = []
    lat = report.get("latency", {})
    if "ns" in lat:
        bars.append((f"RTL, {lat['source']}", lat["ns"], f"{lat['cycles']} cycles x {lat['clock_ns']} ns"))
    cs = report.get("vitis_report", {}).get("csynth", {}).get("latency")
    if cs:
        bars.append(("HLS, vitis-report", cs["ns"], f"{cs['cycles_worst']} cycles x {cs['target_clock_ns']} ns"))
    return bars


def plot_latency(report: dict, path: Path) -> None:
    """Latency of each source against the L1 budget, and where each layer's result is registered."""
    lat = report.get("latency", {})
    layers = lat.get("per_layer") or []
    fig = Figure(figsize=(7.5, 2.2 + 0.28 * len(layers)))
    axes = fig.subplots(2, 1, height_ratios=[1, max(1, len(layers) / 3)]) if layers else [fig.subplots()]
    ax = axes[0]
    bars = _latency_bars(report)
    budget = lat.get("budget_ns")
    if bars:
        ax.barh([b[0] for b in bars], [b[1] for b in bars], color="tab:blue")
        for i, (_, ns, text) in enumerate(bars):
            ax.text(ns, i, f"  {ns:g} ns ({text})", va="center", fontsize=8)
    else:
        ax.text(0.5, 0.5, f"no latency measured ({lat.get('skipped', 'not run')})", ha="center", transform=ax.transAxes)
    if budget:
        ax.axvline(budget, color="tab:red", ls="--", label=f"budget {budget:g} ns")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(0, max([budget or 0, *(b[1] for b in bars)]) * 1.35 or 1)
    ax.set_xlabel("latency [ns]")
    ax.set_title(f"{report['model']['name']} on {report['target']['device']} at {report['target']['clock_ns']} ns")
    if layers:
        clock = lat["clock_ns"]
        lx = axes[1]
        names = [f"{ly['name']} ({ly['type']})" for ly in layers][::-1]
        lx.barh(names, [ly["ready_cycle"] * clock for ly in layers][::-1], color="tab:gray")
        lx.set_xlim(0, lat["ns"] * 1.08)
        lx.set_xlabel(f"result registered after [ns] ({lat.get('per_layer_source', '')})", fontsize=8)
        lx.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def _resource_series(report: dict) -> list[tuple[str, dict]]:
    series = []
    res = report.get("resources", {})
    if "utilization" in res:
        series.append((f"RTL, {res['source']}", res["utilization"]))
        est = res.get("estimate")
        if res["source"] != "estimate" and est:
            totals = res["part_totals"]
            series.append(("RTL, estimate", {k: est[k] / totals[k] for k in ("LUT", "FF")}))
    vitis = report.get("vitis_report", {})
    for kind, label in (("csynth", "HLS, vitis-report (csynth)"), ("vivado_synth", "HLS, vitis-report (Vivado)")):
        if kind in vitis:
            series.append((label, vitis[kind]["resources"]["utilization"]))
    return series


def plot_resources(report: dict, path: Path) -> None:
    """Utilisation of the target part per resource and per source."""
    keys = ["LUT", "FF", "DSP", "BRAM"]
    series = _resource_series(report)
    fig = Figure(figsize=(7.5, 3.2))
    ax = fig.subplots()
    width = 0.8 / max(1, len(series))
    top = 0.0
    for i, (label, util) in enumerate(series):
        xs = [k + (i - (len(series) - 1) / 2) * width for k in range(len(keys))]
        vals = [100 * util[k] if k in util else 0.0 for k in keys]
        ax.bar(xs, vals, width, label=label)
        for x, k, v in zip(xs, keys, vals, strict=True):
            ax.text(x, v, f"{v:.2g}%" if k in util else "n/a", ha="center", va="bottom", fontsize=7)
        top = max(top, *vals)
    if not series:
        ax.text(0.5, 0.5, "no resource figures", ha="center", transform=ax.transAxes)
    if top > 80:
        ax.axhline(100, color="tab:red", ls="--", label="part total")
    ax.set_ylim(0, max(top * 1.25, 1.0))
    ax.set_xticks(range(len(keys)), keys)
    ax.set_ylabel(f"% of {report['target']['device']}")
    ax.set_title("resource utilisation")
    if series:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_bitwidths(report: dict, path: Path) -> None:
    """Integer and fractional bits of every layer's result type (hls4ml, after precision inference)."""
    rows = []
    for layer in report.get("model", {}).get("layers", []):
        try:
            t = fixed_type_from_str(layer["precision"])
        except (KeyError, ValueError):
            continue
        rows.append((f"{layer['name']} ({layer['type']})", t.integer, t.width - t.integer))
    fig = Figure(figsize=(7.5, 1.2 + 0.3 * max(1, len(rows))))
    ax = fig.subplots()
    names = [r[0] for r in rows][::-1]
    ints = [r[1] for r in rows][::-1]
    fracs = [r[2] for r in rows][::-1]
    ax.barh(names, ints, color="tab:orange", label="integer bits (incl. sign)")
    ax.barh(names, fracs, left=ints, color="tab:blue", label="fractional bits")
    ax.set_xlabel("bits")
    ax.set_title("result type per layer")
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_plots(report: dict, project: Path) -> dict[str, str]:
    """Write every plot; return {name: path relative to the project}."""
    (project / "plots").mkdir(exist_ok=True)
    for name, fn in (("latency", plot_latency), ("resources", plot_resources), ("bitwidths", plot_bitwidths)):
        fn(report, project / PLOTS[name])
    return dict(PLOTS)
