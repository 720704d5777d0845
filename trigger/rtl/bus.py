"""Bus layout of da4ml's generated Verilog: lane 0 in the LSBs, lanes contiguous, no padding.

Each lane is the raw two's complement (signed) or unsigned integer of value * 2**frac, of width
k+i+f; zero-width lanes (constant outputs, unused inputs) take no bits.
"""

from __future__ import annotations

import numpy as np
from da4ml.cmvm.types import QInterval, _minimal_kif


def bus_layout(qints: list[QInterval]) -> list[dict]:
    """Lane i occupies [lsb, msb] of the packed bus, lane 0 at bit 0, no padding.

    Each lane is the raw two's complement (k=1) or unsigned (k=0) integer of value * 2**f, of
    width k+i+f (0-width lanes -- constant-zero outputs / unused inputs -- take no bits).
    """
    lanes, pos = [], 0
    for n, q in enumerate(qints):
        k, i, f = (int(v) for v in _minimal_kif(q))
        w = k + i + f
        lanes.append(
            dict(lane=n, lsb=pos, msb=pos + w - 1, width=w, signed=bool(k), int_bits=i, frac=f, lo=q.min, hi=q.max)
        )
        pos += w
    return lanes


def pack(values: np.ndarray, lanes: list[dict]) -> list[int]:
    """Pack one row of real values per sample into bus integers (for a testbench)."""
    out = []
    for row in np.atleast_2d(values):
        word = 0
        for ln, v in zip(lanes, row, strict=True):
            if ln["width"] == 0:
                continue
            raw = int(round(v * 2 ** ln["frac"]))
            word |= (raw & ((1 << ln["width"]) - 1)) << ln["lsb"]
        out.append(word)
    return out


def unpack(words, lanes: list[dict]) -> np.ndarray:
    """Bus integers back to real values."""
    rows = []
    for word in words:
        row = []
        for ln in lanes:
            w = ln["width"]
            if w == 0:
                row.append(0.0)
                continue
            raw = (int(word) >> ln["lsb"]) & ((1 << w) - 1)
            if ln["signed"] and raw >> (w - 1):
                raw -= 1 << w
            row.append(raw * 2.0 ** -ln["frac"])
        rows.append(row)
    return np.array(rows)
