"""Pipeline depth choice, register counting and the valid/reset top-level template."""

from __future__ import annotations

import pytest

from trigger.rtl.generate import ADDER_LEVEL_NS, RtlDesign, levels_per_stage, register_levels
from trigger.targets import resolve_part
from trigger.templates import render


@pytest.mark.parametrize("clock, part, levels", [(5.0, "xcvu9p", 6), (2.5, "xcvu9p", 3), (5.0, "xc7vx690t", 4)])
def test_levels_per_stage_follow_clock_and_family(clock, part, levels):
    got, level_ns = levels_per_stage(clock, resolve_part(part))
    assert got == levels and level_ns == ADDER_LEVEL_NS[resolve_part(part).yosys_family]


def test_a_very_fast_clock_still_gets_one_level():
    assert levels_per_stage(0.1, resolve_part("xcvu9p"))[0] == 1


def test_register_levels_counts_the_clocked_assignments():
    text = """
    always @(posedge clk) begin
        stage0_inp <= model_inp;
        stage1_inp <= stage0_out;
        model_out <= stage1_out;
    end
    assign x = a <= b;
    """
    assert register_levels(text) == 3


def _design(depth: int) -> RtlDesign:
    lanes = [dict(lane=0, lsb=0, msb=3, width=4, signed=True, int_bits=1, frac=2, lo=-2.0, hi=1.75)]
    return RtlDesign(
        module="m",
        top="m_top",
        depth=depth,
        stages=depth - 1,
        levels_per_stage=4,
        adder_level_ns=0.7,
        clock_ns=5.0,
        part="xcvu9p-flga2104-2L-e",
        in_width=4,
        out_width=4,
        in_lanes=lanes,
        out_lanes=[*lanes, dict(lane=1, lsb=4, msb=3, width=0, signed=False, int_bits=0, frac=0, lo=3.0, hi=3.0)],
        out_frac=2,
        compared_layer="out",
        sources=[],
    )


@pytest.mark.parametrize("depth", [1, 2, 7])
def test_top_level_valid_pipe_matches_depth(depth):
    text = render("rtl_top.v.j2", d=_design(depth), version="test")
    assert f"localparam integer LATENCY = {depth};" in text
    assert "module m_top (" in text and "m core (" in text
    assert ("valid_pipe[LATENCY-2:0]" in text) == (depth > 1)
    assert "lane 1: constant 3.0 (no bits)" in text
    assert "out_valid = valid_pipe[LATENCY-1]" in text


@pytest.mark.parametrize("name, module", [("jet_tagger", "jet_tagger"), ("small", "small_nn"), ("logic", "logic_nn")])
def test_module_names_avoid_verilog_keywords(name, module):
    from trigger.rtl.generate import verilog_module_name

    assert verilog_module_name(name) == module


def test_module_name_must_be_an_identifier():
    from trigger.rtl.generate import verilog_module_name

    with pytest.raises(ValueError, match="not a Verilog identifier"):
        verilog_module_name("3-layer")


def _lookup_design():
    """Two lookups of one table and one of another, in two pipeline stages."""
    import numpy as np
    from alkaid.trace import FVArrayInput, HWConfig, trace

    inp = FVArrayInput((2,), hwconf=HWConfig(1, -1, -1), solver_options={"hard_dc": 2})
    x = inp.quantize(1, 2, 2)
    t1, t2 = np.arange(32) * 0.25, (np.arange(32) % 5) * 0.5
    s = (x[0] + x[1]).quantize(1, 2, 2)
    return trace(inp, [x[0].lookup(t1), s.lookup(t1), s.lookup(t2)], keep_dead_inputs=True)


def test_table_modules_are_named_after_the_design_and_reproducible(tmp_path):
    """alkaid names table modules `table_<uuid4>` (random per write): the same design must give the same
    Verilog (the synthesis cache is keyed by it) and its tables must not collide with another design's."""
    import re

    from trigger.rtl.generate import write_rtl

    comb = _lookup_design()
    texts = []
    for run in ("a", "b"):
        design = write_rtl(comb, tmp_path / run, "net", 5.0, resolve_part("xcvu9p"), 2, "out", levels=1)
        src = tmp_path / run / "src"
        assert "src/net_tables.v" in design.sources and design.stages > 1
        texts.append({p.name: p.read_text() for p in sorted(src.glob("*.v"))})
    assert texts[0] == texts[1]
    tables = texts[0]["net_tables.v"]
    assert re.findall(r"^module (\w+)", tables, flags=re.MULTILINE) == ["net_table0", "net_table1"]
    used = {m for name, text in texts[0].items() if "_stage" in name for m in re.findall(r"\b(\w*table\w*) op_", text)}
    assert used == {"net_table0", "net_table1"}
