"""Xilinx primitives left by yosys `synth_xilinx`, counted the way a Vivado utilisation report groups them."""

from __future__ import annotations

import re

# primitive name pattern -> (resource, amount per cell)
_RULES: list[tuple[str, str, float]] = [
    (r"LUT[1-6](_2)?", "LUT", 1.0),
    (r"INV", "LUT", 1.0),  # Vivado implements an inverter as a LUT1 (often absorbed by optimisation)
    (r"SRL16E|SRLC16E|SRLC32E", "LUT", 1.0),  # LUT as shift register (Vivado counts it in CLB LUTs)
    (r"RAM(16|32|64|128|256)X1[SD]P?|RAM32M(16)?|RAM64M8?", "LUT", 1.0),  # LUT as distributed RAM (cells)
    (r"FD(RE|SE|CE|PE)(_1)?|LD(CE|PE)", "FF", 1.0),
    (r"CARRY4|CARRY8", "CARRY", 1.0),
    (r"DSP48E1?|DSP48E2", "DSP", 1.0),
    (r"RAMB36E[12]|FIFO36E[12]", "BRAM", 1.0),
    (r"RAMB18E[12]|FIFO18E[12]", "BRAM", 0.5),  # two 18 Kb halves make one 36 Kb block
    (r"URAM288(_BASE)?", "URAM", 1.0),
    (r"MUXF[789]", "MUXF", 1.0),
]
_COMPILED = [(re.compile(rf"^(?:{pat})$"), res, amount) for pat, res, amount in _RULES]
_IGNORED = {"GND", "VCC"}
RESOURCES = ("LUT", "FF", "CARRY", "DSP", "BRAM", "URAM", "MUXF")


def classify(cell: str) -> tuple[str, float] | None:
    """(resource, amount) for one primitive name, None when it is not a counted resource."""
    for pattern, res, amount in _COMPILED:
        if pattern.match(cell):
            return res, amount
    return None


def count_resources(cells: dict[str, int]) -> tuple[dict[str, float], dict[str, int]]:
    """Resource totals from primitive counts, and the primitives no rule covers (GND/VCC aside)."""
    totals: dict[str, float] = dict.fromkeys(RESOURCES, 0)
    other: dict[str, int] = {}
    for cell, n in sorted(cells.items()):
        hit = classify(cell)
        if hit is None:
            if cell not in _IGNORED:
                other[cell] = int(n)
            continue
        res, amount = hit
        totals[res] += amount * int(n)
    return {k: (int(v) if float(v).is_integer() else v) for k, v in totals.items()}, other
