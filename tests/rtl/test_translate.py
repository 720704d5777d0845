"""alkaid's emulation of the translated design equals hls4ml's C simulation bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import hls_model_of

pytestmark = pytest.mark.slow


def _assert_exact_against_c_simulation(hm, n: int = 2000, seed: int = 3):
    """Trace up to the compare point; alkaid's emulation must equal the C simulation there, raw integers."""
    from trigger.emulation import compare_point
    from trigger.fixed import from_hls_precision
    from trigger.rtl.translate import trace_hls_model
    from trigger.vectors import generate

    point = compare_point(hm)
    in_var = hm.get_input_variables()[0]
    x = generate(from_hls_precision(in_var.type.precision), tuple(in_var.shape), n, seed=seed).x
    _, trace = hm.trace(x)
    comb, info = trace_hls_model(hm, point.layer)
    expected, on_grid = point.ftype.to_raw(trace[point.layer])
    got, got_on_grid = point.ftype.to_raw(comb.predict(x))
    assert on_grid.all() and got_on_grid.all()
    np.testing.assert_array_equal(got, expected)
    assert len(np.unique(expected)) > 20
    return comb, info, x


@pytest.mark.parametrize("which, layer", [("jet", "output"), ("ae", "reconstruction")])
def test_alkaid_emulation_equals_c_simulation(which, layer, jet_files, ae_files, tmp_path):
    from trigger.emulation import compare_point
    from trigger.fixed import from_hls_precision
    from trigger.rtl.bus import bus_layout, pack_raw, unpack_raw

    hm = hls_model_of((jet_files if which == "jet" else ae_files).h5, tmp_path)
    assert compare_point(hm).layer == layer
    comb, info, x = _assert_exact_against_c_simulation(hm)
    assert set(info["accumulators"]) == {lay.name for lay in hm.get_layers() if lay.class_name == "Dense"}
    assert {rec["mode"] for rec in info["accumulators"].values()} == {"exact accumulation (CMVM)"}
    # the bus packing used to drive RTL round-trips the input vectors exactly
    lanes = bus_layout(comb.inp_qint)
    in_type = from_hls_precision(hm.get_input_variables()[0].type.precision)
    raw = in_type.to_raw(x[:50])[0]
    np.testing.assert_array_equal(unpack_raw(pack_raw(raw, in_type.frac, lanes), lanes, in_type.frac), raw)


def test_unsupported_layer_is_named(tmp_path):
    import tensorflow as tf

    from trigger.rtl.translate import Unsupported, trace_hls_model

    inp = tf.keras.Input((4,))
    out = tf.keras.layers.Activation("softsign", name="soft")(tf.keras.layers.Dense(3, name="d")(inp))
    tf.keras.Model(inp, out).save(tmp_path / "m.h5")
    hm = hls_model_of(tmp_path / "m.h5", tmp_path)
    with pytest.raises(Unsupported, match=r"soft Activation not supported \(activation 'softsign'; supported: .*relu"):
        trace_hls_model(hm, "soft")


def test_layer_class_without_a_handler_is_named():
    from trigger.rtl.registry import TraceContext
    from trigger.rtl.translate import Unsupported, _apply

    class Layer:
        name, class_name = "gru1", "GRU"

    with pytest.raises(Unsupported, match=r"gru1 GRU not supported \(supported: Input, .*Conv2D.*Dense"):
        _apply(Layer(), [], TraceContext((1, -1, -1), {}))


def test_post_training_quantized_model_with_narrow_wrapping_accumulators(tmp_path):
    """A float ONNX model at ap_fixed<16,6>: accum_t truncates every product and wraps; still exact."""
    from models import float_mlp

    hm = hls_model_of(float_mlp(tmp_path / "f.onnx"), tmp_path)
    _, info, _ = _assert_exact_against_c_simulation(hm)  # full-range vectors: sums overflow and wrap
    modes = {rec["mode"] for rec in info["accumulators"].values()}
    assert modes == {"per-product accum_t conversion"}
    assert {layer["cls"] for layer in info["layers"]} >= {"Dense", "ApplyAlpha", "Activation"}


def test_saturating_accumulator_that_can_saturate_is_unsupported(tmp_path):
    from models import float_mlp

    from trigger.rtl.translate import Unsupported, trace_hls_model

    hm = hls_model_of(float_mlp(tmp_path / "f.onnx"), tmp_path, precision="ap_fixed<16,6,AP_TRN,AP_SAT>")
    with pytest.raises(Unsupported, match="Dense not supported .*saturates inside the sum.*addition order"):
        trace_hls_model(hm, "bn_Add_1")


