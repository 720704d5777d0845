"""The RTL stage: trace the hls4ml model, check da4ml's emulation against the C simulation, write Verilog."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from trigger.emulation import ComparePoint, first_difference
from trigger.rtl.generate import write_rtl
from trigger.rtl.translate import Unsupported, trace_hls_model
from trigger.targets import Part


def _layer_timing(record: dict, levels: int, stages: int) -> dict:
    """A layer's place in the pipeline: the stage its last adder lands in (da4ml's rule: floor(levels /
    (levels_per_stage + 1e-9))), and the register level after which its result exists (input register = 1)."""
    lv = float(record["adder_levels"])
    stage = min(int(lv / (levels + 1e-9)), stages - 1)  # as da4ml.trace.pipeline.to_pipeline assigns ops
    ready = 1 if record["cls"] == "Input" else stage + 2
    return {
        "name": record["name"],
        "type": record["cls"],
        "result": record["result"],
        "adder_levels": lv,
        "stage": stage,
        "ready_cycle": ready,
    }


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
) -> tuple[dict, list[str]]:
    """Return the report's `rtl` block and any check failures.

    The traced design covers the input up to the compare point (the logits when a lookup-table
    softmax ends the network).  A layer the translation cannot take gives `{skipped: ...}`.
    """
    t0 = time.perf_counter()
    try:
        comb, info = trace_hls_model(hls_model, point.layer)
    except Unsupported as exc:
        return {"skipped": str(exc)}, []
    t_trace = time.perf_counter()
    n = len(x)
    got_values = np.asarray(comb.predict(x.reshape(n, -1)), dtype=np.float64).reshape(n, -1)
    got, on_grid = point.ftype.to_raw(got_values)
    expected = expected_raw.reshape(n, -1)
    differs = (expected != got) | ~on_grid  # an off-grid value is a mismatch, never rounded onto the grid
    first = first_difference(expected, got, differs)
    if first is not None and not on_grid[first["vector"], first["lane"]]:
        first["got_value"] = float(got_values[first["vector"], first["lane"]])  # got_raw is only its rounding
    t1 = time.perf_counter()
    design = write_rtl(comb, rtl_dir, name, clock_ns, part, point.ftype.frac, point.layer, levels)
    t2 = time.perf_counter()
    failures = []
    if first is not None:
        failures.append(
            f"RTL model (da4ml emulation) differs from the C simulation at layer {point.layer}: "
            f"{int(differs.any(axis=1).sum())} of {n} vectors; first at vector {first['vector']} "
            f"lane {first['lane']} (expected raw {first['expected_raw']}, got {first['got_raw']})."
        )
    if not on_grid.all():
        v, lane = (int(j) for j in np.argwhere(~on_grid)[0])
        failures.append(
            f"RTL output is off the grid of {point.ftype} at layer {point.layer}: vector {v} lane {lane} "
            f"is {float(got_values[v, lane])!r} ({int((~on_grid).any(axis=1).sum())} of {n} vectors off the grid)."
        )
    block = {
        "generator": "da4ml",
        "language": "verilog",
        "dir": "rtl",
        "top": design.top,
        "module": design.module,
        "covers": f"inputs -> {point.layer}",
        "not_in_rtl": point.approximate_layers,  # a successful trace means they all lie downstream
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
        "layers": [_layer_timing(r, design.levels_per_stage, design.stages) for r in info["layers"]],
        "check": {
            "against": "hls4ml C simulation",
            "layer": point.layer,
            "n_vectors": n,
            "bit_exact": first is None,
            "first_mismatch": first,
        },
        "seconds": {"trace": round(t_trace - t0, 2), "check": round(t1 - t_trace, 2), "write": round(t2 - t1, 2)},
        "passed": first is None,
    }
    return block, failures
