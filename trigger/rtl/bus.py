"""Bus layout of alkaid's generated Verilog: lane 0 in the LSBs, lanes contiguous, no padding.

Each lane is the raw two's complement (signed) or unsigned integer of value * 2**frac, of width
k+i+f; zero-width lanes (constant-zero outputs) take no bits.  `pack_raw` / `unpack_raw` convert
rows of raw integers (at one common number of fractional bits, or one per lane: the inputs of a model of
several inputs, each of its own type) to bus words and back.
"""

from __future__ import annotations

import numpy as np
from alkaid.types import QInterval


def bus_layout(qints: list[QInterval]) -> list[dict]:
    """Lane i occupies [lsb, msb] of the packed bus, lane 0 at bit 0, no padding.

    Each lane is the raw two's complement (k=1) or unsigned (k=0) integer of value * 2**f, of
    width k+i+f (0-width lanes -- constant-zero outputs / unused inputs -- take no bits).
    """
    lanes, pos = [], 0
    for n, q in enumerate(qints):
        k, i, f = (int(v) for v in q.kif)
        w = k + i + f
        lanes.append(
            dict(lane=n, lsb=pos, msb=pos + w - 1, width=w, signed=bool(k), int_bits=i, frac=f, lo=q.min, hi=q.max)
        )
        pos += w
    return lanes


def _lane_raw(raw: np.ndarray, frac_from: int, ln: dict) -> np.ndarray:
    """Raw integers at `frac_from` fractional bits re-expressed at the lane's; ValueError if not exact."""
    raw = np.asarray(raw, dtype=np.int64)
    shift = frac_from - ln["frac"]
    lane = raw >> shift if shift >= 0 else raw << -shift
    back = lane << shift if shift >= 0 else lane >> -shift
    lo, hi = round(ln["lo"] * 2 ** ln["frac"]), round(ln["hi"] * 2 ** ln["frac"])
    bad = (back != raw) | (lane < lo) | (lane > hi)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(
            f"value {raw[row] * 2.0**-frac_from} (vector {row}) is not representable on lane {ln['lane']} "
            f"(range [{ln['lo']}, {ln['hi']}], {ln['frac']} fractional bits)"
        )
    return lane


def pack_raw(raw: np.ndarray, frac_from, lanes: list[dict], *, inputs: bool = False) -> list[int]:
    """Pack rows of raw integers (at `frac_from` fractional bits: one number, or one per lane) into bus words.

    With `inputs`, a lane of no width is an input the design never reads (alkaid gives it no bits, e.g.
    the pixels a pooling drops) and takes any value; an output lane of no width is a constant zero, and
    any other value on it is an error.
    """
    raw = np.asarray(raw, dtype=np.int64).reshape(len(raw), -1)
    if raw.shape[1] != len(lanes):
        raise ValueError(f"{raw.shape[1]} values per row for a bus of {len(lanes)} lanes")
    fracs = np.broadcast_to(np.asarray(frac_from, dtype=np.int64), (len(lanes),))
    words = [0] * len(raw)
    for j, ln in enumerate(lanes):
        if ln["width"] == 0 and inputs:
            continue
        lane = _lane_raw(raw[:, j], int(fracs[j]), ln)
        if ln["width"] == 0:
            continue
        mask = (1 << ln["width"]) - 1
        for r, v in enumerate(lane.tolist()):
            words[r] |= (v & mask) << ln["lsb"]
    return words


def unpack_raw(words, lanes: list[dict], frac_to: int) -> np.ndarray:
    """Bus words back to raw integers at `frac_to` fractional bits (one column per lane)."""
    out = np.zeros((len(words), len(lanes)), dtype=np.int64)
    for j, ln in enumerate(lanes):
        w, shift = ln["width"], frac_to - ln["frac"]
        if shift < 0:
            raise ValueError(f"lane {ln['lane']} has {ln['frac']} fractional bits, more than {frac_to}")
        if w == 0:
            out[:, j] = round(ln["lo"] * 2**frac_to)
            continue
        for r, word in enumerate(words):
            v = (int(word) >> ln["lsb"]) & ((1 << w) - 1)
            if ln["signed"] and v >> (w - 1):
                v -= 1 << w
            out[r, j] = v << shift
    return out
