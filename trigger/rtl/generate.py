"""Pipelined Verilog of a traced design (alkaid) with trigger's valid/reset top level around it.

Pipeline depth: alkaid counts latency in adder levels (one carry-chain adder = 1 with the
configuration used here).  The number of levels per stage is chosen from the clock period with a
per-family delay per adder level (`ADDER_LEVEL_NS`, an estimate including routing; timing is only
closed by Vivado).  `levels_per_stage` can be given explicitly instead.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from alkaid.codegen import RTLModel
from alkaid.types import CombLogic

from trigger import __version__
from trigger.rtl.bus import bus_layout
from trigger.targets import Part
from trigger.templates import render

ADDER_LEVEL_NS = {"xcup": 0.7, "xcu": 0.8, "xc7": 1.0}
CLOCK_MARGIN = 0.1  # fraction of the period left for clock uncertainty
DESIGN_FILE = "design.json"
# IEEE 1364-2005 keywords and the SystemVerilog ones a simulator may also reserve.
VERILOG_KEYWORDS = frozenset(
    """always and assign automatic begin buf bufif0 bufif1 case casex casez cell cmos config deassign default
    defparam design disable edge else end endcase endconfig endfunction endgenerate endmodule endprimitive
    endspecify endtable endtask event for force forever fork function generate genvar highz0 highz1 if ifnone
    incdir include initial inout input instance integer join large liblist library localparam macromodule
    medium module nand negedge nmos nor noshowcancelled not notif0 notif1 or output parameter pmos posedge
    primitive pull0 pull1 pulldown pullup pulsestyle_onevent pulsestyle_ondetect rcmos real realtime reg
    release repeat rnmos rpmos rtran rtranif0 rtranif1 scalared showcancelled signed small specify specparam
    strong0 strong1 supply0 supply1 table task time tran tranif0 tranif1 tri tri0 tri1 triand trior trireg
    unsigned use uwire vectored wait wand weak0 weak1 while wire wor xnor xor
    alias always_comb always_ff always_latch assert assume before bind bins binsof bit break byte chandle
    class clocking const constraint context continue cover covergroup coverpoint cross dist do endclass
    endclocking endgroup endinterface endpackage endprogram endproperty endsequence enum expect export
    extends extern final first_match foreach forkjoin iff ignore_bins illegal_bins import inside int
    interface intersect join_any join_none local logic longint matches modport new null package packed
    priority program property protected pure rand randc randcase randsequence ref return sequence shortint
    shortreal solve static string struct super tagged this throughout timeprecision timeunit type typedef
    union unique var virtual void wait_order wildcard with within""".split()
)


@dataclass
class RtlDesign:
    """What a simulator, a synthesis script or a person needs to know about the written RTL."""

    module: str
    top: str
    depth: int
    stages: int
    levels_per_stage: int
    adder_level_ns: float | None
    clock_ns: float
    part: str
    in_width: int
    out_width: int
    in_lanes: list[dict]
    out_lanes: list[dict]
    out_frac: int
    compared_layer: str
    sources: list[str]
    estimate: dict = field(default_factory=dict)

    def save(self, rtl_dir: Path) -> None:
        (rtl_dir / DESIGN_FILE).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, rtl_dir: Path) -> RtlDesign:
        return cls(**json.loads((rtl_dir / DESIGN_FILE).read_text()))


def levels_per_stage(clock_ns: float, part: Part) -> tuple[int, float]:
    """Adder levels that fit in one clock period on `part` (at least 1), and the delay assumed per level."""
    level_ns = ADDER_LEVEL_NS[part.yosys_family]
    return max(1, math.floor(clock_ns * (1 - CLOCK_MARGIN) / level_ns)), level_ns


def verilog_module_name(name: str) -> str:
    """`name` as a Verilog module name: a legal identifier that is not a keyword (`small` -> `small_nn`)."""
    if not re.fullmatch(r"[A-Za-z_]\w*", name):
        raise ValueError(f"{name!r} is not a Verilog identifier")
    return f"{name}_nn" if name.lower() in VERILOG_KEYWORDS else name


def register_levels(top_verilog: str) -> int:
    """Register levels of alkaid's pipeline top: the non-blocking assignments in its clocked block."""
    return len(re.findall(r"^\s*\w+(?:\[[^\]]*\])?\s*<=", top_verilog, flags=re.MULTILINE))


