"""Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum) and Concatenate (1D, 2D and 3D, every
axis): alkaid's emulation equals hls4ml's C simulation as raw integers on 1000 full-range vectors.

`branches`: the taggers' common case, two Dense branches of one input (x -> da, x -> db) merged every way,
each op twice: with the model's default result type (ap_fixed<12,4>, TRN/WRAP: sums wrap) and with a
rounding, saturating one (max/min also with a rounding, wrapping one: the C++ selects, then converts).
`two_inputs`: a model with two Keras Inputs, declared in the order (b, a) although `a` is created first
(trigger's Keras frontend refuses such models, so it is converted here the way trigger converts).
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from layer_check import assert_rtl_equals_csim, c_simulated, raw_of

pytestmark = pytest.mark.slow

N_VECTORS = 1000
INPUT = "ap_fixed<12,4>"  # 8 fractional bits, range [-8, 8)
R = "ap_fixed<8,3,AP_RND_CONV,AP_SAT>"
DENSE = dict(weight="ap_fixed<8,3>", bias="ap_fixed<8,3>", accum="ap_fixed<24,10>")  # exact: weights k/4
OPS = {"add": "Add", "sub": "Subtract", "mul": "Multiply", "avg": "Average", "max": "Maximum", "min": "Minimum"}
TYPES = {
    "da": dict(DENSE, result="ap_fixed<10,4>"),
    "db": dict(DENSE, result="ap_fixed<11,4,AP_RND,AP_SAT>"),  # another grid than da's
    **{f"{op}_q": {"result": R} for op in OPS},
    "max_w": {"result": "ap_fixed<7,2,AP_RND,AP_WRAP>"},
    "min_w": {"result": "ap_fixed<7,2,AP_RND_ZERO,AP_WRAP>"},
    "cat2_first": {"result": R},
    "cat3_1": {"result": "ap_fixed<9,3,AP_RND_INF,AP_SAT_SYM>"},
}
MERGES = [*OPS, *(f"{op}_q" for op in OPS), "max_w", "min_w"]
CONCATS = ["cat1", "cat2_last", "cat2_first", "cat3_0", "cat3_1", "cat3_2"]


def _model(path):
    import tensorflow as tf

    L = tf.keras.layers
    rng = np.random.default_rng(3)
    x = tf.keras.Input((4, 3), name="x")
    dense = [L.Dense(3, name="da"), L.Dense(3, name="db")]
    da, db = (d(x) for d in dense)
    outs = []
    for suffix in ("", "_q"):
        outs += [getattr(L, cls)(name=f"{op}{suffix}")([da, db]) for op, cls in OPS.items()]
    outs += [L.Maximum(name="max_w")([da, db]), L.Minimum(name="min_w")([da, db])]
    fa, fb = L.Flatten(name="fa")(da), L.Flatten(name="fb")(db)
    ra, rb = L.Reshape((2, 2, 3), name="ra")(da), L.Reshape((2, 2, 3), name="rb")(db)
    outs += [
        L.Concatenate(name="cat1")([fa, fb]),
        L.Concatenate(axis=-1, name="cat2_last")([da, db]),
        L.Concatenate(axis=1, name="cat2_first")([da, x]),
        L.Concatenate(axis=1, name="cat3_0")([ra, rb]),
        L.Concatenate(axis=2, name="cat3_1")([ra, rb]),
        L.Concatenate(axis=-1, name="cat3_2")([ra, rb]),
        L.Dot(axes=1, name="dot")([fa, fb]),
    ]
    model = tf.keras.Model(x, outs, name="merges")
    for d in dense:
        d.set_weights([rng.integers(-6, 7, (3, 3)) / 4.0, rng.integers(-8, 9, 3) / 8.0])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def branches(tmp_path_factory):
    """(hls model, inputs, C simulation trace) of the one-input model: one C simulation compile."""
    tmp = tmp_path_factory.mktemp("merges")
    return c_simulated(_model(tmp / "merges.h5"), tmp, INPUT, TYPES, N_VECTORS)


@pytest.mark.parametrize("layer", MERGES + CONCATS)
def test_merge_rtl_equals_c_simulation(branches, layer):
    hm, x, trace = branches
    lay = hm.graph[layer]
    assert lay.class_name == ("Concatenate" if layer.startswith("cat") else "Merge")
    if layer in TYPES:  # the config reached hls4ml
        want = hm.config.backend.convert_precision_string(TYPES[layer]["result"])
        assert str(lay.get_output_variable().type.precision) == str(want)
    assert_rtl_equals_csim(hm, x, [layer], trace)


def test_modes_are_exercised(branches):
    """Sums wrap in the default type, the saturating and wrapping max differ, concatenations convert."""
    hm, x, trace = branches
    n = N_VECTORS
    exact = trace["da"].reshape(n, -1) + trace["db"].reshape(n, -1)
    assert np.any(trace["add"].reshape(n, -1) != exact)  # wrapped at +-8
    assert np.any(trace["add_q"] == 4 - 2**-5) and np.any(trace["add_q"] == -4)  # saturated
    assert not np.array_equal(raw_of(hm, "max_q", trace["max_q"], n), raw_of(hm, "max_w", trace["max_w"], n))
    assert np.any((trace["max_w"] < 0) & (trace["max_q"] > 0))  # a large max wrapped negative
    assert str(hm.graph["cat2_first"].get_output_variable().type.precision).startswith("fixed<8,3,RND_CONV,SAT")


def _mismatches(hm, x, trace, layer) -> int:
    from trigger.rtl.translate import trace_hls_model

    comb, _ = trace_hls_model(hm, layer)
    n = len(x)
    got = raw_of(hm, layer, comb.predict(x.reshape(n, -1)), n)
    return int((got != raw_of(hm, layer, trace[layer], n)).sum())


@contextmanager
def _changed(layer, inputs: list[str] | None = None, **attrs):
    """The hls4ml layer with other inputs or attributes, for the trace only (the C simulation is done)."""
    old_inputs, old = list(layer.inputs), {k: layer.get_attr(k) for k in attrs}
    if inputs is not None:
        layer.inputs[:] = inputs
    for k, v in attrs.items():
        layer.set_attr(k, v)
    try:
        yield
    finally:
        layer.inputs[:] = old_inputs
        for k, v in old.items():
            layer.set_attr(k, v)


@pytest.mark.parametrize(
    "layer, swap, attrs",
    [
        ("sub", True, {}),  # db - da
        ("cat2_last", True, {}),  # [db, da]
        ("cat3_1", True, {}),
        ("max_q", False, {"op": "minimum"}),  # wrong op
        ("avg", False, {"op": "add"}),
        ("mul_q", False, {"op": "add"}),
    ],
)
def test_wrong_order_or_op_fails(branches, layer, swap, attrs):
    hm, x, trace = branches
    lay = hm.graph[layer]
    with _changed(lay, inputs=lay.inputs[::-1] if swap else None, **attrs):
        assert _mismatches(hm, x, trace, layer) > 0


@pytest.mark.parametrize(
    "layer, attrs, why",
    [
        ("add", {"op": "dot1d"}, "op 'dot1d'; supported: add, subtract"),
        ("cat2_last", {"op": "concatenate3d"}, "op 'concatenate3d' for inputs of shapes"),
        ("cat3_1", {"axis": 0}, None),  # axis 0 -> C++ concatenate3d_0: output shape differs
        ("dot", {}, "Dot not supported"),
    ],
)
def test_unsupported_configurations(branches, layer, attrs, why):
    from trigger.rtl.registry import Unsupported
    from trigger.rtl.translate import trace_hls_model

    hm, _, _ = branches
    with _changed(hm.graph[layer], **attrs), pytest.raises(Unsupported, match=why or "hls4ml's variable is"):
        trace_hls_model(hm, layer)


# ---- a model with two inputs ----


class _KerasGraph:
    """A Keras model converted as trigger converts one (its frontend refuses several inputs)."""

    quantized = False

    def __init__(self, model):
        from trigger.frontends.keras import KerasModel

        self.model, self.name = model, model.name
        self._frontend = KerasModel

    def hls_config(self, precision: str):
        return self._frontend.hls_config(self, precision)

    def to_hls(self, config, **kwargs):
        return self._frontend.to_hls(self, config, **kwargs)


def _two_input_model():
    import tensorflow as tf

    L = tf.keras.layers
    a = tf.keras.Input((4,), name="a")  # created first ...
    b = tf.keras.Input((3,), name="b")
    da = L.Dense(3, name="da2")(a)
    add = L.Add(name="add2")([b, da])
    mul = L.Multiply(name="mul2")([add, b])
    cat = L.Concatenate(name="cat2")([mul, a])
    model = tf.keras.Model([b, a], [cat], name="two")  # ... but the model's inputs are (b, a)
    rng = np.random.default_rng(4)
    model.get_layer("da2").set_weights([rng.integers(-6, 7, (4, 3)) / 4.0, rng.integers(-8, 9, 3) / 8.0])
    return model


@pytest.fixture(scope="module")
def two_inputs(tmp_path_factory):
    """(hls model, {input: vectors}, C simulation trace)."""
    from trigger.fixed import from_hls_precision
    from trigger.hls import build_config, convert
    from trigger.options import CompileOptions
    from trigger.targets import resolve_part

    tmp = tmp_path_factory.mktemp("two")
    src = _KerasGraph(_two_input_model())
    opts = CompileOptions(model=tmp / "two.h5", part=resolve_part("xcvu9p"), output_dir=tmp / "unused", precision=INPUT)
    config = build_config(src, opts)
    config["LayerName"]["da2"]["Precision"].update(dict(DENSE, result="ap_fixed<10,4>"))
    config["LayerName"]["mul2"]["Precision"].update({"result": R})
    hm = convert(src, config, opts, tmp / "hls")
    rng = np.random.default_rng(6)
    xs = {}
    for name in hm.inputs:
        var = hm.graph[name].get_output_variable()
        ftype = from_hls_precision(var.type.precision)
        half = 2 ** (ftype.width - 1)  # raw integers over the whole (signed) input range
        xs[name] = ftype.from_raw(rng.integers(-half, half, (N_VECTORS, *var.shape)))
    _, trace = hm.trace([np.ascontiguousarray(xs[name]) for name in hm.inputs])
    return hm, xs, trace


@pytest.mark.parametrize("layer", ["da2", "add2", "mul2", "cat2"])
def test_two_input_model_rtl_equals_c_simulation(two_inputs, layer):
    """The traced design's input lanes are the input layers' words, concatenated in the walker's order."""
    from trigger.rtl.translate import trace_hls_model

    hm, xs, trace = two_inputs
    comb, info = trace_hls_model(hm, layer)
    assert sorted(info["input_layers"]) == ["a", "b"]
    x = np.concatenate([xs[name].reshape(N_VECTORS, -1) for name in info["input_layers"]], axis=1)
    got = raw_of(hm, layer, comb.predict(x), N_VECTORS)
    np.testing.assert_array_equal(got, raw_of(hm, layer, trace[layer], N_VECTORS))
    if layer == "cat2":  # fed in the other order, the same design computes something else
        other = np.concatenate([xs[name].reshape(N_VECTORS, -1) for name in info["input_layers"][::-1]], axis=1)
        assert np.any(raw_of(hm, layer, comb.predict(other), N_VECTORS) != got)


def test_input_lanes_follow_hls4ml_argument_order(two_inputs):
    """The input bus follows the C++ top function's arguments (hls_model.inputs: the Keras model's inputs,
    b then a), not hls4ml's layer list (a was created first)."""
    from trigger.rtl.translate import trace_hls_model

    hm, _, _ = two_inputs
    layer_order = [lay.name for lay in hm.get_layers() if lay.class_name == "Input"]
    assert layer_order != list(hm.inputs)  # the case that matters
    _, info = trace_hls_model(hm, "cat2")
    assert info["input_layers"] == list(hm.inputs)
