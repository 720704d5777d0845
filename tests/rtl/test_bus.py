"""Packing raw integers onto alkaid's bus and back, with uneven, signed/unsigned and constant lanes."""

from __future__ import annotations

import numpy as np
import pytest
from alkaid.types import QInterval

from trigger.rtl.bus import bus_layout, pack_raw, unpack_raw

LANES = bus_layout(
    [
        QInterval(-4.0, 3.75, 0.25),  # signed, 5 bits, 2 fractional
        QInterval(0.0, 7.5, 0.5),  # unsigned, 4 bits, 1 fractional
        QInterval(0.0, 0.0, 1.0),  # constant zero: no bits (alkaid gives other constants real bits)
        QInterval(-1.0, 0.875, 0.125),  # signed, 4 bits, 3 fractional
    ]
)


def test_layout_is_contiguous_lane_zero_lowest():
    assert [(ln["lsb"], ln["width"], ln["signed"], ln["frac"]) for ln in LANES] == [
        (0, 5, True, 2),
        (5, 4, False, 1),
        (9, 0, False, 0),
        (9, 4, True, 3),
    ]


def test_round_trip_at_a_common_fraction():
    rng = np.random.default_rng(0)
    frac = 3
    rows = np.stack(
        [
            rng.integers(-16, 16, 200) * 2,  # lane 0 grid 0.25 = 2 units of 1/8
            rng.integers(0, 16, 200) * 4,  # lane 1 grid 0.5
            np.zeros(200, dtype=int),
            rng.integers(-8, 8, 200),
        ],
        axis=1,
    )
    words = pack_raw(rows, frac, LANES)
    assert max(words) < 1 << 13
    np.testing.assert_array_equal(unpack_raw(words, LANES, frac), rows)


def test_known_word():
    # lane0 = -1.0 -> raw -4 -> 5'b11100; lane1 = 7.5 -> 15 -> 4'b1111; lane3 = -0.125 -> -1 -> 4'b1111
    word = pack_raw(np.array([[-8, 60, 0, -1]]), 3, LANES)[0]
    assert word == 0b1111_1111_11100


def test_an_input_lane_of_no_width_takes_any_value():
    """alkaid gives an input the design never reads no bits (e.g. the pixels a pooling drops): co-simulation
    must still drive the vectors, whatever those inputs hold."""
    word = pack_raw(np.array([[-8, 60, 0, -1]]), 3, LANES, inputs=True)[0]
    assert pack_raw(np.array([[-8, 60, 8, -1]]), 3, LANES, inputs=True)[0] == word
    with pytest.raises(ValueError, match="not representable on lane 2"):  # an output lane: a constant 0
        pack_raw(np.array([[-8, 60, 8, -1]]), 3, LANES)


@pytest.mark.parametrize(
    "row, lane",
    [([1, 0, 0, 0], 0), ([0, 64, 0, 0], 1), ([0, 0, 0, 8], 3)],
    ids=["off-grid", "above-range", "overflow"],
)
def test_unrepresentable_value_is_named(row, lane):
    with pytest.raises(ValueError, match=f"vector 0\\) is not representable on lane {lane}"):
        pack_raw(np.array([row]), 3, LANES)
