"""The RTL stage's own check (alkaid emulation vs C simulation) covers the whole network (softmax included) or falls
back to the compare point, fails loudly, and the depth follows the option."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import hls_model_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jet(jet_files, tmp_path_factory):
    """The jet tagger's hls4ml model, compare point (the logits), 300 vectors, and the C simulation's raw
    integers at the compare point and at the output (the softmax)."""
    from trigger.emulation import compare_point
    from trigger.fixed import from_hls_precision
    from trigger.vectors import generate

    hm = hls_model_of(jet_files.h5, tmp_path_factory.mktemp("jet_hls"))
    point = compare_point(hm)
    in_var = hm.get_input_variables()[0]
    x = generate(from_hls_precision(in_var.type.precision), tuple(in_var.shape), 300, seed=9).x
    _, trace = hm.trace(x)
    out = from_hls_precision(hm.graph["softmax"].get_output_variable().type.precision)
    final = out.to_raw(trace["softmax"].reshape(len(x), -1))[0]
    return hm, point, x, point.ftype.to_raw(trace[point.layer])[0], final


def test_rtl_covers_the_softmax_and_checks_the_network_output(jet, tmp_path):
    from trigger.rtl.build import build_rtl
    from trigger.targets import resolve_part

    hm, point, x, expected, final = jet
    assert point.layer == "output" and point.approximate_layers == ["softmax"]
    part = resolve_part("xcvu9p")
    block, failures = build_rtl(hm, point, x, expected, tmp_path / "rtl", "jet_tagger", 5.0, part, final_raw=final)
    assert block["passed"] and failures == [] and block["check"]["layer"] == "softmax"
    assert block["covers"] == "inputs -> softmax" and block["not_in_rtl"] == [] and block["not_in_rtl_reason"] is None
    assert block["layers"][-1]["name"] == "softmax"
    design = json.loads((tmp_path / "rtl" / "design.json").read_text())
    assert "src/jet_tagger_tables.v" in design["sources"]  # alkaid's lookup-table modules are compiled too
    assert design["compared_layer"] == "softmax"


def test_rtl_falls_back_to_the_compare_point_when_the_softmax_is_unsupported(jet, tmp_path, monkeypatch):
    """A trailing lookup-table layer the translation cannot take: the RTL ends at the logits, as before."""
    from trigger.rtl import registry
    from trigger.rtl.build import build_rtl
    from trigger.targets import resolve_part

    def refuse(layer, inputs, ctx):
        raise registry.Unsupported(layer.name, layer.class_name, "for this test")

    monkeypatch.setitem(registry.HANDLERS, "Softmax", refuse)
    hm, point, x, expected, final = jet
    part = resolve_part("xcvu9p")
    block, failures = build_rtl(hm, point, x, expected, tmp_path / "rtl", "jet_tagger", 5.0, part, final_raw=final)
    assert block["passed"] and failures == [] and block["check"]["layer"] == "output"
    assert block["covers"] == "inputs -> output" and block["not_in_rtl"] == ["softmax"]
    assert block["not_in_rtl_reason"] == "softmax Softmax not supported (for this test)"


def test_rtl_check_names_the_first_differing_vector_and_lane(jet, tmp_path):
    from trigger.rtl.build import build_rtl
    from trigger.targets import resolve_part

    hm, point, x, expected, final = jet
    wrong = final.copy()
    wrong[5, 2] += 1  # as if the C simulation had said one LSB more
    part = resolve_part("xcvu9p")
    block, failures = build_rtl(hm, point, x, expected, tmp_path / "rtl", "jet_tagger", 5.0, part, final_raw=wrong)
    assert not block["passed"] and not block["check"]["bit_exact"]
    assert block["check"]["first_mismatch"] == {
        "vector": 5,
        "lane": 2,
        "expected_raw": int(wrong[5, 2]),
        "got_raw": int(final[5, 2]),
    }
    assert len(failures) == 1 and "at layer softmax: 1 of 300 vectors; first at vector 5 lane 2" in failures[0]
    assert (tmp_path / "rtl" / "src" / "jet_tagger_top.v").exists()  # still written, for inspection


def test_pipeline_depth_follows_levels_per_stage(jet, tmp_path):
    from trigger.rtl.build import build_rtl
    from trigger.targets import resolve_part

    hm, point, x, expected, final = jet
    part = resolve_part("xcvu9p")
    default, _ = build_rtl(hm, point, x, expected, tmp_path / "a", "jet_tagger", 5.0, part, final_raw=final)
    deep, _ = build_rtl(hm, point, x, expected, tmp_path / "b", "jet_tagger", 5.0, part, levels=2, final_raw=final)
    assert default["passed"] and deep["passed"]
    assert default["pipelining"]["levels_per_stage"] == 6 and deep["pipelining"]["levels_per_stage"] == 2
    assert deep["pipelining"]["basis"] == "given"
    assert deep["stages"] > default["stages"] >= 2
    for block in (default, deep):
        assert block["latency_cycles"] == block["stages"] + 1
    np.testing.assert_array_equal(block["check"]["n_vectors"], 300)
