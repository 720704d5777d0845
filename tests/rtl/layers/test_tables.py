"""hls4ml's lookup-table activations in the RTL path, bit-exact with the C simulation (issue 13, item 3).

* Every table entry, as trigger builds it (`trigger.rtl.layers.tables`), against the same table filled by
  hls4ml's own C++ (nnet_activation.h, compiled here with g++), for three type/size configurations.
* One float Keras model with a branch per configuration (one C simulation compile for all): softmax
  latency / stable / legacy / argmax on default tables, each again with custom table sizes and types set
  through the layer's hls4ml config, a multi-dimensional softmax, sigmoid and tanh (default, custom, and a
  table size that is not a power of two).  Each branch traced alone must equal the C simulation's raw
  integers on 1500 full-range vectors.
* A one-entry change in a table is caught, exactly on the vectors that read that entry.
* End to end: a QKeras model ending in a softmax, RTL and co-simulation of the whole network.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from layer_check import c_simulated, raw_of

pytestmark = pytest.mark.slow

N_VECTORS = 1500
DENSE = {"weight": "ap_fixed<8,4>", "bias": "ap_fixed<8,4>", "accum": "ap_fixed<24,10>"}
LOGITS = {  # the Dense layers feeding the branches, and their linear activations
    "la": "ap_fixed<12,5>",
    "lb": "ap_fixed<9,4,AP_RND,AP_SAT>",
    "lc": "ap_fixed<10,4>",
}
CUSTOM_OUT = "ap_ufixed<10,0,AP_RND,AP_SAT>"
# branch -> (input logits, Keras activation, top-level keys of its hls4ml layer config)
BRANCHES = {
    "sm_latency": ("la", "softmax", {"Implementation": "latency"}),
    "sm_stable": ("la", "softmax", {"Implementation": "stable"}),
    "sm_legacy": ("la", "softmax", {"Implementation": "legacy"}),
    "sm_argmax": ("la", "softmax", {"Implementation": "argmax"}),
    "sm_latency_t": (
        "lb",
        "softmax",
        {
            "Implementation": "latency",
            "TableSize": 256,
            "exp_table_t": "ap_ufixed<16,6,AP_RND_CONV,AP_SAT>",
            "inv_table_t": "ap_ufixed<14,1,AP_RND,AP_SAT>",
            "inv_inp_t": "ap_ufixed<12,7,AP_TRN,AP_SAT>",
            "accum_t": "ap_ufixed<18,8,AP_TRN,AP_SAT>",
        },
    ),
    "sm_stable_t": (
        "lb",
        "softmax",
        {
            "Implementation": "stable",
            "TableSize": 128,
            "exp_scale": 0.75,
            "exp_table_t": "ap_ufixed<10,1,AP_RND,AP_SAT>",
            "inv_table_t": "ap_ufixed<12,1,AP_RND,AP_SAT>",
            "inv_inp_t": "ap_ufixed<10,4,AP_RND,AP_SAT>",
            "accum_t": "ap_ufixed<12,4,AP_RND,AP_SAT>",
            "inp_norm_t": "ap_ufixed<8,4,AP_RND,AP_SAT>",
        },
    ),
    "sm_legacy_t": ("lb", "softmax", {"Implementation": "legacy", "TableSize": 512}),
    "sm_multi": ("lc", "softmax", {"Implementation": "stable", "n_outer": 2, "n_inner": 2}),
    "sig": ("la", "sigmoid", {}),
    "tanh": ("la", "tanh", {}),
    "sig_t": ("lb", "sigmoid", {"TableSize": 512, "table_t": "ap_fixed<12,2,AP_RND,AP_SAT>"}),
    "tanh_t": ("lb", "tanh", {"TableSize": 2048, "table_t": "ap_fixed<20,2,AP_RND_CONV,AP_SAT>"}),
    "sig_odd": ("la", "sigmoid", {"TableSize": 1000}),
}
CUSTOM = {"sm_latency_t", "sm_stable_t", "sm_legacy_t", "sig_t", "tanh_t"}  # results of type CUSTOM_OUT


def _model(path: Path) -> Path:
    import tensorflow as tf

    rng = np.random.default_rng(3)
    inp = tf.keras.Input((4,), name="x")
    logits = {"la": 5, "lb": 5, "lc": 12}
    dense = {name: tf.keras.layers.Dense(n, name=name)(inp) for name, n in logits.items()}
    outs = [tf.keras.layers.Activation(act, name=name)(dense[src]) for name, (src, act, _) in BRANCHES.items()]
    model = tf.keras.Model(inp, outs, name="tables")
    for name in logits:
        layer = model.get_layer(name)
        w, b = layer.get_weights()
        layer.set_weights([rng.integers(-8, 9, w.shape) / 4.0, rng.integers(-8, 9, b.shape) / 8.0])
    model.save(path)
    return path


@pytest.fixture(scope="module")
def tables_model(tmp_path_factory):
    """(hls model, input vectors, C simulation trace): one C simulation compile for every branch."""

    def configure(config: dict) -> None:
        layers = config["LayerName"]
        for name, result in LOGITS.items():
            layers[name]["Precision"].update(DENSE, result=result)
            layers[f"{name}_linear"]["Precision"]["result"] = result
        for name, (_, _, keys) in BRANCHES.items():
            layers[name].update(keys)  # the top-level keys take effect (not the per-layer `Precision` entries)
            if name in CUSTOM:
                layers[name]["Precision"]["result"] = CUSTOM_OUT

    tmp = tmp_path_factory.mktemp("tables")
    return c_simulated(_model(tmp / "tables.h5"), tmp, "ap_fixed<16,6>", None, N_VECTORS, configure=configure)


def _rtl_raw(hm, layer: str, x: np.ndarray) -> np.ndarray:
    from trigger.rtl.translate import trace_hls_model

    comb, _ = trace_hls_model(hm, layer)
    return raw_of(hm, layer, comb.predict(x.reshape(len(x), -1)), len(x))


@pytest.mark.parametrize("branch", list(BRANCHES))
def test_table_layer_rtl_equals_c_simulation(tables_model, branch):
    hm, x, trace = tables_model
    layer = hm.graph[branch]
    cfg = layer.get_attr("config_cpp")
    for key, value in BRANCHES[branch][2].items():  # the configuration reached hls4ml's C++
        if key == "Implementation":
            assert f"softmax_implementation::{value};" in cfg
        elif key == "TableSize":
            assert f"table_size = {value};" in cfg
        elif key.endswith("_t"):
            assert layer.get_attr(key).precision == hm.config.backend.convert_precision_string(value)
    expected = raw_of(hm, branch, trace[branch], len(x))
    np.testing.assert_array_equal(_rtl_raw(hm, branch, x), expected)
    if branch != "sm_argmax":  # the vectors reach many table entries, not one saturated corner
        assert len(np.unique(expected)) > 60, np.unique(expected).size
    else:
        assert set(np.unique(expected)) == {0, 2**10}  # Q_res(1) = 1.0 of fixed<16,6>, 0 elsewhere


def _input_of(hm, layer: str) -> str:
    """The name of the layer producing `layer`'s input (hls4ml drops a linear activation of the same type)."""
    (tensor,) = hm.graph[layer].inputs
    return next(lay.name for lay in hm.get_layers() if tensor in lay.outputs)


