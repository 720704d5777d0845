"""The RTL stage's own check (da4ml emulation vs C simulation) fails loudly, and the depth follows the option."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hls_model_of

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def jet(jet_files, tmp_path_factory):
    from trigger.emulation import compare_point
    from trigger.fixed import from_hls_precision
    from trigger.vectors import generate

    hm = hls_model_of(jet_files.h5, tmp_path_factory.mktemp("jet_hls"))
    point = compare_point(hm)
    in_var = hm.get_input_variables()[0]
    x = generate(from_hls_precision(in_var.type.precision), tuple(in_var.shape), 300, seed=9).x
    _, trace = hm.trace(x)
    return hm, point, x, point.ftype.to_raw(trace[point.layer])[0]


def test_rtl_check_names_the_first_differing_vector_and_lane(jet, tmp_path):
    from trigger.rtl.build import build_rtl
    from trigger.targets import resolve_part

    hm, point, x, expected = jet
    wrong = expected.copy()
    wrong[5, 2] += 1  # as if the C simulation had said one LSB more
    block, failures = build_rtl(hm, point, x, wrong, tmp_path / "rtl", "jet_tagger", 5.0, resolve_part("xcvu9p"))
    assert not block["passed"] and not block["check"]["bit_exact"]
    assert block["check"]["first_mismatch"] == {
        "vector": 5,
        "lane": 2,
        "expected_raw": int(wrong[5, 2]),
        "got_raw": int(expected[5, 2]),
    }
    assert len(failures) == 1 and "1 of 300 vectors; first at vector 5 lane 2" in failures[0]
    assert (tmp_path / "rtl" / "src" / "jet_tagger_top.v").exists()  # still written, for inspection


def test_pipeline_depth_follows_levels_per_stage(jet, tmp_path):
    from trigger.rtl.build import build_rtl
    from trigger.targets import resolve_part

    hm, point, x, expected = jet
    part = resolve_part("xcvu9p")
    default, _ = build_rtl(hm, point, x, expected, tmp_path / "a", "jet_tagger", 5.0, part)
    deep, _ = build_rtl(hm, point, x, expected, tmp_path / "b", "jet_tagger", 5.0, part, levels=2)
    assert default["passed"] and deep["passed"]
    assert default["pipelining"]["levels_per_stage"] == 6 and deep["pipelining"]["levels_per_stage"] == 2
    assert deep["pipelining"]["basis"] == "given"
    assert deep["stages"] > default["stages"] >= 2
    for block in (default, deep):
        assert block["latency_cycles"] == block["stages"] + 1
    np.testing.assert_array_equal(block["check"]["n_vectors"], 300)
