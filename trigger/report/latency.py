"""The report's latency block: co-simulated cycles, ns at the clock, per-layer stages, the L1 budget."""

from __future__ import annotations

LATENCY_FAILURE_PREFIX = "latency"


def per_layer(rtl: dict) -> list[dict]:
    """Cycle after which each layer's result is registered, from the RTL pipeline structure."""
    out = []
    for layer in rtl.get("layers", []):
        if "stage" in layer:
            out.append({k: layer[k] for k in ("name", "type", "adder_levels", "stage", "ready_cycle")})
    return out


def latency_block(
    cosim: dict, rtl: dict, budget: float, budget_source: str, allow_over_budget: bool, skipped: str
) -> dict:
    """Latency measured by co-simulation, converted to ns, against the budget."""
    base = {"budget_ns": budget, "budget_source": budget_source, "allow_over_budget": allow_over_budget}
    if cosim.get("latency_cycles") is None:
        reason = cosim.get("skipped") or cosim.get("error") or skipped
        return {"skipped": f"no co-simulation ({reason})", **base}
    cycles, clock = int(cosim["latency_cycles"]), float(cosim["clock_ns"])
    ns = round(cycles * clock, 6)
    return {
        "cycles": cycles,
        "ns": ns,
        "clock_ns": clock,
        "ii_cycles": cosim["ii_cycles"],
        **base,
        "within_budget": ns <= budget,
        "source": "cosim",
        "per_layer": per_layer(rtl),
        "per_layer_source": "rtl pipeline structure (alkaid latency model)",
    }


def budget_failure(block: dict) -> str | None:
    """The verdict's failure text when the latency exceeds the budget and that is not allowed."""
    if block.get("within_budget", True) or block.get("allow_over_budget"):
        return None
    return (
        f"latency {block['ns']} ns ({block['cycles']} cycles at {block['clock_ns']} ns) exceeds the budget of "
        f"{block['budget_ns']} ns ({block['budget_source']}); pass --allow-over-budget to accept it."
    )
