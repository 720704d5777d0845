"""Conv1D / Conv2D / PointwiseConv1D / PointwiseConv2D: the RTL emulation equals hls4ml's C simulation.

One float Keras model (input 4x5x2, `ap_fixed<10,3>`) holds one branch per configuration: 'same' and
'valid' padding (asymmetric pads included), strides > 1, with and without bias, 1x1 kernels (hls4ml's
PointwiseConv2D / PointwiseConv1D), Conv1D on a reshape, and a Dense on an (n_particles, n_features)
tensor (hls4ml makes it a PointwiseConv1D).  Per-layer types set the rounding / overflow modes of the
result and of the accumulator (exact: alkaid CMVM; narrow: every product rounded, sums wrapping).  A
QKeras Deep Sets block (QDense on (particles, features)) checks the quantized route.  Unsupported
configurations (Resource strategy, io_stream, dilation) are refused with the reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layer_check import assert_rtl_equals_csim, c_simulated, full_range_inputs, modes_of, raw_of

pytestmark = pytest.mark.slow

N_VECTORS = 1000
INPUT = "ap_fixed<10,3>"  # values in [-4, 4), 7 fractional bits
PARAMS = dict(weight="ap_fixed<8,3>", bias="ap_fixed<8,3>")  # holds the weights k/8 and biases k/16 exactly
EXACT = "ap_fixed<24,12>"  # holds every product (11 fractional bits) and partial sum of these branches
NARROW = "ap_fixed<12,5,AP_RND,AP_WRAP>"  # products rounded to 7 fractional bits, sums wrap at +-16

# branch -> (hls4ml class, Precision config)
BRANCHES = {
    "c2_same": ("Conv2D", dict(PARAMS, accum=EXACT, result="ap_fixed<8,3,AP_RND_CONV,AP_SAT>")),
    "c2_s2": ("Conv2D", dict(PARAMS, accum=NARROW, result="ap_fixed<10,4,AP_RND_INF,AP_SAT_SYM>")),
    "c2_valid": ("Conv2D", dict(PARAMS, accum=EXACT, result="ap_fixed<9,4,AP_RND_ZERO,AP_WRAP>")),
    "pw2": ("PointwiseConv2D", dict(PARAMS, accum=EXACT, result="ap_fixed<8,3,AP_RND,AP_SAT>")),
    "c1_same": ("Conv1D", dict(PARAMS, accum=EXACT, result="ap_fixed<8,3,AP_RND_CONV,AP_SAT>")),
    "c1_s3": ("Conv1D", dict(PARAMS, accum=NARROW, result="ap_fixed<10,4,AP_TRN,AP_SAT>")),
    "pw1_s2": ("PointwiseConv1D", dict(PARAMS, accum=NARROW, result="ap_fixed<8,3,AP_RND_MIN_INF,AP_SAT_ZERO>")),
    "dense_parts": ("PointwiseConv1D", dict(PARAMS, accum=EXACT, result="ap_fixed<8,3,AP_RND_CONV,AP_SAT>")),
}


def _conv_model(path: Path) -> Path:
    import tensorflow as tf

    L = tf.keras.layers
    inp = tf.keras.Input((4, 5, 2), name="img")
    seq = L.Reshape((10, 4), name="seq")(inp)  # a 1-D signal of 10 samples x 4 channels
    parts = L.Reshape((5, 8), name="parts")(inp)  # 5 particles x 8 features
    layers = {
        "c2_same": (L.Conv2D(2, 3, padding="same", name="c2_same"), inp),  # pads 1/1, 1/1
        "c2_s2": (L.Conv2D(3, (3, 2), strides=2, padding="same", use_bias=False, name="c2_s2"), inp),  # 0/1, 0/1
        "c2_valid": (L.Conv2D(2, (3, 2), strides=(1, 2), name="c2_valid"), inp),
        "pw2": (L.Conv2D(3, 1, name="pw2"), inp),
        "c1_same": (L.Conv1D(2, 4, padding="same", name="c1_same"), seq),  # pads 1/2
        "c1_s3": (L.Conv1D(3, 4, strides=3, use_bias=False, name="c1_s3"), seq),
        "pw1_s2": (L.Conv1D(2, 1, strides=2, name="pw1_s2"), seq),
        "dense_parts": (L.Dense(3, name="dense_parts"), parts),
    }
    outs = [layer(src) for layer, src in layers.values()]
    model = tf.keras.Model(inp, outs, name="convs")
    rng = np.random.default_rng(3)
    for layer, _ in layers.values():
        w = [rng.integers(-8, 9, v.shape) / 8.0 for v in layer.weights]
        if len(w) == 2:
            w[1] = rng.integers(-16, 17, w[1].shape) / 16.0
        layer.set_weights(w)
    model.save(path)
    return path


@pytest.fixture(scope="module")
def convs(tmp_path_factory):
    """(hls model, inputs, C simulation trace): one C simulation compile for every branch."""
    tmp = tmp_path_factory.mktemp("convs")
    overrides = {name: types for name, (_, types) in BRANCHES.items()}
    return c_simulated(_conv_model(tmp / "convs.h5"), tmp, INPUT, overrides, N_VECTORS)


@pytest.mark.parametrize("layer", list(BRANCHES))
def test_conv_rtl_equals_c_simulation(convs, layer):
    from trigger.fixed import precision_spec

    hm, x, trace = convs
    cls, types = BRANCHES[layer]
    lay = hm.graph[layer]
    assert lay.class_name == cls
    out = precision_spec(lay.get_output_variable().type.precision)
    assert (out["rnd"], out["sat"]) == modes_of(types["result"])  # the configured types reached hls4ml
    acc = precision_spec(lay.get_attr("accum_t").precision)
    assert (acc["rnd"], acc["sat"]) == modes_of(types["accum"])
    infos = assert_rtl_equals_csim(hm, x, [layer], trace)
    mode = infos[layer]["accumulators"][layer]["mode"]
    assert mode == ("exact accumulation (CMVM)" if types["accum"] == EXACT else "per-product accum_t conversion")
    raw = raw_of(hm, layer, trace[layer], len(x))
    assert len(np.unique(raw)) > 50
    if out["sat"] in ("SAT", "SAT_SYM"):  # the result saturates on some vectors
        top = 2 ** (out["width"] - 1) - 1
        assert (raw == top).sum() > 10 and (raw <= -top).sum() > 10


def _tensorflow_sums(hm, x: np.ndarray, layer: str) -> np.ndarray:
    """The Conv2D layer's exact sums (TensorFlow's own convolution in float64, exact on these grids)."""
    import tensorflow as tf

    lay = hm.graph[layer]
    w, b = (lay.weights[k].data.astype(np.float64) for k in ("weight", "bias"))
    strides = (int(lay.get_attr("stride_height")), int(lay.get_attr("stride_width")))
    pad = "SAME" if lay.get_attr("pad_top") + lay.get_attr("pad_left") > 0 else "VALID"
    return tf.nn.conv2d(tf.constant(x, tf.float64), tf.constant(w), strides, pad).numpy() + b


@pytest.mark.parametrize("layer", ["c2_same", "c2_valid"])
def test_c_simulation_is_tensorflows_convolution_and_modes_are_exercised(convs, layer):
    """The C simulation equals TensorFlow's float64 convolution converted to the result type (hls4ml's im2col
    is the Keras convolution), and the result conversion really rounds and saturates / wraps."""
    from trigger.fixed import from_hls_precision, hls_quantize_np

    hm, x, trace = convs
    precision = hm.graph[layer].get_output_variable().type.precision
    sums = _tensorflow_sums(hm, x, layer)
    expected = hls_quantize_np(sums, precision)
    np.testing.assert_array_equal(np.asarray(trace[layer]).reshape(expected.shape), expected)
    ftype = from_hls_precision(precision)
    lo, hi = ftype.min_value, ftype.max_value
    assert (sums < lo).sum() > 100 and (sums > hi).sum() > 100  # saturated (c2_same) or wrapped (c2_valid)
    inside = (sums >= lo) & (sums <= hi)
    assert (sums[inside] != expected[inside]).sum() > 100  # rounded
    assert len(np.unique(expected)) > 50


def _perturbed(hm, layer: str):
    """Context: one weight of `layer` moved by one LSB of its type in the hls4ml graph (not in the C sim)."""
    from contextlib import contextmanager

    from trigger.fixed import precision_spec

    @contextmanager
    def change():
        var = hm.graph[layer].weights["weight"]
        old = var.data.copy()
        step = 2.0 ** -precision_spec(var.type.precision)["f"]
        var.data = old.copy()
        var.data.flat[int(np.argmax(np.abs(old) > 0))] += step
        try:
            yield
        finally:
            var.data = old

    return change()


@pytest.mark.parametrize("layer", ["c2_same", "c1_s3", "dense_parts"])
def test_a_perturbed_weight_fails_the_comparison(convs, layer):
    hm, x, trace = convs
    with _perturbed(hm, layer), pytest.raises(AssertionError, match=f"layer {layer}"):
        assert_rtl_equals_csim(hm, x[:200], [layer], {k: np.asarray(v)[:200] for k, v in trace.items()})


def test_im2col_is_hls4mls():
    """trigger's patches index the input exactly like hls4ml's generated fill_buffer (its im2col matrix)."""
    from hls4ml.backends import get_backend

    from trigger.rtl.layers.conv import im2col

    backend = get_backend("Vitis")
    cases = [((5, 3), 3, 1, (1, 1)), ((7, 2), 4, 3, (0, 0)), ((6, 1), 2, 2, (1, 2)), ((4, 2), 1, 2, (0, 1))]
    for (w, c), k, s, pad in cases:
        out = (w + pad[0] + pad[1] - k) // s + 1
        got = _indices(im2col, (w, c), (k,), (s,), (pad[0],), (out,))
        want = backend._compute_conv1d_im2col((w, c), k, s, pad)
        np.testing.assert_array_equal(got, want, err_msg=str((w, c, k, s, pad)))
    cases2 = [((4, 5, 2), (3, 3), (1, 1), (1, 1, 1, 1)), ((5, 4, 3), (3, 2), (2, 2), (0, 1, 0, 1))]
    cases2 += [((6, 5, 1), (2, 3), (3, 1), (1, 0, 2, 1))]
    for shape, k, s, pad in cases2:
        out = tuple(
            (n + a + b - kk) // ss + 1 for n, a, b, kk, ss in zip(shape[:2], pad[::2], pad[1::2], k, s, strict=True)
        )
        got = _indices(im2col, shape, k, s, (pad[0], pad[2]), out)
        want = backend._compute_conv2d_im2col(shape, k, s, pad)
        np.testing.assert_array_equal(got, want, err_msg=str((shape, k, s, pad)))


def _indices(im2col, shape, kernel, stride, pad_before, out) -> np.ndarray:
    """im2col of the constants 1..N (0 = padding), flattened like hls4ml's matrix (pixels, patch)."""
    from alkaid.trace import FVariable, FVArray, HWConfig

    hw = HWConfig(1, -1, -1)
    values = np.arange(1, int(np.prod(shape)) + 1).reshape(shape)
    x = FVArray(np.vectorize(lambda v: FVariable.from_const(float(v), hwconf=hw), otypes=[object])(values), hwconf=hw)
    p = np.asarray(im2col(x, kernel, stride, pad_before, out))
    return np.vectorize(lambda v: float(v.low))(p).reshape(int(np.prod(out)), -1)


