"""ZeroPadding1D / ZeroPadding2D: the RTL emulation equals hls4ml's C simulation.

One float Keras model (input 3x4x2, `ap_fixed<10,3>`): paddings straight on the input and after a 1x1
convolution whose result type rounds and saturates (hls4ml gives a ZeroPadding its input's type, so these
are the two precisions a padding sees), 2-D and, on a reshape, 1-D, with asymmetric pads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layer_check import assert_rtl_equals_csim, c_simulated

pytestmark = pytest.mark.slow

N_VECTORS = 1000
INPUT = "ap_fixed<10,3>"
OVERRIDES = {
    "pre2": dict(weight="ap_fixed<8,3>", bias="ap_fixed<8,3>", result="ap_fixed<6,2,AP_RND_CONV,AP_SAT>"),
    "pre1": dict(weight="ap_fixed<8,3>", bias="ap_fixed<8,3>", result="ap_fixed<8,4,AP_RND,AP_SAT_SYM>"),
    "zp2_in": dict(result="ap_fixed<6,2,AP_RND,AP_SAT>"),  # hls4ml ignores it: the output keeps the input type
}
# hls4ml keeps the Conv's linear activation as a layer of its own (with its own result type)
OVERRIDES |= {f"{n}_linear": dict(result=OVERRIDES[n]["result"]) for n in ("pre2", "pre1")}
PADDINGS = {"zp2_in": "ZeroPadding2D", "zp2_after": "ZeroPadding2D", "zp1_in": "ZeroPadding1D"}
PADDINGS["zp1_after"] = "ZeroPadding1D"
PAD2, PAD1 = ((0, 0), (1, 2), (0, 1), (0, 0)), ((0, 0), (2, 1), (0, 0))  # numpy pads of zp2_in, zp1_in


def _model(path: Path) -> Path:
    import tensorflow as tf

    L = tf.keras.layers
    inp = tf.keras.Input((3, 4, 2), name="img")
    seq = L.Reshape((12, 2), name="seq")(inp)
    pre2, pre1 = L.Conv2D(2, 1, name="pre2"), L.Conv1D(3, 1, name="pre1")
    outs = [
        L.ZeroPadding2D(((1, 2), (0, 1)), name="zp2_in")(inp),
        L.ZeroPadding2D(((2, 0), (1, 1)), name="zp2_after")(pre2(inp)),
        L.ZeroPadding1D((2, 1), name="zp1_in")(seq),
        L.ZeroPadding1D((0, 3), name="zp1_after")(pre1(seq)),
    ]
    model = tf.keras.Model(inp, outs, name="pads")
    rng = np.random.default_rng(2)
    for layer in (pre2, pre1):
        w, b = layer.get_weights()
        layer.set_weights([rng.integers(-8, 9, w.shape) / 8.0, rng.integers(-16, 17, b.shape) / 16.0])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def pads(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pads")
    return c_simulated(_model(tmp / "pads.h5"), tmp, INPUT, OVERRIDES, N_VECTORS)


@pytest.mark.parametrize("layer", list(PADDINGS))
def test_padding_rtl_equals_c_simulation(pads, layer):
    hm, x, trace = pads
    lay = hm.graph[layer]
    assert lay.class_name == PADDINGS[layer]
    src = lay.get_input_variable().type.precision
    assert str(lay.get_output_variable().type.precision) == str(src)  # the result override did not apply
    assert_rtl_equals_csim(hm, x, [layer], trace)


def test_c_simulation_pads_like_numpy(pads):
    hm, x, trace = pads
    np.testing.assert_array_equal(np.asarray(trace["zp2_in"]).reshape(-1, 6, 5, 2), np.pad(x, PAD2))
    np.testing.assert_array_equal(np.asarray(trace["zp1_in"]).reshape(-1, 15, 2), np.pad(x.reshape(-1, 12, 2), PAD1))


def test_the_paddings_see_a_rounding_saturating_type(pads):
    hm, _, trace = pads
    assert str(hm.graph["zp2_after"].get_input_variable().type.precision) == "fixed<6,2,RND_CONV,SAT,0>"
    assert str(hm.graph["zp1_after"].get_input_variable().type.precision) == "fixed<8,4,RND,SAT_SYM,0>"
    after = np.asarray(trace["zp2_after"])
    assert (after == 2 - 2**-4).sum() > 100 and (after == -2).sum() > 100  # saturated values pass through


SWAPS = [("zp2_after", ("pad_top", "pad_bottom")), ("zp1_in", ("pad_left", "pad_right"))]


@pytest.mark.parametrize("layer, attrs", SWAPS)
def test_swapped_pads_fail_the_comparison(pads, layer, attrs):
    """The same output shape with the pads swapped (in the traced graph only) is caught."""
    hm, x, trace = pads
    lay = hm.graph[layer]
    a, b = (lay.get_attr(n) for n in attrs)
    assert a != b
    lay.set_attr(attrs[0], b)
    lay.set_attr(attrs[1], a)
    try:
        with pytest.raises(AssertionError, match=f"layer {layer}"):
            assert_rtl_equals_csim(hm, x, [layer], trace)
    finally:
        lay.set_attr(attrs[0], a)
        lay.set_attr(attrs[1], b)


def test_io_stream_padding_is_refused(tmp_path):
    """io_stream: hls4ml inserts a ZeroPadding2D before a 'same' Conv2D (nnet_padding_stream.h); refused."""
    import tensorflow as tf

    from trigger.frontends import load_model
    from trigger.hls import build_config, convert
    from trigger.options import CompileOptions
    from trigger.rtl.translate import Unsupported, trace_hls_model
    from trigger.targets import resolve_part

    inp = tf.keras.Input((4, 4, 2), name="img")
    tf.keras.Model(inp, tf.keras.layers.Conv2D(2, 3, padding="same", name="conv")(inp)).save(tmp_path / "s.h5")
    src = load_model(tmp_path / "s.h5")
    opts = CompileOptions(model=src.path, part=resolve_part("xcvu9p"), output_dir=tmp_path / "x", io_type="io_stream")
    hm = convert(src, build_config(src, opts), opts, tmp_path / "hls")
    assert hm.graph["zp2d_conv"].class_name == "ZeroPadding2D"
    with pytest.raises(Unsupported, match=r"zp2d_conv ZeroPadding2D not supported \(IOType io_stream"):
        trace_hls_model(hm, "zp2d_conv")
