"""FPGA part catalog and default Level-1 latency budgets.

Resource totals are from the vendor data sheets:
  * Virtex UltraScale+ (VU9P, VU13P, VU19P) and Kintex UltraScale+ (KU15P): AMD DS890
    "UltraScale Architecture and Product Data Sheet: Overview", tables for Virtex/Kintex UltraScale+.
  * Kintex UltraScale (KU115): AMD DS890, Kintex UltraScale table.
  * Zynq UltraScale+ MPSoC (ZU9EG): AMD DS891 "Zynq UltraScale+ MPSoC Data Sheet: Overview".
  * Virtex-7 (VX690T) and Artix-7 (A35T, a small part for development boards): AMD DS180
    "7 Series FPGAs Data Sheet: Overview" (LUTs = 4 x slices).
BRAM counts are 36 Kb block RAMs.

Latency budgets.  The total L1 latencies are public design figures:
  * CMS Phase-2 Level-1 trigger: 12.5 us total (CMS Phase-2 L1 TDR, CERN-LHCC-2020-004).
  * ATLAS Phase-2 Level-0 trigger: 10 us total (ATLAS TDAQ Phase-2 TDR, CERN-LHCC-2017-020).
  * CMS Run-3 (Phase-1) Level-1 trigger: about 4 us total (CMS L1 upgrade TDR, CERN-LHCC-2013-011).
A single network is one algorithm inside that chain, so the *default algorithm budget* used here is
this project's convention, not a published number: 1 us for a Phase-2-era UltraScale(+) part and
500 ns for a Run-3-era Virtex-7 part.  Pass `--latency-budget-ns` for your own slot.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from trigger.errors import InputError


@dataclass(frozen=True)
class Part:
    """One FPGA device with its default package/speed grade and resource totals."""

    short: str
    part: str
    family: str
    yosys_family: str
    LUT: int
    FF: int
    DSP: int
    BRAM: int
    budget_ns: float
    budget_source: str

    def totals(self) -> dict[str, int]:
        """Resource totals keyed like report.json's `resources` block."""
        return {"LUT": self.LUT, "FF": self.FF, "DSP": self.DSP, "BRAM": self.BRAM}

    def to_dict(self) -> dict:
        """Plain dictionary for report.json and the manifest."""
        return asdict(self)


_PHASE2 = (
    "project default 1 us algorithm slot within the CMS Phase-2 L1 trigger (12.5 us total, "
    "CERN-LHCC-2020-004) / ATLAS Phase-2 L0 (10 us total, CERN-LHCC-2017-020)"
)
_RUN3 = "project default 500 ns algorithm slot within the CMS Run-3 L1 trigger (~4 us total, CERN-LHCC-2013-011)"

PARTS: dict[str, Part] = {
    p.short: p
    for p in (
        Part(
            "xcvu9p",
            "xcvu9p-flga2104-2L-e",
            "Virtex UltraScale+",
            "xcup",
            1_182_240,
            2_364_480,
            6_840,
            2_160,
            1000.0,
            _PHASE2,
        ),
        Part(
            "xcvu13p",
            "xcvu13p-flga2577-2-e",
            "Virtex UltraScale+",
            "xcup",
            1_728_000,
            3_456_000,
            12_288,
            2_688,
            1000.0,
            _PHASE2,
        ),
        Part(
            "xcvu19p",
            "xcvu19p-fsva3824-2-e",
            "Virtex UltraScale+",
            "xcup",
            4_085_760,
            8_171_520,
            3_840,
            2_160,
            1000.0,
            _PHASE2,
        ),
        Part(
            "xcku15p",
            "xcku15p-ffva1760-2-e",
            "Kintex UltraScale+",
            "xcup",
            522_720,
            1_045_440,
            1_968,
            984,
            1000.0,
            _PHASE2,
        ),
        Part(
            "xcku115",
            "xcku115-flvb2104-2-e",
            "Kintex UltraScale",
            "xcu",
            663_360,
            1_326_720,
            5_520,
            2_160,
            1000.0,
            _PHASE2,
        ),
        Part(
            "xczu9eg",
            "xczu9eg-ffvb1156-2-e",
            "Zynq UltraScale+ MPSoC",
            "xcup",
            274_080,
            548_160,
            2_520,
            912,
            1000.0,
            _PHASE2,
        ),
        Part("xc7a35t", "xc7a35tcsg324-1", "Artix-7", "xc7", 20_800, 41_600, 90, 50, 500.0, _RUN3),
        Part("xc7vx690t", "xc7vx690tffg1927-2", "Virtex-7", "xc7", 433_200, 866_400, 3_600, 1_470, 500.0, _RUN3),
    )
}


def known_parts() -> list[str]:
    """Short names of every catalogued part."""
    return sorted(PARTS)


# AMD part-name grammar (Vivado's `get_parts` names), lower case except the voltage letter of the speed grade.
# UltraScale(+) / Zynq US+: <device>-<package><pins>-<speed>[L|LV|H|HV]-<temperature>, e.g. xcvu9p-flga2104-2L-e.
_ULTRASCALE_PART = re.compile(r"(?P<device>xc[a-z0-9]+)-[a-z]{4}\d{3,4}-[1-3](?:L|LV|H|HV)?-[eicq]")
# 7 series: <device>[i]<package><pins>-<speed>[L|LI], e.g. xc7a35tcsg324-1, xc7vx690tffg1927-2.
_SERIES7_PART = re.compile(r"(?P<device>xc7[a-z]+\d+t)i?[a-z]{2,4}\d{3,4}-[1-3](?:L|LI)?")


def _device_of(part: str) -> str | None:
    """The catalogued device a full part string names, or None if it does not follow the grammar."""
    for grammar in (_ULTRASCALE_PART, _SERIES7_PART):
        m = grammar.fullmatch(part)
        if m and m["device"] in PARTS:
            return m["device"]
    return None


def resolve_part(name: str) -> Part:
    """Look up a short name (`xcvu9p`) or a full part string (`xcvu9p-flgb2104-2-i`).

    A full part string keeps its package/speed grade; the totals come from its device.  The string
    reaches the generated Tcl scripts, so it must follow the AMD part-name grammar of a catalogued
    device exactly (no other characters); anything else is refused with the list of known parts.
    """
    text = name.strip()
    if text.lower() in PARTS:
        return PARTS[text.lower()]
    device = _device_of(text)
    if device is not None:
        return Part(**{**asdict(PARTS[device]), "part": text})
    raise InputError(
        f"unknown target part {name!r}. Known parts: {', '.join(known_parts())} "
        "(short names, or a full part string of one of them such as xcvu9p-flga2104-2L-e or xc7a35tcsg324-1)."
    )