# ---- a QKeras Deep Sets block: QDense on (particles, features) ------------------------------------------


def _deep_sets(path: Path) -> Path:
    import tensorflow as tf
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu

    from trigger.zoo import randomize

    inp = tf.keras.Input((6, 3), name="particles")
    q = dict(kernel_quantizer=quantized_bits(6, 0, alpha=1), bias_quantizer=quantized_bits(6, 0, alpha=1))
    h = QDense(4, name="phi1", **q)(inp)
    h = QActivation(quantized_relu(6, 2), name="phi1_relu")(h)
    h = QDense(3, name="phi2", **q)(h)
    model = tf.keras.Model(inp, h, name="deep_sets")
    randomize(model, seed=4)
    model.save(path)
    return path


@pytest.fixture(scope="module")
def deep_sets(tmp_path_factory):
    """phi1 with ParallelizationFactor 6 (all particles at once: hls4ml's BatchedDenseForConv1D kernel),
    phi2 with the default (one particle per partition: Conv1DLatency) and a rounding, saturating result."""
    tmp = tmp_path_factory.mktemp("deepsets")
    layers = {
        "phi1": {"ParallelizationFactor": 6},
        "phi2": {"Precision": {"result": "ap_fixed<8,2,AP_RND_CONV,AP_SAT>"}},
    }
    hm = _convert(_deep_sets(tmp / "ds.h5"), tmp, layers=layers)
    return hm, full_range_inputs(hm, N_VECTORS)