def write_rtl(
    comb: CombLogic,
    rtl_dir: Path,
    name: str,
    clock_ns: float,
    part: Part,
    out_frac: int,
    compared_layer: str,
    levels: int | None = None,
) -> RtlDesign:
    """Write alkaid's pipelined Verilog to rtl_dir/src and trigger's top level `<name>_top` beside it."""
    module = verilog_module_name(name)
    level_ns: float | None = None
    if levels is None:
        levels, level_ns = levels_per_stage(clock_ns, part)
    model = RTLModel(
        comb, rtl_dir, module, flavor="verilog", latency_cutoff=levels, clock_period=clock_ns, part_name=part.part
    )
    model.write()
    stages = len(model.fsm.logic)
    src = rtl_dir / "src"
    _prefix_stage_modules(src, module, stages)
    _name_table_modules(src, module, stages)
    depth = register_levels((src / f"{module}.v").read_text())
    if depth != stages + 1:
        raise RuntimeError(f"{src / module}.v: expected {stages + 1} register levels, found {depth}")
    in_lanes, out_lanes = bus_layout(list(comb.inp_qint)), bus_layout(list(comb.out_qint))
    in_width, out_width = sum(ln["width"] for ln in in_lanes), sum(ln["width"] for ln in out_lanes)
    if in_width == 0 or out_width == 0:
        raise RuntimeError(f"{name}: the traced design has an empty {'input' if in_width == 0 else 'output'} bus")
    top = f"{module}_top"
    design = RtlDesign(
        module=module,
        top=top,
        depth=depth,
        stages=stages,
        levels_per_stage=int(levels),
        adder_level_ns=level_ns,
        clock_ns=clock_ns,
        part=part.part,
        in_width=in_width,
        out_width=out_width,
        in_lanes=in_lanes,
        out_lanes=out_lanes,
        out_frac=out_frac,
        compared_layer=compared_layer,
        sources=_sources(rtl_dir, module, top),
        estimate={"LUT": float(comb.cost), "FF": int(model.reg_bits), "source": "estimate (alkaid cost model)"},
    )
    (src / f"{top}.v").write_text(render("rtl_top.v.j2", d=design, version=__version__))
    design.save(rtl_dir)
    return design


def _prefix_stage_modules(src: Path, module: str, stages: int) -> None:
    """Rename alkaid's stage modules `logic<k>` (the same names in every design) to `<module>_stage<k>`,
    so that two trigger designs can be simulated or synthesised together."""
    top = src / f"{module}.v"
    text = top.read_text()
    for k in range(stages):
        old = src / f"logic{k}.v"
        body, n = re.subn(rf"^module logic{k}\b", f"module {module}_stage{k}", old.read_text(), flags=re.MULTILINE)
        instance = rf"^(\s*)logic{k}(\s+_inst_logic{k}\b)"
        text, m = re.subn(instance, rf"\g<1>{module}_stage{k}\2", text, flags=re.MULTILINE)
        if n != 1 or m != 1:
            raise RuntimeError(f"{old}: alkaid's stage module logic{k} not found where expected")
        (src / f"{module}_stage{k}.v").write_text(body)
        old.unlink()
    top.write_text(text)


def _name_table_modules(src: Path, module: str, stages: int) -> None:
    """Rename alkaid's lookup-table modules (`table_<uuid4>` in `src/<module>_tables.v`, random on every
    write) to `<module>_table<k>`: the same model gives the same Verilog (the synthesis cache is keyed by
    it), and two designs' tables cannot collide."""
    tables = src / f"{module}_tables.v"
    if not tables.is_file():
        return
    text = tables.read_text()
    names = re.findall(r"^module (table_[0-9A-Za-z_]+)\b", text, flags=re.MULTILINE)
    renames = {old: f"{module}_table{k}" for k, old in enumerate(names)}
    if not renames:
        return
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, renames)) + r")\b")
    for path in [tables, *(src / f"{module}_stage{k}.v" for k in range(stages))]:
        path.write_text(pattern.sub(lambda m: renames[m.group(1)], path.read_text()))


def _sources(rtl_dir: Path, module: str, top: str) -> list[str]:
    """Verilog files of the design in compile order, relative to rtl_dir (alkaid's own wrapper left out)."""
    src = rtl_dir / "src"
    static = sorted(p.relative_to(rtl_dir).as_posix() for p in (src / "static").glob("*.v"))
    stages = sorted((p for p in src.glob(f"{module}_stage*.v")), key=lambda p: int(p.stem.rsplit("stage", 1)[1]))
    tables = [f"src/{module}_tables.v"] if (src / f"{module}_tables.v").is_file() else []
    return [*static, *tables, *(p.relative_to(rtl_dir).as_posix() for p in stages), f"src/{module}.v", f"src/{top}.v"]
