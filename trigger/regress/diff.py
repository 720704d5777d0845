"""Exact comparison of outputs with the golden ones, and the mismatch table a person reads."""

from __future__ import annotations

import numpy as np

from trigger.fixed import FixedType

MAX_ROWS = 20


def differences(expected: np.ndarray, got: np.ndarray) -> list[tuple[int, int]]:
    """(vector, lane) of every differing value, vector-major (the first is the first differing lane)."""
    return [(int(v), int(lane)) for v, lane in np.argwhere(expected != got)]


def table(expected: np.ndarray, got: np.ndarray, ftype: FixedType, what: str, limit: int = MAX_ROWS) -> str:
    """Markdown-style table of the first `limit` differences: raw integers and real values."""
    diffs = differences(expected, got)
    n_vec = len({v for v, _ in diffs})
    lines = [
        f"{what}: {len(diffs)} of {expected.size} values differ in {n_vec} of {len(expected)} vectors "
        f"(raw integers of {ftype}; first differing: vector {diffs[0][0]}, lane {diffs[0][1]})",
        "",
        "| vector | lane | expected raw | got raw | expected | got |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for v, lane in diffs[:limit]:
        e, g = int(expected[v, lane]), int(got[v, lane])
        ev, gv = float(ftype.from_raw(e)), float(ftype.from_raw(g))
        lines.append(f"| {v} | {lane} | {e} | {g} | {ev:.10g} | {gv:.10g} |")
    if len(diffs) > limit:
        lines.append(f"| ... | | | | | ({len(diffs) - limit} more) |")
    return "\n".join(lines)