def test_qdense_on_particles_is_a_pointwise_conv(deep_sets):
    hm, x = deep_sets
    assert [hm.graph[n].class_name for n in ("phi1", "phi2")] == ["PointwiseConv1D", "PointwiseConv1D"]
    assert "conv_kernel = nnet::BatchedDenseForConv1D<" in hm.graph["phi1"].get_attr("config_cpp")
    assert "conv_kernel = nnet::Conv1DLatency<" in hm.graph["phi2"].get_attr("config_cpp")
    assert str(hm.graph["phi2"].get_output_variable().type.precision) == "fixed<8,2,RND_CONV,SAT,0>"
    assert_rtl_equals_csim(hm, x, ["phi1", "phi1_relu", "phi2"])


# ---- refused configurations (hls4ml conversion only, no C simulation) -------------------------------------


def _tiny_conv(path: Path) -> Path:
    import tensorflow as tf

    inp = tf.keras.Input((4, 4, 2), name="img")
    out = tf.keras.layers.Conv2D(2, 3, name="conv")(inp)  # 'valid': io_stream inserts no ZeroPadding2D before it
    tf.keras.Model(inp, out, name="tiny").save(path)
    return path


@pytest.fixture(scope="module")
def tiny_conv(tmp_path_factory):
    return _tiny_conv(tmp_path_factory.mktemp("tiny") / "tiny.h5")


