"""Max / average pooling (windowed 1D/2D, 'valid' and 'same', strides) and global pooling: alkaid's
emulation equals hls4ml's C simulation as raw integers on 1000 full-range vectors.

One float Keras model holds every configuration as a branch off one (6, 6, 2) input (the 1D ones after a
Reshape to (12, 6)), so one C simulation compile covers them all.  Per-layer types set rounding and
saturating result types and accumulators that are exact, round on every addition (RND, RND_CONV),
saturate, or wrap; average windows hold 2 to 36 cells (powers of two and not), with 'same' padding
cutting some of them.
"""

from __future__ import annotations

import numpy as np
import pytest
from layer_check import assert_rtl_equals_csim, c_simulated, raw_of

pytestmark = pytest.mark.slow

N_VECTORS = 1000
INPUT = "ap_fixed<12,4>"  # 8 fractional bits, range [-8, 8)
R = "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
TYPES = {
    "mp2": {"result": R},
    "mp2s": {"accum": "ap_fixed<9,2,AP_RND,AP_SAT>"},  # max in data_T, then Q_acc, then Q_res
    "relu": {"result": "ap_ufixed<8,3>"},
    "ap2": {"accum": "ap_fixed<16,6>", "result": R},  # exact sum, divided by 4
    "ap2s": {"accum": "ap_fixed<11,5,AP_RND_CONV,AP_SAT>"},  # every addition rounds and may saturate
    "ap2r": {"accum": "ap_fixed<14,5>", "result": "ap_fixed<10,4,AP_RND_ZERO,AP_SAT_SYM>"},  # sums wrap, / 6
    "gap2": {"accum": "ap_fixed<18,10>", "result": R},  # / 36
    "gmp2": {"result": "ap_fixed<8,3,AP_RND,AP_SAT>"},
    "mp1": {"result": R},
    "ap1": {"accum": "ap_fixed<16,6>", "result": R},  # / 3
    "ap1s": {"accum": "ap_fixed<12,5,AP_RND,AP_SAT>"},  # 5-cell windows cut to 3 and 4 by the padding
    "gap1": {"accum": "ap_fixed<16,8>"},  # / 12
    "gmp1": {"result": R},
}
# hls4ml class of each pooling layer; the ones not in TYPES keep the model's default types
# (gap2n: a global average whose accumulator is the default ap_fixed<12,4>: its sums wrap)
POOLS = {
    "mp2": "Pooling2D",
    "mp2s": "Pooling2D",
    "mp2u": "Pooling2D",
    "ap2": "Pooling2D",
    "ap2s": "Pooling2D",
    "ap2r": "Pooling2D",
    "gap2": "GlobalPooling2D",
    "gap2n": "GlobalPooling2D",
    "gmp2": "GlobalPooling2D",
    "mp1": "Pooling1D",
    "mp1s": "Pooling1D",
    "ap1": "Pooling1D",
    "ap1s": "Pooling1D",
    "gap1": "GlobalPooling1D",
    "gmp1": "GlobalPooling1D",
}

EXACT, WRAPPED, ROUNDED = "exact accumulation", "exact sum, wrapped once", "accum_t conversion after every addition"
AVERAGES = {
    "ap2": f"{EXACT}, / 4",
    "ap2s": f"{ROUNDED}, / 4; {ROUNDED}, / 6; {ROUNDED}, / 9",
    "ap2r": f"{WRAPPED}, / 6",
    "gap2": f"{EXACT}, / 36",
    "gap2n": f"{WRAPPED}, / 36",
    "ap1": f"{EXACT}, / 3",
    "ap1s": f"{ROUNDED}, / 3; {ROUNDED}, / 4; {ROUNDED}, / 5",
    "gap1": f"{EXACT}, / 12",
}


def _model(path):
    import tensorflow as tf

    L = tf.keras.layers
    x = tf.keras.Input((6, 6, 2), name="x")
    relu = L.Activation("relu", name="relu")(x)
    flat = L.Reshape((12, 6), name="flat")(x)
    outs = [
        L.MaxPooling2D(2, name="mp2")(x),
        L.MaxPooling2D(3, strides=2, padding="same", name="mp2s")(x),
        L.MaxPooling2D(3, strides=2, padding="same", name="mp2u")(relu),  # unsigned input
        L.AveragePooling2D(2, name="ap2")(x),
        L.AveragePooling2D(3, strides=2, padding="same", name="ap2s")(x),
        L.AveragePooling2D((2, 3), strides=(1, 2), name="ap2r")(x),
        L.GlobalAveragePooling2D(name="gap2")(x),
        L.GlobalAveragePooling2D(name="gap2n")(x),
        L.GlobalMaxPooling2D(name="gmp2")(x),
        L.MaxPooling1D(2, name="mp1")(flat),
        L.MaxPooling1D(3, strides=2, padding="same", name="mp1s")(flat),
        L.AveragePooling1D(3, name="ap1")(flat),
        L.AveragePooling1D(5, strides=2, padding="same", name="ap1s")(flat),
        L.GlobalAveragePooling1D(name="gap1")(flat),
        L.GlobalMaxPooling1D(name="gmp1")(flat),
    ]
    tf.keras.Model(x, outs, name="pools").save(path)
    return path


