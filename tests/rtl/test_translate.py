"""da4ml's emulation of the translated design equals hls4ml's C simulation bit for bit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _hls_model(model_file: Path, tmp: Path):
    from trigger.frontends import load_model
    from trigger.hls import build_config, convert
    from trigger.options import CompileOptions
    from trigger.targets import resolve_part

    src = load_model(model_file)
    opts = CompileOptions(model=src.path, part=resolve_part("xcvu9p"), output_dir=tmp / "unused")
    return convert(src, build_config(src, opts), opts, tmp / "hls")


@pytest.mark.parametrize("which, layer", [("jet", "output"), ("ae", "reconstruction")])
def test_da4ml_emulation_equals_c_simulation(which, layer, jet_files, ae_files, tmp_path):
    from trigger.emulation import compare_point
    from trigger.fixed import from_hls_precision
    from trigger.rtl.bus import bus_layout, pack, unpack
    from trigger.rtl.translate import trace_hls_model
    from trigger.vectors import generate

    hm = _hls_model((jet_files if which == "jet" else ae_files).h5, tmp_path)
    point = compare_point(hm)
    assert point.layer == layer
    in_var = hm.get_input_variables()[0]
    x = generate(from_hls_precision(in_var.type.precision), tuple(in_var.shape), 2000, seed=3).x
    _, trace = hm.trace(x)
    comb, info = trace_hls_model(hm, point.layer)
    assert set(info["accumulators"]) == {lay.name for lay in hm.get_layers() if lay.class_name == "Dense"}
    expected = point.ftype.to_raw(trace[point.layer])
    got = point.ftype.to_raw(comb.predict(x))
    assert expected[1].all() and got[1].all()
    np.testing.assert_array_equal(got[0], expected[0])
    # the bus packing used to drive RTL round-trips the input vectors exactly
    lanes = bus_layout(comb.inp_qint)
    np.testing.assert_array_equal(unpack(pack(x[:50], lanes), lanes), x[:50])


def test_unsupported_layer_is_named(jet_files, tmp_path):
    from trigger.rtl.translate import trace_hls_model

    hm = _hls_model(jet_files.h5, tmp_path)
    with pytest.raises(NotImplementedError, match="softmax.*Softmax"):
        trace_hls_model(hm, "softmax")