def _convert(model_file: Path, tmp: Path, layers: dict | None = None, **options):
    """The hls4ml model trigger builds with CompileOptions `options`, per-layer config entries merged in."""
    from trigger.frontends import load_model
    from trigger.hls import build_config, convert
    from trigger.options import CompileOptions
    from trigger.targets import resolve_part

    src = load_model(model_file)
    opts = CompileOptions(model=src.path, part=resolve_part("xcvu9p"), output_dir=tmp / "unused", **options)
    config = build_config(src, opts)
    for name, entries in (layers or {}).items():
        for key, value in entries.items():
            if isinstance(value, dict):
                config["LayerName"][name].setdefault(key, {}).update(value)
            else:
                config["LayerName"][name][key] = value
    return convert(src, config, opts, tmp / "hls")


@pytest.mark.parametrize(
    "options, reason",
    [
        (dict(strategy="Resource"), r"strategy 'resource'; only the Latency strategy"),
        (dict(io_type="io_stream"), r"IOType io_stream; only io_parallel"),
    ],
)
def test_unsupported_implementations_are_refused(tiny_conv, tmp_path, options, reason):
    from trigger.rtl.translate import Unsupported, trace_hls_model

    hm = _convert(tiny_conv, tmp_path, **options)
    with pytest.raises(Unsupported, match=reason) as err:
        trace_hls_model(hm, "conv")
    assert (err.value.layer, err.value.cls) == ("conv", "Conv2D")


def test_dilation_and_foreign_kernels_are_refused(tiny_conv, tmp_path):
    from trigger.rtl.translate import Unsupported, trace_hls_model

    hm = _convert(tiny_conv, tmp_path)
    layer = hm.graph["conv"]
    layer.set_attr("dilation_height", 2)  # hls4ml's ONNX parser sets it; its io_parallel im2col ignores it
    with pytest.raises(Unsupported, match=r"conv Conv2D not supported \(dilation_height 2"):
        trace_hls_model(hm, "conv")
    layer.set_attr("dilation_height", 1)
    config = layer.get_attr("config_cpp")
    layer.set_attr("config_cpp", config.replace("product::mult<", "product::weight_binary<"))
    with pytest.raises(Unsupported, match="only nnet::product::mult products"):
        trace_hls_model(hm, "conv")
    layer.set_attr("config_cpp", config.replace("strategy = nnet::latency;", "strategy = nnet::resource;"))
    with pytest.raises(Unsupported, match="not nnet::latency"):
        trace_hls_model(hm, "conv")
    layer.set_attr("config_cpp", config)
    trace_hls_model(hm, "conv")  # the unaltered layer traces