def _hits(raw: np.ndarray, width: int, n_bits: int) -> np.ndarray:
    """softmax_idx_from_real_val: the top n_bits of each two's complement word of `width` bits."""
    return (raw % 2**width) >> (width - n_bits)


def test_one_changed_exp_table_entry_is_caught(tables_model, monkeypatch):
    """sm_latency reads exp_table[top 10 bits of each logit]: one entry changed changes the result of vectors
    that read it, and of no other vector.  (The entry is one of exp(x) for x in [-1, 4), below the table
    type's saturation; a change of one LSB there is mostly absorbed by the product with 1/sum, so 0.5.)"""
    from trigger.rtl.layers import tables

    hm, x, trace = tables_model
    logits = _input_of(hm, "sm_latency")
    assert str(hm.graph[logits].get_output_variable().type.precision).startswith("fixed<12,5,")
    codes = _hits(raw_of(hm, logits, trace[logits], len(x)), 12, 10)
    values, counts = np.unique(codes, return_counts=True)
    x_of = np.where(values >= 512, values - 1024, values) / 32.0  # the logit each entry stands for
    counts = np.where((x_of >= -1) & (x_of < 4), counts, 0)
    entry = int(values[np.argmax(counts)])
    readers = (codes == entry).any(axis=1)
    assert 0 < readers.sum() < len(x)
    exp_table = tables.exp_table

    def changed(*args, **kwargs):
        table = exp_table(*args, **kwargs).copy()
        table[entry] += 0.5
        return table

    monkeypatch.setattr(tables, "exp_table", changed)
    differs = (_rtl_raw(hm, "sm_latency", x) != raw_of(hm, "sm_latency", trace["sm_latency"], len(x))).any(axis=1)
    assert differs.any() and not (differs & ~readers).any(), (entry, int(differs.sum()), int(readers.sum()))


