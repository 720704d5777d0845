"""EinsumDense and HGQ2's FixedPointQuantizer in the RTL: alkaid's emulation of each layer equals hls4ml's C
simulation as raw integers on 1000 full-range vectors, with truncating/wrapping and rounding/saturating types,
and a one-LSB change of one kernel weight is caught."""

from __future__ import annotations

import numpy as np
import pytest
from layer_check import assert_rtl_equals_csim, c_simulated

# x (4, 3) -> per-particle (bnc,cd->bnd) -> in-place kernel per particle (bnd,nde->bne) -> transposed output
EINSUMS = {
    "per_particle": ("bnc,cd->bnd", (4, 5), "d"),
    "inplace": ("bnd,nde->bne", (4, 2), "ne"),
    "transposed": ("bne,ef->bfn", (6, 4), "f"),
}
PRECISIONS = {
    "trn_wrap": ("ap_fixed<16,6>", None),
    "rnd_conv_sat": (
        "ap_fixed<12,5>",
        {
            name: {"result": "ap_fixed<10,3,AP_RND_CONV,AP_SAT>", "accum": "ap_fixed<14,5,AP_TRN,AP_WRAP>"}
            for name in EINSUMS
        },
    ),
}


def _einsum_model(directory):
    import keras

    inp = keras.Input((4, 3), name="particles")
    x = inp
    rng = np.random.default_rng(11)
    layers = []
    for name, (equation, shape, bias_axes) in EINSUMS.items():
        layer = keras.layers.EinsumDense(equation, output_shape=shape, bias_axes=bias_axes, name=name)
        x = layer(x)
        layers.append(layer)
    model = keras.Model(inp, x, name="einsums")
    for layer in layers:  # weights on a 2^-5 grid, so that every precision holds them exactly
        layer.set_weights([np.round(rng.normal(0, 0.6, w.shape) * 32) / 32 for w in layer.get_weights()])
    path = directory / "einsums.keras"
    model.save(path)
    return path


@pytest.fixture(scope="module", params=sorted(PRECISIONS))
def einsums(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"einsum_{request.param}")
    precision, overrides = PRECISIONS[request.param]
    return c_simulated(_einsum_model(d), d, precision, overrides, 1000)


@pytest.mark.slow
def test_einsum_dense_rtl_equals_c_simulation(einsums):
    hm, x, trace = einsums
    assert [hm.graph[n].class_name for n in EINSUMS] == ["EinsumDense"] * 3
    assert int(hm.graph["inplace"].get_attr("n_inplace")) == 4  # the in-place case really is one
    infos = assert_rtl_equals_csim(hm, x, list(EINSUMS), trace)
    assert set(infos) == set(EINSUMS)


@pytest.mark.slow
@pytest.mark.parametrize("einsums", ["rnd_conv_sat"], indirect=True)
def test_rounding_and_saturation_are_exercised(einsums):
    """With the rounding/saturating result type, outputs do saturate: the modes are really tested."""
    hm, _, trace = einsums
    precision = hm.graph["per_particle"].get_output_variable().type.precision
    assert str(precision.saturation_mode) == "SAT"
    y = np.asarray(trace["per_particle"])
    hi = 2.0 ** (precision.integer - 1) - 2.0 ** -(precision.width - precision.integer)
    assert (y == hi).sum() > 50 and (y == -(2.0 ** (precision.integer - 1))).sum() > 50


@pytest.mark.slow
def test_a_perturbed_einsum_weight_fails_the_comparison(einsums):
    from trigger.fixed import precision_spec

    hm, x, trace = einsums
    var = hm.graph["inplace"].weights["weight"]
    old = var.data.copy()
    var.data = old.copy()
    var.data.flat[int(np.argmax(np.abs(old) > 0))] += 2.0 ** -precision_spec(var.type.precision)["f"]
    try:
        with pytest.raises(AssertionError, match="layer inplace"):
            assert_rtl_equals_csim(hm, x[:200], ["inplace"], {k: np.asarray(v)[:200] for k, v in trace.items()})
    finally:
        var.data = old


@pytest.mark.slow
@pytest.mark.parametrize("modes", [("RND", "WRAP"), ("TRN", "SAT"), ("RND", "SAT_SYM")])
def test_heterogeneous_quantizers_rtl_equals_c_simulation(modes, tmp_path):
    """HGQ2's per-element quantizers (hls4ml FixedPointQuantizer) in every rounding/overflow pair used."""
    import models3

    path = models3.hgq_dense(tmp_path / "m", *modes)
    hm, x, trace = c_simulated(path, tmp_path, "ap_fixed<16,6>", None, 1000)
    quantizers = [n for n, layer in hm.graph.items() if layer.class_name == "FixedPointQuantizer"]
    assert quantizers and all(hm.graph[n].get_attr("RND") == modes[0] for n in quantizers)
    bits = np.asarray(hm.graph[quantizers[0]].get_attr("mask_kbi")[1])
    assert len(np.unique(bits)) > 1  # heterogeneous: elements have different widths
    assert_rtl_equals_csim(hm, x, [n for n in hm.graph if n != hm.get_input_variables()[0].name and n in trace], trace)
