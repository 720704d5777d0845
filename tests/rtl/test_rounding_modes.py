"""Every ap_fixed rounding and overflow mode on the accumulator and result paths, RTL against C simulation.

One float Keras model holds one layer per configuration, each a branch straight off the input (so
one C simulation compile covers them all); the per-layer `Precision` config sets the modes.  Each
layer is traced on its own (`trace_hls_model(hm, layer)`) and alkaid's emulation must equal the C
simulation's raw integers on 2000 full-range vectors.

* `res_<rnd>_<sat>`  Dense, exact accumulator (alkaid CMVM), result_t = ap_fixed<12,6,rnd,sat>.
* `bn_<rnd>_<sat>`   BatchNormalization (nnet::normalize), result_t = ap_fixed<12,6,rnd,sat>.
* `acc_<rnd>`        Dense, accum_t = ap_fixed<14,6,rnd,WRAP>: every product rounded, sums wrap.
* `accsat_<sat>`     Dense, accum_t = ap_fixed<20,10,rnd,sat> that cannot saturate, products rounded.

All Dense branches share one weight matrix (all BN branches one scale/bias), so branches that differ
only in a mode must give different outputs: the modes are really exercised (ties of both signs,
saturation, wrapping).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from layer_check import c_simulated, modes_of, raw_of

from trigger.fixed import ROUNDING_MODES, SATURATION_MODES

pytestmark = pytest.mark.slow

N_IN = 4
N_VECTORS = 2000
INPUT = "ap_fixed<16,6>"  # 10 fractional bits, range [-32, 32)
ACCSAT = {"SAT": "RND_CONV", "SAT_SYM": "RND_INF", "SAT_ZERO": "TRN_ZERO"}  # accumulator overflow -> rounding
DENSE = dict(weight="ap_fixed<8,3>", bias="ap_fixed<8,3>")  # holds the weights k/4 and biases k/8 exactly


def _types() -> dict[str, dict[str, str]]:
    """Layer name -> its hls4ml Precision config."""
    t: dict[str, dict[str, str]] = {}
    for rnd, sat in itertools.product(ROUNDING_MODES, SATURATION_MODES):
        result = f"ap_fixed<12,6,AP_{rnd},AP_{sat}>"
        # weights k/4, inputs 10 fractional bits: exact sums have 12 fractional bits; 6 survive
        t[f"res_{rnd}_{sat}"] = dict(DENSE, accum="ap_fixed<24,10>", result=result)
        # scales k/8 (+ biases k/16): 13 fractional bits before the result conversion
        t[f"bn_{rnd}_{sat}"] = dict(scale="ap_fixed<8,4>", bias="ap_fixed<10,4>", result=result)
    for rnd in ROUNDING_MODES:  # products (12 fractional bits) rounded to 8, sums wrap at +-32
        t[f"acc_{rnd}"] = dict(DENSE, accum=f"ap_fixed<14,6,AP_{rnd},AP_WRAP>", result="ap_fixed<14,6>")
    for sat, rnd in ACCSAT.items():  # products rounded to 10 fractional bits; sums stay within +-512
        accum = f"ap_fixed<20,10,AP_{rnd},AP_{sat}>"
        t[f"accsat_{sat}"] = dict(DENSE, accum=accum, result="ap_fixed<12,6,AP_TRN,AP_SAT>")
    return t


TYPES = _types()


def _model(path):
    import tensorflow as tf

    rng = np.random.default_rng(11)
    W = rng.integers(-4, 5, (N_IN, N_IN)) / 4.0
    b = rng.integers(-8, 9, N_IN) / 8.0
    gamma, beta = rng.integers(-24, 25, N_IN) / 8.0, rng.integers(-64, 65, N_IN) / 16.0
    inp = tf.keras.Input((N_IN,), name="x")
    outs, dense, bns = [], [], []
    for name in TYPES:
        if name.startswith("bn_"):
            layer = tf.keras.layers.BatchNormalization(name=name, epsilon=0.0)
            bns.append(layer)
        else:
            layer = tf.keras.layers.Dense(N_IN, name=name)
            dense.append(layer)
        outs.append(layer(inp))
    model = tf.keras.Model(inp, outs, name="modes")
    for layer in dense:
        layer.set_weights([W, b])
    for layer in bns:  # scale = gamma / sqrt(1) = gamma, bias = beta - 0 * scale
        layer.set_weights([gamma, beta, np.zeros(N_IN), np.ones(N_IN)])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def modes(tmp_path_factory):
    """(hls model, input vectors, C simulation trace): one C simulation compile for every layer."""
    tmp = tmp_path_factory.mktemp("modes")
    return c_simulated(_model(tmp / "modes.h5"), tmp, INPUT, TYPES, N_VECTORS)


@pytest.mark.parametrize("layer", list(TYPES))
def test_mode_rtl_equals_c_simulation(modes, layer):
    from trigger.fixed import precision_spec
    from trigger.rtl.translate import trace_hls_model

    hm, x, trace = modes
    lay = hm.graph[layer]
    assert lay.class_name == ("BatchNormalization" if layer.startswith("bn_") else "Dense")
    out = precision_spec(lay.get_output_variable().type.precision)
    assert (out["rnd"], out["sat"]) == modes_of(TYPES[layer]["result"])  # the config reached hls4ml
    if "accum" in TYPES[layer]:
        acc = precision_spec(lay.get_attr("accum_t").precision)
        assert (acc["rnd"], acc["sat"]) == modes_of(TYPES[layer]["accum"])
    comb, info = trace_hls_model(hm, layer)
    np.testing.assert_array_equal(
        raw_of(hm, layer, comb.predict(x), N_VECTORS), raw_of(hm, layer, trace[layer], N_VECTORS)
    )
    mode = info["accumulators"].get(layer, {}).get("mode")
    if layer.startswith("res_"):
        assert mode == "exact accumulation (CMVM)"
    elif layer.startswith("acc"):
        assert mode == "per-product accum_t conversion"


def test_modes_are_exercised(modes):
    """Branches that differ only in one mode differ in their C simulation outputs."""
    hm, _, trace = modes

    def distinct(names):
        outs = {n: raw_of(hm, n, trace[n], N_VECTORS) for n in names}
        for a, b in itertools.combinations(names, 2):
            assert not np.array_equal(outs[a], outs[b]), f"{a} and {b} agree on every vector"

    for family in ("res", "bn"):
        for sat in SATURATION_MODES:
            distinct([f"{family}_{rnd}_{sat}" for rnd in ROUNDING_MODES])
        for rnd in ROUNDING_MODES:
            distinct([f"{family}_{rnd}_{sat}" for sat in SATURATION_MODES])
    distinct([f"acc_{rnd}" for rnd in ROUNDING_MODES])
    wrapped = raw_of(hm, "acc_TRN", trace["acc_TRN"], N_VECTORS)
    assert len(np.unique(wrapped)) > 1000