def test_one_changed_sigmoid_entry_is_caught_exactly_where_read(tables_model, monkeypatch):
    """sig reads sigmoid_table[clip(int(x * 1024 / 16) + 512)]: changing one entry by one LSB changes
    exactly the (vector, lane) values that read it."""
    from trigger.rtl.layers import tables

    hm, x, trace = tables_model
    logits = np.asarray(trace[_input_of(hm, "sig")], dtype=np.float64).reshape(len(x), -1)
    index = np.clip(np.trunc(logits * 1024 / 16) + 512, 0, 1023).astype(int)
    values, counts = np.unique(index, return_counts=True)
    inner = (values > 0) & (values < 1023)
    entry = int(values[inner][np.argmax(counts[inner])])
    sigmoid_table = tables.sigmoid_table

    def changed(size, spec):
        table = sigmoid_table(size, spec).copy()
        table[entry] += 2.0**-10  # one LSB of table_t = ap_fixed<18,8> (and of the fixed<16,6> result)
        return table

    monkeypatch.setattr(tables, "sigmoid_table", changed)
    differs = _rtl_raw(hm, "sig", x) != raw_of(hm, "sig", trace["sig"], len(x))
    np.testing.assert_array_equal(differs, index == entry)
    assert differs.sum() > 1


# --- every table entry against hls4ml's C++ -----------------------------------------------------------------

