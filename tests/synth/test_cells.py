"""Counting yosys's Xilinx primitives as LUT/FF/CARRY/DSP/BRAM."""

from __future__ import annotations

from trigger.synth.cells import classify, count_resources


def test_counts_group_primitives_like_a_utilisation_report():
    cells = {
        "LUT2": 10,
        "LUT6": 3,
        "INV": 2,
        "SRLC32E": 1,
        "FDRE": 20,
        "FDSE": 1,
        "CARRY4": 4,
        "DSP48E2": 2,
        "RAMB36E2": 1,
        "RAMB18E2": 3,
        "MUXF7": 5,
        "GND": 1,
        "VCC": 1,
        "MYSTERY": 7,
    }
    totals, other = count_resources(cells)
    assert totals == {"LUT": 16, "FF": 21, "CARRY": 4, "DSP": 2, "BRAM": 2.5, "URAM": 0, "MUXF": 5}
    assert other == {"MYSTERY": 7}  # never silently dropped; GND/VCC are not resources


def test_classify_is_exact_about_names():
    assert classify("LUT6_2") == ("LUT", 1.0)
    assert classify("LUT7") is None and classify("FDRE_X") is None
    assert classify("RAMB18E1") == ("BRAM", 0.5)