@pytest.fixture(scope="module")
def pools(tmp_path_factory):
    """(hls model, inputs, C simulation trace): one C simulation compile for every layer."""
    tmp = tmp_path_factory.mktemp("pools")
    return c_simulated(_model(tmp / "pools.h5"), tmp, INPUT, TYPES, N_VECTORS)


@pytest.mark.parametrize("layer", list(POOLS))
def test_pooling_rtl_equals_c_simulation(pools, layer):
    hm, x, trace = pools
    lay = hm.graph[layer]
    assert lay.class_name == POOLS[layer]
    convert = hm.config.backend.convert_precision_string
    for key, got in (("result", lay.get_output_variable().type), ("accum", lay.get_attr("accum_t"))):
        if key in TYPES.get(layer, {}):  # the config reached hls4ml
            assert str(got.precision) == str(convert(TYPES[layer][key]))
    info = assert_rtl_equals_csim(hm, x, [layer], trace)[layer]
    if layer in AVERAGES:  # how the sums were rebuilt, and the divisors
        assert info["accumulators"][layer]["mode"] == AVERAGES[layer]


def test_configurations_are_exercised(pools):
    """Padding cuts windows, accumulators saturate and wrap."""
    hm, x, trace = pools
    a, b = hm.graph["ap1s"], hm.graph["ap2s"]
    assert (a.get_attr("pad_left"), a.get_attr("pad_right")) == (1, 2)
    assert (b.get_attr("pad_top"), b.get_attr("pad_bottom"), b.get_attr("pad_left"), b.get_attr("pad_right")) == (
        0,
        1,
        0,
        1,
    )
    # gap2n's accumulator (the default ap_fixed<12,4>) wraps: its sum is off by multiples of 16, its mean by 16/36
    true_mean = x.reshape(N_VECTORS, 36, 2).mean(1)
    assert np.mean(np.abs(trace["gap2n"].reshape(N_VECTORS, 2) - true_mean) > 0.4) > 0.3
    # ap2s' accumulator saturates at +-16: a 3x3 window summing beyond that loses the excess
    window = x[:, :3, :3, :].sum((1, 2))
    big = np.abs(window) > 20
    assert big.sum() > 20
    first = trace["ap2s"].reshape(N_VECTORS, 3, 3, 2)[:, 0, 0, :]
    assert np.all(np.abs(first[big] - window[big] / 9) > 0.3)


def test_unsigned_same_max_pool_pads_with_half_the_range(pools):
    """hls4ml's pad_val<data_T, Max> sets only the top bit: for an unsigned input that is +2**(I-1), not the
    smallest value, so a 'same' max pool over ReLU outputs reads at least 4 (ap_ufixed<8,3>) wherever its
    window covers padding (Keras gives the window's max, e.g. 0).  The RTL rebuilds that."""
    hm, x, trace = pools
    y = trace["mp2u"].reshape(N_VECTORS, 3, 3, 2)
    assert y[:, 2, :].min() == 4.0 and y[:, :, 2].min() == 4.0  # the last row/column windows are padded
    assert y[:, :2, :2].min() == 0.0


def _mismatches(hm, x, trace, layer) -> int:
    from trigger.rtl.translate import trace_hls_model

    comb, _ = trace_hls_model(hm, layer)
    n = len(x)
    got = raw_of(hm, layer, comb.predict(x.reshape(n, -1)), n)
    return int((got != raw_of(hm, layer, trace[layer], n)).sum())


def _with_attrs(layer, **attrs):
    """Context: the hls4ml layer with some attributes changed (the trace only; the C simulation is done)."""
    from contextlib import contextmanager

    @contextmanager
    def ctx():
        old = {k: layer.get_attr(k) for k in attrs}
        for k, v in attrs.items():
            layer.set_attr(k, v)
        try:
            yield
        finally:
            for k, v in old.items():
                layer.set_attr(k, v)

    return ctx()


@pytest.mark.parametrize(
    "layer, attrs",
    [
        ("ap2", {"pool_op": "Max"}),  # wrong pool op
        ("mp1", {"pool_op": "Average"}),
        ("ap1s", {"pad_left": 2, "pad_right": 1}),  # windows off by one
        ("mp2s", {"pad_top": 1, "pad_bottom": 0}),
        ("ap2s", {"count_pad": True}),  # hls4ml divides by the cells inside the image only
        ("ap1", {"pool_width": 2}),  # a window one cell short (still 4 outputs)
        ("ap2r", {"stride_width": 3}),  # windows in the wrong place (still 2 columns)
    ],
)
def test_wrong_geometry_or_op_fails(pools, layer, attrs):
    hm, x, trace = pools
    with _with_attrs(hm.graph[layer], **attrs):
        assert _mismatches(hm, x, trace, layer) > 0


