"""The report's resources block: yosys synthesis of the RTL (or alkaid's estimate) against the target part."""

from __future__ import annotations

RESOURCE_FAILURE_PREFIX = "resources"
PART_KEYS = ("LUT", "FF", "DSP", "BRAM")
LOGIC_DEPTH_SOURCE = (
    "yosys ltp with the flip-flops deselected: cells on the longest path between registers "
    "(each LUT and CARRY4 counts 1), no routing"
)


def utilization(counts: dict, totals: dict[str, int]) -> dict[str, float]:
    """count / part total for every resource the part catalogue has and the counts know."""
    return {k: round(float(counts[k]) / totals[k], 6) for k in PART_KEYS if counts.get(k) is not None and totals.get(k)}


def with_utilization(counts: dict, totals: dict[str, int]) -> dict:
    """`counts` plus utilisation, `fits` and the part totals it was measured against."""
    util = utilization(counts, totals)
    return {**counts, "utilization": util, "fits": all(u <= 1.0 for u in util.values()), "part_totals": totals}


def _estimate(rtl: dict) -> dict | None:
    est = rtl.get("estimate")
    if not est:
        return None
    return {"LUT": round(float(est["LUT"])), "FF": int(est["FF"]), "source": "estimate", "model": "alkaid cost model"}


def resources_block(synth: dict, rtl: dict, totals: dict[str, int]) -> dict:
    """Resources of the RTL design: yosys counts when synthesis ran, else alkaid's estimate (and why)."""
    estimate = _estimate(rtl)
    if "counts" in synth:
        c = synth["counts"]
        block = with_utilization({k: c[k] for k in PART_KEYS}, totals)
        block.update(
            {
                "CARRY": c["CARRY"],
                "MUXF": c.get("MUXF", 0),
                "source": "yosys",
                "logic_depth": synth.get("logic_depth"),
                "logic_depth_source": LOGIC_DEPTH_SOURCE,
                "synthesis": {
                    k: synth.get(k)
                    for k in ("version", "command", "top", "seconds", "peak_memory_mb", "cached", "cache_key")
                },
                "estimate": estimate,
            }
        )
        if synth.get("unclassified"):
            block["unclassified_cells"] = synth["unclassified"]
        return block
    why = synth.get("skipped") or synth.get("error") or "not run"
    if estimate is None:
        return {"skipped": f"no RTL ({rtl.get('skipped', 'not run')}) and no synthesis ({why})", "part_totals": totals}
    counts = {"LUT": estimate["LUT"], "FF": estimate["FF"], "DSP": None, "BRAM": None}
    block = with_utilization(counts, totals)
    block.update(
        {
            "source": "estimate",
            "note": f"no yosys synthesis ({why}): alkaid's cost model, LUT and FF only (DSP and BRAM not estimated)",
            "estimate": estimate,
        }
    )
    return block


def fits_failure(block: dict, device: str, prefix: str = RESOURCE_FAILURE_PREFIX) -> str | None:
    """The verdict's failure text when a resource exceeds the part."""
    if block.get("fits", True):
        return None
    over = [
        f"{k} {block[k]:,} of {block['part_totals'][k]:,} ({u:.1%})" for k, u in block["utilization"].items() if u > 1
    ]
    return f"{prefix}: the design does not fit {device}: {', '.join(over)} ({block.get('source', prefix)})."