HARNESS = """
#include "nnet_utils/nnet_activation.h"
#include <cstdio>
template <class EXP, class INV, class TAB, unsigned N, int SCALE_PERMILLE> struct cfg : nnet::activ_config {
    static const unsigned exp_table_size = N, inv_table_size = N, table_size = N;
    static constexpr float exp_scale = SCALE_PERMILLE / 1000.0f;
    typedef EXP exp_table_t; typedef INV inv_table_t; typedef TAB table_t;
};
template <class C, class DATA, class NORM, class INVINP> void dump() {
    const unsigned N = C::table_size;
    static typename C::exp_table_t e[N], en[N]; static typename C::inv_table_t iv[N];
    static typename C::table_t s[N], t[N], el[N], il[N];
    nnet::init_exp_table<DATA, C>(e); nnet::init_exp_table<NORM, C>(en, true);
    nnet::init_invert_table<INVINP, C>(iv);
    nnet::init_sigmoid_table<C, N>(s); nnet::init_tanh_table<C, N>(t);
    nnet::init_exp_table_legacy<C, N>(el); nnet::init_invert_table_legacy<C, N>(il);
    for (unsigned i = 0; i < N; i++)
        printf("%.17g %.17g %.17g %.17g %.17g %.17g %.17g\\n", e[i].to_double(), en[i].to_double(), iv[i].to_double(),
               s[i].to_double(), t[i].to_double(), el[i].to_double(), il[i].to_double());
}
int main() {
"""
# (exp_table_t, inv_table_t, table_t, size, exp_scale * 1000, data_T, inp_norm_t, inv_inp_t)
CONFIGS = [
    ("ap_fixed<18,8,AP_RND,AP_SAT>", "ap_fixed<18,8,AP_RND,AP_SAT>", "ap_fixed<18,8>", 1024, 1000,
     "ap_fixed<12,5>", "ap_ufixed<11,4>", "ap_fixed<18,8,AP_RND,AP_SAT>"),
    ("ap_ufixed<20,4,AP_RND_CONV,AP_SAT>", "ap_fixed<18,8>", "ap_ufixed<16,1,AP_RND,AP_WRAP>", 256, 700,
     "ap_fixed<10,4>", "ap_ufixed<9,4,AP_RND,AP_SAT>", "ap_ufixed<12,5,AP_RND,AP_SAT>"),
    ("ap_fixed<24,10,AP_RND_INF,AP_SAT_SYM>", "ap_fixed<24,10,AP_RND_ZERO,AP_SAT_ZERO>",
     "ap_fixed<24,2,AP_RND_CONV,AP_SAT>", 4096, 1300, "ap_fixed<14,8>", "ap_ufixed<13,7>", "ap_fixed<16,8>"),
]  # fmt: skip


def _spec(text: str) -> dict:
    from hls4ml.backends import get_backend

    from trigger.fixed import precision_spec

    return precision_spec(get_backend("Vitis").convert_precision_string(text))


def test_every_table_entry_equals_hls4mls_cpp(tmp_path):
    """The tables of three configurations, every entry, against hls4ml's own init_*_table functions
    (the third has a 22-bit tanh table where glibc's tanhf and a double tanh differ in 536 entries)."""
    import hls4ml

    from trigger.rtl.layers import tables

    vivado = Path(hls4ml.__file__).parent / "templates" / "vivado"
    calls = [
        f'    dump<cfg<{e}, {i}, {t}, {n}, {s}>, {d}, {nt}, {ii}>(); printf("--\\n");'
        for e, i, t, n, s, d, nt, ii in CONFIGS
    ]
    (tmp_path / "tables.cpp").write_text(HARNESS + "\n".join(calls) + "\n}\n")
    build = ["g++", "-O3", "-std=c++17", "-w", f"-I{vivado}", f"-I{vivado / 'ap_types'}", "tables.cpp", "-o", "tables"]
    subprocess.run(build, cwd=tmp_path, check=True)
    out = subprocess.run([str(tmp_path / "tables")], capture_output=True, text=True, check=True).stdout
    blocks = [np.loadtxt(b.strip().splitlines()) for b in out.split("--") if b.strip()]
    names = ["exp", "exp (stable)", "invert", "sigmoid", "tanh", "exp (legacy)", "invert (legacy)"]
    for config, cpp in zip(CONFIGS, blocks, strict=True):
        e, i, t, n, s, d, nt, ii = config
        e, i, t, d, nt, ii = (_spec(v) for v in (e, i, t, d, nt, ii))
        scale = np.float32(s) / np.float32(1000)
        ours = [
            tables.exp_table(n, d, e, scale, negative=False),
            tables.exp_table(n, nt, e, scale, negative=True),
            tables.invert_table(n, ii, i),
            tables.sigmoid_table(n, t),
            tables.tanh_table(n, t),
            tables.exp_table_legacy(n, t),
            tables.invert_table_legacy(n, t),
        ]
        for k, table in enumerate(ours):
            np.testing.assert_array_equal(table, cpp[:, k], err_msg=f"{names[k]} table of {config}")


# --- what the handlers refuse -------------------------------------------------------------------------------

LAYER = SimpleNamespace(name="sm", class_name="Softmax")


