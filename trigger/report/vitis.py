"""Vitis HLS / Vivado reports a user produced in DIR/hls/, read with hls4ml's report reader."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from trigger.errors import InputError
from trigger.report.resources import fits_failure, with_utilization

SOURCE = "vitis-report"
NOT_RUN = (
    "no Vitis reports in hls/ (Vitis is not run by trigger); after `vitis_hls -f build_prj.tcl` in hls/, "
    "`trigger-report DIR` reads them"
)


def report_files(hls_dir: Path) -> list[Path]:
    """The top function's csynth XML (`<name>_prj/<solution>/syn/report/<name>_csynth.xml`; Vitis writes one
    per sub-function beside it) and the `vivado_synth.rpt` hls4ml's Vivado synthesis script saves."""
    tcl = hls_dir / "project.tcl"
    found = re.search(r'set project_name "([^"]+)"', tcl.read_text()) if tcl.is_file() else None
    if found is None:
        return []
    name = found.group(1)
    files = sorted(hls_dir.glob(f"{name}_prj/*/syn/report/{name}_csynth.xml"))
    if (hls_dir / "vivado_synth.rpt").is_file():
        files.append(hls_dir / "vivado_synth.rpt")
    return files


def _number(section: dict, key: str, where: Path) -> float:
    try:
        return float(section[key])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{where}: field {key} is missing or not a number ({section.get(key)!r}).") from None


def _csynth(cs: dict, where: Path, totals: dict, budget_ns: float) -> dict:
    target = _number(cs, "TargetClockPeriod", where)
    estimated = _number(cs, "EstimatedClockPeriod", where)
    worst = int(_number(cs, "WorstLatency", where))
    ns = round(worst * target, 6)
    latency = {
        "cycles_best": int(_number(cs, "BestLatency", where)),
        "cycles_worst": worst,
        "ns": ns,
        "ii_min": int(_number(cs, "IntervalMin", where)),
        "ii_max": int(_number(cs, "IntervalMax", where)),
        "target_clock_ns": target,
        "estimated_clock_ns": estimated,
        "timing_met": estimated <= target,
        "budget_ns": budget_ns,
        "within_budget": ns <= budget_ns,
        "source": SOURCE,
    }
    counts = {
        "LUT": int(_number(cs, "LUT", where)),
        "FF": int(_number(cs, "FF", where)),
        "DSP": int(_number(cs, "DSP", where)),
        "BRAM": _number(cs, "BRAM_18K", where) / 2,  # 18 Kb halves -> 36 Kb blocks, as the part totals count
    }
    available = {k[len("Available") :]: v for k, v in cs.items() if k.startswith("Available")}
    resources = {**with_utilization(counts, totals), "source": SOURCE, "kind": "HLS estimate (csynth)"}
    resources["available_in_report"] = available
    return {"latency": latency, "resources": resources}


def _vivado_synth(vs: dict, where: Path, totals: dict) -> dict:
    counts = {
        "LUT": int(_number(vs, "LUT", where)),
        "FF": int(_number(vs, "FF", where)),
        "DSP": int(_number(vs, "DSP48E", where)),
        "BRAM": _number(vs, "BRAM_18K", where),  # hls4ml's key; Vivado's "Block RAM Tile" counts 36 Kb tiles
    }
    return {"resources": {**with_utilization(counts, totals), "source": SOURCE, "kind": "Vivado synthesis"}}


def vitis_block(hls_dir: Path, totals: dict[str, int], budget_ns: float) -> dict:
    """`vitis_report` block: csynth latency/II/resources and Vivado synthesis resources when present."""
    from hls4ml.report import parse_vivado_report

    files = report_files(hls_dir)
    if not files:
        return {"skipped": NOT_RUN}
    chatter = io.StringIO()
    try:
        with contextlib.redirect_stdout(chatter):
            parsed = parse_vivado_report(str(hls_dir))
    except Exception as exc:  # hls4ml's reader raises whatever the XML or tcl gives it
        raise InputError(f"{hls_dir}: hls4ml cannot read the Vitis reports ({type(exc).__name__}: {exc}).") from exc
    names = [p.relative_to(hls_dir.parent).as_posix() for p in files]
    if not parsed or not ({"CSynthesisReport", "VivadoSynthReport"} & set(parsed)):
        said = " ".join(chatter.getvalue().split())
        raise InputError(f"{hls_dir}: found {', '.join(names)} but hls4ml's report reader used none of them ({said}).")
    block: dict = {"source": SOURCE, "files": names, "reader": "hls4ml.report.parse_vivado_report"}
    if "CSynthesisReport" in parsed:
        block["csynth"] = _csynth(parsed["CSynthesisReport"], files[0], totals, budget_ns)
    if "VivadoSynthReport" in parsed:
        block["vivado_synth"] = _vivado_synth(parsed["VivadoSynthReport"], hls_dir / "vivado_synth.rpt", totals)
    return block


def vitis_failures(block: dict, device: str, allow_over_budget: bool) -> list[str]:
    """Over-budget latency and resources beyond the part, as the Vitis reports give them."""
    out = []
    lat = block.get("csynth", {}).get("latency")
    if lat and not lat["within_budget"] and not allow_over_budget:
        out.append(
            f"{SOURCE}: latency {lat['ns']} ns ({lat['cycles_worst']} cycles at {lat['target_clock_ns']} ns, "
            f"Vitis csynth) exceeds the budget of {lat['budget_ns']} ns; pass --allow-over-budget to accept it."
        )
    for kind in ("csynth", "vivado_synth"):
        res = block.get(kind, {}).get("resources")
        if res:
            fail = fits_failure(res, device, f"{SOURCE} ({kind})")
            if fail:
                out.append(fail)
    return out
