"""What `trigger-rate` writes: rate.json (docs/rate.md), rate.md (a table a person reads), rate.png (background rate
against threshold, signal efficiency against background rate) and curve.npz (the whole curve as exact counts)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np

from trigger.scale.rate import MEASURED_MIN, Curve, RatePoint, Scores

PLOT_POINTS_PER_E = 2000  # rate.png draws at most this many curve points per factor e of background rate


def _point(p: RatePoint, n: int, frac: int, collision_hz: float, cl: float) -> dict:
    """One requested rate as rate.json's `rates` entry."""
    lsb = 2.0**-frac
    t, lower = p.cut.threshold, p.cut.threshold - 1
    exact = Fraction(p.cut.background_count) * Fraction(collision_hz) == Fraction(p.requested_hz) * n
    warning = None
    if not p.measured:
        warning = (
            f"rate {p.requested_hz:g} Hz: only {p.cut.background_count} background events at or above threshold "
            f"{t} (value {t * lsb:g}), fewer than {MEASURED_MIN}: the rate is not measured but bounded, "
            f"{p.rate_hz:g} Hz with an upper limit of {p.rate_interval_hz[1]:g} Hz at {cl:g} CL (Clopper-Pearson)"
        )
        if p.rate_interval_hz[1] > p.requested_hz:
            warning += "; the sample is too small to show that the requested rate is met (upper limit above it)"
    note = None
    if not exact:
        note = (
            f"met from below: {p.rate_hz:g} Hz at threshold {t}; one raw LSB lower ({lower}) gives "
            f"{p.lower_rate_hz:g} Hz, above {p.requested_hz:g} Hz"
            + (f" ({p.cut.tied_below} background events share the score {lower})" if p.cut.tied_below > 1 else "")
        )
    return {
        "requested_hz": p.requested_hz,
        "requested_acceptance": p.requested_hz / collision_hz,
        "max_background_count": p.cut.max_count,
        "threshold": {"raw": t, "value": t * lsb},
        "background_count": p.cut.background_count,
        "background_acceptance": p.cut.background_count / n,
        "rate_hz": p.rate_hz,
        "rate_interval_hz": list(p.rate_interval_hz),
        "rate_upper_limit_hz": p.rate_interval_hz[1],
        "rate_measured": p.measured,
        "met": "exactly" if exact else "from below",
        "lower_threshold": {
            "raw": lower,
            "value": lower * lsb,
            "background_count": p.cut.lower_count,
            "rate_hz": p.lower_rate_hz,
            "events_at_score": p.cut.tied_below,
        },
        "efficiency": {
            name: {"k": e.k, "n": e.n, "efficiency": e.value, "interval": [e.lo, e.hi]}
            for name, e in p.efficiencies.items()
        },
        "warning": warning,
        "note": note,
    }


def document(
    *,
    project: dict,
    type_check: dict,
    scores: dict,
    inputs: dict,
    background: Scores,
    points: list[RatePoint],
    collision_hz: float,
    cl: float,
    curve_points: int,
) -> dict:
    """rate.json's content (every key documented in docs/rate.md).

    `scores`: output_layer, output_type, frac, lane, lanes; `inputs`: background {file, events, meta} and
    signals {name: {file, events, meta}}.
    """
    from trigger import __version__

    rates = [_point(p, background.n, scores["frac"], collision_hz, cl) for p in points]
    return {
        "tool": "trigger-rate",
        "trigger_version": __version__,
        "project": {
            "dir": project["dir"],
            "report": project["report"],
            "model": project["model"],
            "type_check": type_check,
        },
        "scores": {**scores, "lsb": 2.0 ** -scores["frac"]},
        "cut": "an event is accepted when its raw score >= threshold.raw",
        "collision_hz": collision_hz,
        "cl": cl,
        "background": {**inputs["background"], "distinct_scores": len(background.values)},
        "signals": inputs["signals"],
        "rates": rates,
        "curve": {"file": "curve.npz", "points": curve_points},
        "plots": {"rate": "rate.png"},
        "check": {
            "passed": True,
            "what": "every threshold, background count and signal count recounted on the events themselves; "
            "each threshold meets its rate and the threshold one raw LSB lower does not",
        },
        "warnings": [r["warning"] for r in rates if r["warning"]],
    }


def _interval(e: dict) -> str:
    lo, hi = e["interval"]
    return f"{e['efficiency']:.4f} [{lo:.4f}, {hi:.4f}] ({e['k']}/{e['n']})"


def markdown(doc: dict) -> str:
    """rate.md: per requested rate, the threshold, its rate and background count, each signal's efficiency."""
    s, bg = doc["scores"], doc["background"]
    names = list(doc["signals"])
    lines = [
        f"# Trigger rates: {doc['project']['model'] or Path(doc['project']['dir']).name}",
        "",
        f"Project `{doc['project']['dir']}`; scores: lane {s['lane']} of {s['output_layer']} "
        f"({s['output_type']}, raw LSB = {s['lsb']:g}). Background `{bg['file']}`: {bg['events']} events "
        f"({bg['distinct_scores']} distinct scores); collision rate {doc['collision_hz']:g} Hz. An event passes "
        f"when its raw score >= the threshold. Intervals: Clopper-Pearson, {doc['cl']:g} CL.",
        "",
    ]
    head = ["requested [Hz]", "threshold raw", "value", "bkg >= t", "rate [Hz]", "rate interval [Hz]", "t-1 rate [Hz]"]
    head += [f"eff. {n} [interval] (k/n)" for n in names]
    lines += ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in doc["rates"]:
        lo, hi = r["rate_interval_hz"]
        flag = "" if r["rate_measured"] else " (!)"
        row = [
            f"{r['requested_hz']:g}",
            str(r["threshold"]["raw"]),
            f"{r['threshold']['value']:g}",
            f"{r['background_count']}{flag}",
            f"{r['rate_hz']:.4g}",
            f"[{lo:.4g}, {hi:.4g}]",
            f"{r['lower_threshold']['rate_hz']:.4g}",
        ]
        row += [_interval(r["efficiency"][n]) for n in names]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    if doc["warnings"]:
        lines += ["## Warnings", "", *(f"- {w}" for w in doc["warnings"]), ""]
    notes = [f"- {r['requested_hz']:g} Hz: {r['note']}" for r in doc["rates"] if r["note"]]
    if notes:
        lines += ["## Rates met from below", "", *notes, ""]
    lines += [
        "Each threshold is the smallest integer whose background count stays within the allowed rate; the "
        "threshold one raw LSB lower (t-1) exceeds it. (!) marks fewer than 10 background events above the cut: "
        "the rate is then bounded, not measured (see the warnings). `rate.png`: the curves; `curve.npz`: every "
        "point as exact counts; docs/rate.md explains rate.json.",
        "",
    ]
    return "\n".join(lines)


