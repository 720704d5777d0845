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


def resolve_part(name: str) -> Part:
    """Look up a short name (`xcvu9p`) or a full part string (`xcvu9p-flgb2104-2-i`).

    A full part string keeps its package/speed grade; the totals come from its device.
    """
    key = name.strip().lower()
    if key in PARTS:
        return PARTS[key]
    for short in sorted(PARTS, key=len, reverse=True):
        if key.startswith(short):
            base = PARTS[short]
            return Part(**{**asdict(base), "part": name.strip()})
    raise InputError(
        f"unknown target part '{name}'. Known parts: {', '.join(known_parts())} "
        "(short names, or a full part string such as xcvu9p-flga2104-2L-e)."
    )
