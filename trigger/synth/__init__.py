"""Resources of the RTL from yosys `synth_xilinx` (DIR/synth/), cached by the hash of what is synthesised."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from trigger.rtl.generate import RtlDesign
from trigger.synth import cache, yosys
from trigger.synth.cells import count_resources

RESULT = "result.json"
FAILURE_PREFIX = "synthesis"
NO_YOSYS = "yosys is not on PATH (Debian package `yosys`)"


def synthesize(project: Path, family: str, on_progress: Callable[[str], None] | None = None) -> dict:
    """Synthesise DIR/rtl for a Xilinx family (xcup, xcu, xc7) and return the report's `synth` block.

    A result cached for the same sources, script and yosys version is reused (`cached: true`).
    Raises yosys.YosysFailed when yosys reports an error.
    """
    version = yosys.yosys_version()
    if version is None:
        return {"skipped": NO_YOSYS}
    design = RtlDesign.load(project / "rtl")
    synth_dir = project / "synth"
    synth_dir.mkdir(parents=True, exist_ok=True)
    for stale in (*yosys.OUTPUTS, RESULT):  # from an earlier run on other RTL
        (synth_dir / stale).unlink(missing_ok=True)
    names = [f"../rtl/{s}" for s in design.sources]
    script = yosys.script_text(names, design.top, family)
    (synth_dir / yosys.SCRIPT).write_text(script)
    key = cache.synthesis_key([project / "rtl" / s for s in design.sources], names, script, version)
    result = cache.load(key)
    if result is not None:
        result["cached"] = True
    else:
        seconds = yosys.run(synth_dir, on_progress)
        cells = yosys.cell_counts(synth_dir, design.top)
        counts, other = count_resources(cells)
        result = {
            "tool": "yosys",
            "version": version,
            "command": f"synth_xilinx -family {family} {yosys.OPTIONS}",
            "family": family,
            "top": design.top,
            "cache_key": key,
            "counts": counts,
            "unclassified": other,
            "cells": cells,
            "logic_depth": yosys.logic_depth(synth_dir),
            "seconds": round(seconds, 1),
            "peak_memory_mb": yosys.peak_memory_mb(synth_dir),
            "log": "synth/yosys.log",
        }
        cache.store(key, result)
        result["cached"] = False
    (synth_dir / RESULT).write_text(json.dumps(result, indent=2) + "\n")
    return result


def synth_stage(project: Path, family: str, rtl: dict, on_progress: Callable[[str], None] | None = None) -> dict:
    """The report's `synth` block for a project whose `rtl` block is given: skipped without a checked RTL,
    `{error, failures}` when yosys fails, else the synthesis result."""
    if "skipped" in rtl or not rtl.get("passed", False):
        return {"skipped": f"no RTL ({rtl.get('skipped', 'the RTL failed its check against the C simulation')})"}
    try:
        return synthesize(project, family, on_progress)
    except yosys.YosysFailed as exc:
        return {"error": str(exc), "failures": [f"{FAILURE_PREFIX}: {exc}"]}