def test_floor_division_fails(pools, monkeypatch):
    """ap_fixed's `y /= length` truncates towards zero: a floor division differs on negative sums."""
    from trigger.rtl.layers import pooling

    hm, x, trace = pools
    exact = pooling.divide

    def floor_divide(layer, y, n, acc):  # floor(y / n) = trunc((y + c * n) / n) - c for y + c * n >= 0
        c = 2.0 ** (acc["i"] + 1)
        return exact(layer, y + c * n, n, acc) - c

    monkeypatch.setattr(pooling, "divide", floor_divide)
    assert _mismatches(hm, x, trace, "ap1s") > 0
    assert _mismatches(hm, x, trace, "gap1") > 0


def test_wrong_pad_value_fails(pools, monkeypatch):
    """Padding an unsigned max pool with 0 (what Keras means) differs from hls4ml."""
    from trigger.rtl.layers import pooling

    hm, x, trace = pools
    monkeypatch.setattr(pooling, "_pad_value", lambda precision: 0.0)
    assert _mismatches(hm, x, trace, "mp2u") > 0


@pytest.mark.parametrize(
    "layer, attrs, why",
    [
        ("ap2", {"data_format": "channels_first"}, "data_format channels_first"),
        ("gap1", {"data_format": "channels_first"}, "data_format channels_first"),
        ("mp2", {"pool_op": "L2Norm"}, "pool_op 'L2Norm'"),
        ("ap1", {"stride_width": 2}, r"loops give \(5, 6\) outputs, hls4ml's variable is \(4, 6\)"),
        ("ap1", {"pool_width": 13}, "window 13"),
    ],
)
def test_unsupported_configurations(pools, layer, attrs, why):
    from trigger.rtl.registry import Unsupported
    from trigger.rtl.translate import trace_hls_model

    hm, _, _ = pools
    with _with_attrs(hm.graph[layer], **attrs), pytest.raises(Unsupported, match=why):
        trace_hls_model(hm, layer)


def test_reciprocal_too_wide_is_unsupported(pools):
    """A division whose exact reciprocal constant needs more than alkaid's 24 significant bits is refused."""
    from hls4ml.model.types import FixedPrecisionType

    from trigger.rtl.registry import Unsupported
    from trigger.rtl.translate import trace_hls_model

    hm, _, _ = pools
    acc = hm.graph["gap2"].get_attr("accum_t")
    old = acc.precision
    acc.precision = FixedPrecisionType(40, 12, True)
    try:
        with pytest.raises(Unsupported, match=r"division by 36 .* reciprocal constant"):
            trace_hls_model(hm, "gap2")
    finally:
        acc.precision = old


def _deepset():
    """A tiny QKeras Deep Sets tagger: per-particle Dense (hls4ml: PointwiseConv1D), a mean over the 8
    particles, a gate multiplying the mean, and both concatenated into the logits (no softmax)."""
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    L = tf.keras.layers

    def dense(n, name):
        q = dict(kernel_quantizer=quantized_bits(4, 0, alpha=1), bias_quantizer=quantized_bits(4, 0, alpha=1))
        return QDense(n, name=name, **q)

    x = tf.keras.Input((8, 4), name="particles")
    phi = QActivation(quantized_relu(4, 2), name="phi_relu")(dense(5, "phi")(x))
    pooled = L.GlobalAveragePooling1D(name="pool")(phi)
    mixed = L.Multiply(name="mix")([pooled, dense(5, "gate")(pooled)])
    mixed = QActivation(quantized_bits(8, 3, alpha=1), name="mix_q")(mixed)
    out = dense(3, "out")(L.Concatenate(name="both")([mixed, pooled]))
    model = tf.keras.Model(x, out, name="deepset")
    rng = np.random.default_rng(2)
    model.set_weights([rng.integers(-8, 8, w.shape) / 8 for w in model.get_weights()])  # on the quantizers' grid
    return model


def test_deepset_compiles_end_to_end_with_cosim(tmp_path):
    """trigger.compile: emulation bit-exact against QKeras, RTL against the C simulation, and the Verilog
    under cocotb against both on 1000 vectors (pooling, Multiply and Concatenate in the RTL)."""
    import trigger

    opts = dict(force=True, n_vectors=1000, cosim=True, synth=False)
    prj = trigger.compile(_deepset(), target="xcvu9p", out=tmp_path / "prj", **opts)
    r = prj.report
    layers = {lay["name"]: lay["type"] for lay in r["rtl"]["layers"]}
    assert layers["pool"] == "GlobalPooling1D" and layers["mix"] == "Merge" and layers["both"] == "Concatenate"
    assert r["emulation"]["mode"] == "exact" and r["emulation"]["bit_exact"]
    assert r["rtl"]["check"]["bit_exact"] and r["rtl"]["check"]["n_vectors"] == 1000
    assert r["cosim"]["n_vectors"] == 1000 and r["cosim"]["mismatches"] == 0 and r["cosim"]["passed"]