def test_table_needing_more_than_24_significant_bits_is_unsupported():
    """alkaid stores table entries as int32 at the float32 grid of the values: 25 significant bits are refused."""
    from trigger.rtl.layers import tables
    from trigger.rtl.registry import Unsupported

    ok = np.array([0.5, 1 - 2.0**-24, 3.0])
    np.testing.assert_array_equal(tables.checked_table(LAYER, "exp table", ok), ok)
    with pytest.raises(Unsupported, match=r"sm Softmax not supported \(exp table values need more than 24 signif"):
        tables.checked_table(LAYER, "exp table", np.array([0.5, 1 + 2.0**-24]))


def test_softmax_table_size_not_a_power_of_two_is_unsupported():
    """softmax_idx_from_real_val reads ceillog2(size) bits: a 1000-entry table would be read past its end."""
    from alkaid.trace import FVariable, HWConfig

    from trigger.rtl.layers import tables
    from trigger.rtl.registry import Unsupported

    v = FVariable(-4.0, 3.5, 0.5, hwconf=HWConfig(1, -1, -1))
    spec = _spec("ap_fixed<8,4>")
    with pytest.raises(Unsupported, match=r"table size 1000 is not a power of two"):
        tables.top_bits(LAYER, v, spec, 1000)
    with pytest.raises(Unsupported, match=r"a 512-entry table indexed by a 8-bit word"):
        tables.top_bits(LAYER, v, spec, 512)


def test_constant_key_reads_one_entry():
    """A key alkaid knows to be constant (e.g. max(x) - x of a one-value softmax) reads its entry directly."""
    from alkaid.trace import FVariable, HWConfig

    from trigger.rtl.layers import tables

    key = FVariable.from_const(1.5, hwconf=HWConfig(1, -1, -1))
    got = tables.lookup(key, np.array([7.0, 8.0, 9.0, 10.0]), (0.0, 1.5, 0.5))
    assert got.low == got.high == 10.0


# --- end to end ---------------------------------------------------------------------------------------------


def test_qkeras_softmax_network_is_in_the_rtl_and_cosimulates(tiny_files, tmp_path):
    """The tiny QKeras tagger (8-8-3, softmax): the RTL covers the softmax, equals the C simulation's network
    output and co-simulates with 0 mismatches (Icarus here; the jet tagger's compile in tests/cosim runs the
    same under Verilator)."""
    import json

    import trigger
    from trigger.fixed import fixed_type_from_str

    project = trigger.compile(
        tiny_files.h5, "xcvu9p", tmp_path / "p", n_vectors=1000, cosim=True, synth=False, simulator="icarus"
    )
    r = project.report
    rtl, cosim = r["rtl"], r["cosim"]
    assert rtl["not_in_rtl"] == [] and rtl["not_in_rtl_reason"] is None and rtl["covers"] == "inputs -> softmax"
    assert rtl["check"]["layer"] == "softmax" and rtl["check"]["bit_exact"] and rtl["check"]["n_vectors"] == 1000
    assert cosim["mismatches"] == 0 and cosim["n_vectors"] == 1000 and cosim["passed"] and r["verdict"]["passed"]
    assert r["emulation"]["compared_at"]["layer"] == "output"  # the reference comparison stays at the logits
    vectors = tmp_path / "p" / "vectors"
    index = json.loads((vectors / "index.json").read_text())
    assert index["rtl_expected_raw"]["layer"] == "softmax"
    out_type = fixed_type_from_str(index["rtl_expected_raw"]["type"])
    expected = np.load(vectors / "rtl_expected_raw.npy")
    np.testing.assert_array_equal(expected, out_type.to_raw(np.load(vectors / "emulation_output.npy"))[0])
    np.testing.assert_array_equal(np.load(tmp_path / "p" / "cosim" / "outputs_raw.npy"), expected)
    assert len(np.unique(expected)) > 30
    md = (tmp_path / "p" / "report.md").read_text()
    assert "(alkaid Verilog, inputs -> softmax, the whole network): " in md and "Not in the RTL" not in md
