"""The resources block: yosys counts or alkaid's estimate against the part, and the fits verdict."""

from __future__ import annotations

from trigger.report.resources import fits_failure, resources_block
from trigger.targets import resolve_part

TOTALS = resolve_part("xcvu9p").totals()
SYNTH = {
    "counts": {"LUT": 59_000, "FF": 10_500, "CARRY": 14_000, "DSP": 0, "BRAM": 0, "URAM": 0, "MUXF": 60},
    "logic_depth": 21,
    "version": "Yosys 0.23",
    "command": "synth_xilinx -family xcup -flatten -noiopad -noclkbuf",
}
RTL = {"estimate": {"LUT": 58911.5, "FF": 11286, "source": "estimate (alkaid cost model)"}}


def test_yosys_counts_with_utilisation_of_the_part():
    block = resources_block(SYNTH, RTL, TOTALS)
    assert block["source"] == "yosys" and block["LUT"] == 59_000 and block["CARRY"] == 14_000
    assert block["utilization"] == {
        "LUT": round(59_000 / 1_182_240, 6),
        "FF": round(10_500 / 2_364_480, 6),
        "DSP": 0.0,
        "BRAM": 0.0,
    }
    assert block["fits"] and fits_failure(block, "xcvu9p") is None
    assert block["estimate"] == {"LUT": 58912, "FF": 11286, "source": "estimate", "model": "alkaid cost model"}


def test_estimate_when_synthesis_did_not_run_says_so():
    block = resources_block({"skipped": "--no-synth"}, RTL, TOTALS)
    assert block["source"] == "estimate" and "--no-synth" in block["note"]
    assert block["DSP"] is None and set(block["utilization"]) == {"LUT", "FF"}


def test_does_not_fit_names_the_resource_and_the_part():
    small = resolve_part("xc7a35t").totals()
    block = resources_block(SYNTH, RTL, small)
    assert not block["fits"]
    message = fits_failure(block, "xc7a35t")
    assert message == "resources: the design does not fit xc7a35t: LUT 59,000 of 20,800 (283.7%) (yosys)."


def test_nothing_to_count_without_rtl():
    block = resources_block({"skipped": "--no-synth"}, {"skipped": "--no-rtl"}, TOTALS)
    assert "--no-rtl" in block["skipped"] and fits_failure(block, "xcvu9p") is None
