"""The mismatch table."""

from __future__ import annotations

import numpy as np

from trigger.fixed import FixedType
from trigger.regress.diff import differences, table


def test_table_names_the_first_differing_lane_with_raw_and_real_values():
    expected = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    got = expected.copy()
    got[1, 2] = 7
    got[2, 0] = -7
    assert differences(expected, got) == [(1, 2), (2, 0)]
    text = table(expected, got, FixedType(8, 4, True), "emulation")
    lines = text.splitlines()
    assert lines[0].startswith("emulation: 2 of 9 values differ in 2 of 3 vectors")
    assert "first differing: vector 1, lane 2" in lines[0]
    assert lines[4] == "| 1 | 2 | 6 | 7 | 0.375 | 0.4375 |"
    assert lines[5] == "| 2 | 0 | 7 | -7 | 0.4375 | -0.4375 |"


def test_table_is_capped():
    expected = np.zeros((30, 2), dtype=np.int64)
    text = table(expected, expected + 1, FixedType(8, 4, True), "rtl", limit=5)
    assert text.splitlines()[-1] == "| ... | | | | | (55 more) |"