def test_explicit_batch_normalization(tmp_path):
    """BatchNormalization after a ReLU cannot be folded into the Dense before it: nnet::normalize."""
    import tensorflow as tf

    rng = np.random.default_rng(4)
    inp = tf.keras.Input((8,), name="x")
    h = tf.keras.layers.Dense(12, name="fc1")(inp)
    h = tf.keras.layers.ReLU(name="relu1")(h)
    bn = tf.keras.layers.BatchNormalization(name="bn")
    h = bn(h)
    out = tf.keras.layers.Dense(3, name="fc2")(h)
    model = tf.keras.Model(inp, out, name="bn_mlp")
    bn.set_weights([rng.uniform(0.5, 2, 12), rng.normal(0, 0.5, 12), rng.normal(0, 1, 12), rng.uniform(0.5, 2, 12)])
    model.save(tmp_path / "bn_mlp.h5")
    hm = hls_model_of(tmp_path / "bn_mlp.h5", tmp_path, precision="ap_fixed<18,8>")
    assert "BatchNormalization" in {layer.class_name for layer in hm.get_layers()}
    _, info, _ = _assert_exact_against_c_simulation(hm)
    assert "BatchNormalization" in {layer["cls"] for layer in info["layers"]}


@pytest.fixture(scope="module")
def deep_bn_mlp(tmp_path_factory):
    """A float 8-(8-BN-ReLU)x6-3 MLP as .h5 and as tf2onnx ONNX (post-training quantized by trigger)."""
    from models import deep_float_bn_mlp

    return dict(zip(("h5", "onnx"), deep_float_bn_mlp(tmp_path_factory.mktemp("deep_bn")), strict=True))


@pytest.mark.parametrize("route", ["h5", "onnx"])
def test_deep_post_training_quantized_mlp_with_batch_norm(route, deep_bn_mlp, tmp_path):
    """Six hidden layers at ap_fixed<16,6>: every BatchNormalization/ApplyAlpha and the output are exact.

    The scale of the hardware words shrinks by up to 2**-10 per constant multiplication; da4ml 0.5.2's
    28-digit decimals then stored the bias constants of the deep layers one LSB short and every vector
    differed from the C simulation (the ONNX route at `bn_Add_5`, ...).
    """
    from trigger.emulation import compare_point
    from trigger.fixed import from_hls_precision
    from trigger.rtl.translate import trace_hls_model
    from trigger.vectors import generate

    hm = hls_model_of(deep_bn_mlp[route], tmp_path)
    norms = [lay.name for lay in hm.get_layers() if lay.class_name in ("BatchNormalization", "ApplyAlpha")]
    assert sum(lay.class_name == "Dense" for lay in hm.get_layers()) == 7
    assert len(norms) == (6 if route == "h5" else 19)  # ONNX: an Add per bias, Mul + Add per BN
    in_var = hm.get_input_variables()[0]
    x = generate(from_hls_precision(in_var.type.precision), tuple(in_var.shape), 2000, seed=3).x
    _, trace = hm.trace(x)
    point = compare_point(hm).layer
    for layer in [*norms[-4:], *(["bn_Add_5"] if route == "onnx" else []), point]:
        ftype = from_hls_precision(hm.graph[layer].get_output_variable().type.precision)
        comb, _ = trace_hls_model(hm, layer)
        expected, on_grid = ftype.to_raw(trace[layer].reshape(len(x), -1))
        got, got_on_grid = ftype.to_raw(comb.predict(x))
        assert on_grid.all() and got_on_grid.all()
        np.testing.assert_array_equal(got, expected, err_msg=f"layer {layer}")
        assert len(np.unique(expected)) > 100


def test_bookkeeping_alkaid_cannot_hold_is_unsupported_not_wrong(deep_bn_mlp, tmp_path, monkeypatch):
    """The exactness check of the trace runs on real models: with a (pretend) 20-bit float it refuses."""
    import trigger.rtl.checks as checks
    import trigger.rtl.translate as translate
    from trigger.emulation import compare_point

    hm = hls_model_of(deep_bn_mlp["onnx"], tmp_path)
    monkeypatch.setattr(checks, "FLOAT_BITS", 20)
    with pytest.raises(translate.Unsupported, match="exceeds float64's 20 bits"):
        translate.trace_hls_model(hm, compare_point(hm).layer)
