"""The RTL stage: trace the hls4ml model, check alkaid's emulation against the C simulation, write Verilog."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trigger.emulation import ComparePoint, first_difference
from trigger.fixed import FixedType, from_hls_precision
from trigger.rtl.generate import write_rtl
from trigger.rtl.translate import Unsupported, trace_hls_model
from trigger.targets import Part


def _layer_timing(record: dict, total_levels: float, stages: int) -> dict:
    """A layer's place in the pipeline: the stage its last adder lands in and the register level after
    which its result exists (input register = 1).  alkaid cuts the program at `stages` evenly spaced
    latencies (`alkaid.trace.pipeline._split_comb_logic`); its ternary-adder fusion before the cut can
    move an op by a level, so this is the layer's stage to within one."""
    lv = float(record["adder_levels"])
    per_stage = total_levels / stages if total_levels > 0 else 1.0
    stage = min(max(math.ceil(lv / per_stage - 1e-9) - 1, 0), stages - 1)
    ready = 1 if record["cls"] == "Input" else stage + 2
    return {
        "name": record["name"],
        "type": record["cls"],
        "result": record["result"],
        "adder_levels": lv,
        "stage": stage,
        "ready_cycle": ready,
    }


@dataclass
class RtlTarget:
    """What the traced design computes and what it is checked against: the layer it ends at, that layer's
    type, the C simulation's raw integers there, and the approximate layers it leaves out (with why)."""

    layer: str
    ftype: FixedType
    expected_raw: np.ndarray
    not_in_rtl: list[str]
    not_in_rtl_reason: str | None


def _trace_target(hls_model, point: ComparePoint, expected_raw: np.ndarray, final_raw: np.ndarray | None):
    """Trace the whole network when every layer has a handler (checked against the C simulation's final
    output `final_raw`), else up to the compare point.  Returns (comb, info, target); Unsupported when even
    the compare point cannot be traced."""
    out = list(hls_model.get_layers())[-1]
    reason = None
    if out.name != point.layer:
        if final_raw is None:
            reason = "the C simulation's final output was not given"
        else:
            try:
                comb, info = trace_hls_model(hls_model, out.name)
            except Unsupported as exc:
                reason = str(exc)
            else:
                ftype = from_hls_precision(out.get_output_variable().type.precision)
                n = len(final_raw)
                if np.asarray(final_raw).reshape(n, -1).shape[1] == len(comb.out_qint):
                    return comb, info, RtlTarget(out.name, ftype, final_raw, _untraced(point, info), None)
                reason = f"the C simulation's output does not have the {len(comb.out_qint)} values of layer {out.name}"
    comb, info = trace_hls_model(hls_model, point.layer)
    return comb, info, RtlTarget(point.layer, point.ftype, expected_raw, _untraced(point, info), reason)


def _untraced(point: ComparePoint, info: dict) -> list[str]:
    """The approximate layers (lookup tables, rounded parameters) the traced design does not contain."""
    traced = {r["name"] for r in info["layers"]}
    return [name for name in point.approximate_layers if name not in traced]


def build_rtl(
    hls_model,
    point: ComparePoint,
    x: np.ndarray,
    expected_raw: np.ndarray,
    rtl_dir: Path,
    name: str,
    clock_ns: float,
    part: Part,
    levels: int | None = None,
    final_raw: np.ndarray | None = None,
) -> tuple[dict, list[str]]:
    """Return the report's `rtl` block and any check failures.

    The traced design covers the whole network when every layer has a handler, lookup-table layers
    included, and is checked against the C simulation's final output (`final_raw`, raw integers); when a
    layer after the compare point cannot be traced it ends at the compare point (checked against
    `expected_raw`) and `not_in_rtl` names what it leaves out.  A layer the translation cannot take up to
    the compare point gives `{skipped: ...}`.
    """
    t0 = time.perf_counter()
    try:
        comb, info, target = _trace_target(hls_model, point, expected_raw, final_raw)
    except Unsupported as exc:
        return {"skipped": str(exc)}, []
    layer, ftype = target.layer, target.ftype
    t_trace = time.perf_counter()
    n = len(x)
    got_values = np.asarray(comb.predict(x.reshape(n, -1)), dtype=np.float64).reshape(n, -1)
    got, on_grid = ftype.to_raw(got_values)
    expected = np.asarray(target.expected_raw).reshape(n, -1)
    differs = (expected != got) | ~on_grid  # an off-grid value is a mismatch, never rounded onto the grid
    first = first_difference(expected, got, differs)
    if first is not None and not on_grid[first["vector"], first["lane"]]:
        first["got_value"] = float(got_values[first["vector"], first["lane"]])  # got_raw is only its rounding
    t1 = time.perf_counter()
    design = write_rtl(comb, rtl_dir, name, clock_ns, part, ftype.frac, layer, levels)
    t2 = time.perf_counter()
    total = max((float(r["adder_levels"]) for r in info["layers"]), default=0.0)
    failures = []
    if first is not None:
        failures.append(
            f"RTL model (alkaid emulation) differs from the C simulation at layer {layer}: "
            f"{int(differs.any(axis=1).sum())} of {n} vectors; first at vector {first['vector']} "
            f"lane {first['lane']} (expected raw {first['expected_raw']}, got {first['got_raw']})."
        )
    if not on_grid.all():
        v, lane = (int(j) for j in np.argwhere(~on_grid)[0])
        failures.append(
            f"RTL output is off the grid of {ftype} at layer {layer}: vector {v} lane {lane} "
            f"is {float(got_values[v, lane])!r} ({int((~on_grid).any(axis=1).sum())} of {n} vectors off the grid)."
        )
    block = {
        "generator": "alkaid",
        "language": "verilog",
        "dir": "rtl",
        "top": design.top,
        "module": design.module,
        "covers": f"inputs -> {layer}",
        "not_in_rtl": target.not_in_rtl,
        "not_in_rtl_reason": target.not_in_rtl_reason,
        "stages": design.stages,
        "latency_cycles": design.depth,
        "latency_source": "pipeline structure (measured by co-simulation when it runs)",
        "ii_cycles": 1,
        "pipelining": {
            "levels_per_stage": design.levels_per_stage,
            "adder_level_ns": design.adder_level_ns,
            "basis": "estimate: adder levels per clock period" if design.adder_level_ns else "given",
        },
        "in_width": design.in_width,
        "out_width": design.out_width,
        "estimate": design.estimate,
        "layers": [_layer_timing(r, total, design.stages) for r in info["layers"]],
        "check": {
            "against": "hls4ml C simulation",
            "layer": layer,
            "n_vectors": n,
            "bit_exact": first is None,
            "first_mismatch": first,
        },
        "seconds": {"trace": round(t_trace - t0, 2), "check": round(t1 - t_trace, 2), "write": round(t2 - t1, 2)},
        "passed": first is None,
    }
    return block, failures