def _plotted(background_count: np.ndarray) -> np.ndarray:
    """Indices of curve points to draw: nonzero background counts, at most PLOT_POINTS_PER_E per factor e of
    rate (each the smallest threshold of its bin, i.e. the best efficiency there)."""
    nonzero = np.flatnonzero(background_count > 0)
    bins = np.floor(np.log(background_count[nonzero]) * PLOT_POINTS_PER_E).astype(np.int64)
    _, first = np.unique(bins, return_index=True)
    return nonzero[np.sort(first)]


def plot(doc: dict, curve: Curve, path: Path) -> None:
    """rate.png: background rate against the threshold's value, and signal efficiency against background rate,
    the requested rates marked."""
    from matplotlib.figure import Figure

    n, collision, lsb = doc["background"]["events"], doc["collision_hz"], doc["scores"]["lsb"]
    keep = _plotted(curve.background)
    rate = curve.background[keep] * collision / n
    fig = Figure(figsize=(7.5, 8))
    top, bottom = fig.subplots(2, 1)
    top.step(curve.thresholds[keep] * lsb, rate, where="post", color="black")
    top.set_yscale("log")
    top.set_xlabel(f"threshold ({doc['scores']['output_type']} value; pass when score >= threshold)")
    top.set_ylabel("background rate [Hz]")
    for r in doc["rates"]:
        top.axhline(r["requested_hz"], color="tab:red", ls="--", lw=0.8)
        if r["rate_hz"] > 0:
            top.plot([r["threshold"]["value"]], [r["rate_hz"]], "o", color="tab:red", ms=4)
    top.set_title(
        f"{doc['project']['model'] or Path(doc['project']['dir']).name}: lane {doc['scores']['lane']} "
        f"of {doc['scores']['output_layer']}, {n} background events",
        fontsize=10,
    )
    order = np.argsort(rate, kind="stable")
    for k, (name, counts) in enumerate(curve.signals.items()):
        eff = counts[keep] / doc["signals"][name]["events"]
        color = f"C{k}"
        bottom.step(rate[order], eff[order], where="post", color=color, label=name)
        for r in doc["rates"]:
            if r["rate_hz"] > 0:
                bottom.plot([r["rate_hz"]], [r["efficiency"][name]["efficiency"]], "o", color=color, ms=4)
    for r in doc["rates"]:
        bottom.axvline(r["requested_hz"], color="tab:red", ls="--", lw=0.8)
    bottom.set_xscale("log")
    bottom.set_xlim(right=collision)
    bottom.set_ylim(0, 1.02)
    bottom.set_xlabel("background rate [Hz] (requested rates dashed)")
    bottom.set_ylabel("signal efficiency")
    if curve.signals:
        bottom.legend(fontsize=8, loc="lower right")
    else:
        bottom.text(0.5, 0.5, "no --signal given", ha="center", transform=bottom.transAxes)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def save_curve(curve: Curve, n_background: int, signal_events: dict[str, int], path: Path) -> None:
    """curve.npz: every point of the curve as exact integer counts."""
    names = list(curve.signals)
    np.savez(
        path,
        threshold_raw=curve.thresholds,
        background_count=curve.background,
        n_background=np.int64(n_background),
        signal_names=np.array(names, dtype=str),
        signal_count=np.array([curve.signals[k] for k in names], dtype=np.int64).reshape(
            len(names), len(curve.thresholds)
        ),
        signal_events=np.array([signal_events[k] for k in names], dtype=np.int64),
    )


def write_all(directory: Path, doc: dict, curve: Curve) -> None:
    """rate.json, rate.md, rate.png and curve.npz into `directory`."""
    (directory / "rate.json").write_text(json.dumps(doc, indent=2, allow_nan=False) + "\n")
    (directory / "rate.md").write_text(markdown(doc))
    plot(doc, curve, directory / "rate.png")
    events = {name: s["events"] for name, s in doc["signals"].items()}
    save_curve(curve, doc["background"]["events"], events, directory / "curve.npz")


def summary(doc: dict) -> str:
    """A few lines for the terminal: per requested rate, the threshold, the rate and each efficiency."""
    lines = []
    for r in doc["rates"]:
        effs = ", ".join(f"{n} {e['efficiency']:.4f}" for n, e in r["efficiency"].items())
        lines.append(
            f"{r['requested_hz']:g} Hz: threshold {r['threshold']['raw']} ({r['threshold']['value']:g}), "
            f"rate {r['rate_hz']:.4g} Hz ({r['background_count']} events)" + (f"; {effs}" if effs else "")
        )
    return "\n".join(lines)
