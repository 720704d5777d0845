"""Binary (bipolar) networks: hls4ml's one-bit {-1, +1} type, its comparison, and hls4ml's binary-network defects.

hls4ml stores a BipolarQuant value v in {-1, +1} as one bit b = (v + 1) / 2 (`XnorPrecisionType`, `uint<1>`).
The fast tests use hls4ml's real precision classes and small stand-ins for converted layers; the slow ones
compile the Brevitas corpus models end to end.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from trigger import binary_conversion, emulation
from trigger.errors import InputError
from trigger.fixed import BIPOLAR, BIPOLAR_NAME, FixedType, fixed_type_from_str, from_hls_precision, is_xnor_precision

ZOO = Path(__file__).resolve().parent / "zoo" / "models"


# ------------------------------------------------------------------------------------------ the bipolar type


def test_bipolar_raw_is_the_bit_and_back():
    raw, on_grid = BIPOLAR.to_raw(np.array([-1.0, 1.0, 1.0, -1.0]))
    np.testing.assert_array_equal(raw, [0, 1, 1, 0])
    assert on_grid.all() and raw.dtype == np.int64
    np.testing.assert_array_equal(BIPOLAR.from_raw(np.array([0, 1])), [-1.0, 1.0])
    np.testing.assert_array_equal(BIPOLAR.from_raw(BIPOLAR.to_raw(np.array([1.0, -1.0]))[0]), [1.0, -1.0])


def test_bipolar_values_off_the_grid_are_flagged():
    _, on_grid = BIPOLAR.to_raw(np.array([-1.0, 0.0, 0.5, 1.0, 2.0, -3.0]))
    np.testing.assert_array_equal(on_grid, [True, False, False, True, False, False])


def test_c_simulation_bits_are_read_as_minus_one_and_plus_one():
    np.testing.assert_array_equal(BIPOLAR.from_hls_values(np.array([0, 1, 1])), [-1.0, 1.0, 1.0])
    ordinary = FixedType(8, 3, True)  # any other type prints its real value
    np.testing.assert_array_equal(ordinary.from_hls_values(np.array([0, 1, 1])), [0.0, 1.0, 1.0])


def test_bipolar_quantize_is_brevitas_bipolarquant():
    x = np.array([-2.5, -1e-9, 0.0, 1e-9, 7.0])
    np.testing.assert_array_equal(BIPOLAR.quantize(x), [-1.0, -1.0, 1.0, 1.0, 1.0])  # x >= 0 -> +1


def test_bipolar_string_round_trip():
    assert str(BIPOLAR) == BIPOLAR_NAME == "bipolar<1>"
    assert fixed_type_from_str(str(BIPOLAR)) == BIPOLAR
    assert fixed_type_from_str(" bipolar<1> ") is BIPOLAR
    assert fixed_type_from_str("ufixed<1,1>") != BIPOLAR  # an ordinary unsigned bit means 0/1, not -1/+1
    assert not fixed_type_from_str("ufixed<1,1>").bipolar


def test_xnor_precision_is_bipolar_also_after_the_backend_reclasses_it():
    from hls4ml.backends.fpga.fpga_types import APTypeConverter
    from hls4ml.model.types import IntegerPrecisionType, XnorPrecisionType

    assert from_hls_precision(XnorPrecisionType()) == BIPOLAR
    converted = APTypeConverter().convert(XnorPrecisionType())  # what the Vitis backend leaves on a layer
    assert type(converted).__name__ == "APXnorPrecisionType" and is_xnor_precision(converted)
    assert from_hls_precision(converted) == BIPOLAR
    one_bit = APTypeConverter().convert(IntegerPrecisionType(width=1, signed=False))
    assert not is_xnor_precision(one_bit) and from_hls_precision(one_bit) == FixedType(1, 1, False)


# ------------------------------------------------------------------------------- comparing a bipolar output

N_VECTORS, N_OUT = 6, 4


def _var(precision, shape=(N_OUT,)):
    return SimpleNamespace(type=SimpleNamespace(precision=precision), shape=list(shape))


def _layer(name, class_name, inputs, precision, weights=None, attrs=None, input_var=None):
    attrs = dict(attrs or {})
    return SimpleNamespace(
        name=name,
        class_name=class_name,
        inputs=list(inputs),
        outputs=[name],
        weights=dict(weights or {}),
        get_attr=lambda key, default=None: attrs.get(key, default),
        get_output_variable=lambda: _var(precision),
        get_input_variable=lambda: input_var,
    )


class _FakeHls:
    """An hls4ml model whose last layer is a binary activation: its traced bits are `bits`."""

    def __init__(self, bits):
        from hls4ml.model.types import FixedPrecisionType, XnorPrecisionType

        self.bits = bits
        self.layers = [
            _layer("x", "Input", [], FixedPrecisionType(16, 6)),
            _layer("sign", "Activation", ["x"], XnorPrecisionType(), attrs={"activation": "binary_tanh"}),
        ]

    def get_layers(self):
        return iter(self.layers)

    def trace(self, x):
        return self.bits.copy(), {"sign": self.bits.copy()}


class _FakeSource:
    path = Path("model.onnx")

    def __init__(self, outputs):
        self.outputs = outputs

    def predict(self, x):
        return self.outputs.copy()

    def has_layer(self, layer):
        return False

    def describe(self, name, op):
        return f"layer '{name}' ({op})"


def _bits():
    return np.random.default_rng(0).integers(0, 2, (N_VECTORS, N_OUT)).astype(np.float64)


def test_bipolar_output_compares_bit_for_bit():
    bits = _bits()
    hm = _FakeHls(bits)
    point = emulation.compare_point(hm)
    assert point.layer == "sign" and point.ftype == BIPOLAR and point.exact_possible
    cmp, arrays = emulation.run(hm, _FakeSource(2 * bits - 1), point, np.zeros((N_VECTORS, 3)))
    assert cmp.equal.all() and cmp.first_mismatch() is None
    np.testing.assert_array_equal(cmp.emulation_raw, bits.astype(np.int64))
    np.testing.assert_array_equal(arrays["emulation"], 2 * bits - 1)  # values, not printed bits


def test_one_flipped_sign_in_the_reference_is_a_mismatch():
    bits = _bits()
    reference = 2 * bits - 1
    reference[4, 2] *= -1
    hm = _FakeHls(bits)
    cmp, _ = emulation.run(hm, _FakeSource(reference), emulation.compare_point(hm), np.zeros((N_VECTORS, 3)))
    assert cmp.equal.sum() == N_VECTORS * N_OUT - 1
    assert cmp.first_mismatch() == {
        "vector": 4,
        "lane": 2,
        "expected_raw": int(reference[4, 2] > 0),
        "got_raw": int(bits[4, 2]),
    }


def test_a_reference_value_that_is_not_plus_or_minus_one_is_never_equal():
    bits = np.ones((N_VECTORS, N_OUT))
    reference = np.ones((N_VECTORS, N_OUT))
    reference[1, 1] = 0.5  # e.g. the tap landed before the BipolarQuant
    hm = _FakeHls(bits)
    cmp, _ = emulation.run(hm, _FakeSource(reference), emulation.compare_point(hm), np.zeros((N_VECTORS, 3)))
    assert not cmp.equal[1, 1] and cmp.equal.sum() == N_VECTORS * N_OUT - 1


# ------------------------------------------------------ hls4ml 1.3.0 conversions that compute something else


def _weight(data, unquantized, precision, quantizer=None):
    return SimpleNamespace(
        data=np.asarray(data),
        data_unquantized=np.asarray(unquantized, dtype=np.float64),
        type=SimpleNamespace(precision=precision),
        quantizer=quantizer,
    )


def _binary_graph(weight_bits, bias=0.0, threshold=None, threshold_model=None, gamma=None):
    """sign -> binary Dense (8 inputs, N_OUT outputs) -> BatchNormalization + binary activation."""
    from hls4ml.model.quantizers import BinaryQuantizer
    from hls4ml.model.types import IntegerPrecisionType, XnorPrecisionType

    model_weights = np.where(np.arange(8 * N_OUT).reshape(8, N_OUT) % 3 == 0, -0.5, 0.25)
    xnor, int6 = XnorPrecisionType(), IntegerPrecisionType(width=6)
    dense = _layer(
        "Dense_MatMul_1",
        "Dense",
        ["sign"],
        int6,
        weights={
            "weight": _weight(weight_bits(model_weights), model_weights, xnor, BinaryQuantizer(bits=1)),
            "bias": _weight(np.full(N_OUT, bias), np.full(N_OUT, bias), xnor),
        },
        attrs={"n_in": 8},
        input_var=_var(xnor, (8,)),
    )
    layers = [_layer("sign", "Activation", ["x"], xnor), dense]
    if threshold is not None:
        model = threshold if threshold_model is None else threshold_model
        layers.append(
            _layer(
                "bnbt_BatchNormalization_1",
                "BatchNormalizationQuantizedTanh",
                [dense.name],
                xnor,
                weights={"threshold": _weight(threshold, model, int6)},
                attrs={"quantize": 2, "n_in": N_OUT},
            )
        )
    return SimpleNamespace(get_layers=lambda: iter(layers))


def _bits_once(w):
    return (w >= 0).astype(int)


def _bits_twice(w):  # hls4ml's QuantizeDenseOutput: BinaryQuantizer(bits=1) on the stored 0/1 bits
    return (_bits_once(w) >= 0).astype(int)


def test_a_correct_binary_conversion_has_no_deviation():
    assert (
        binary_conversion.conversion_deviations(_binary_graph(_bits_once, threshold=np.array([1.0, -3.0, 0.0, 5.0])))
        == []
    )


def test_weights_binarized_twice_are_named():
    (dev,) = binary_conversion.conversion_deviations(_binary_graph(_bits_twice))
    assert dev.layer == "Dense_MatMul_1" and dev.layer_type == "Dense"
    n_negative = int(np.count_nonzero(np.arange(8 * N_OUT) % 3 == 0))
    assert f"all {8 * N_OUT} binary weights are +1 in the firmware, {n_negative} of them -1" in dev.reason


def test_a_binary_dense_bias_counts_twice():
    (dev,) = binary_conversion.conversion_deviations(_binary_graph(_bits_once, bias=1.0))
    assert dev.layer == "Dense_MatMul_1" and "count twice" in dev.reason and "2 * (bias + agreements)" in dev.reason


def test_thresholds_rounded_down_onto_a_reachable_value():
    # 8 inputs: the Dense outputs -8, -6, ..., 8.  Channel 1: the model's threshold -1.5 is floored to -2, which
    # the Dense can output (the model says -1 there, the firmware +1); channel 0: -2.5 -> -3 is never output.
    model = np.array([-2.5, -1.5, 4.0, 0.25])
    firmware = np.floor(model)
    (dev,) = binary_conversion.conversion_deviations(
        _binary_graph(_bits_once, threshold=firmware, threshold_model=model)
    )
    assert dev.layer == "bnbt_BatchNormalization_1"
    assert "2 of its 4 thresholds" in dev.reason
    assert "channel 1, threshold -1.5 in the model, -2 in the firmware" in dev.reason
    ceiled = _binary_graph(_bits_once, threshold=np.ceil(model), threshold_model=model)  # x >= ceil(t) is x >= t
    assert binary_conversion.conversion_deviations(ceiled) == []


def test_a_binary_dense_result_type_must_hold_every_dot_product():
    from hls4ml.model.types import FixedPrecisionType

    graph = _binary_graph(_bits_once)
    dense = list(graph.get_layers())[1]
    assert binary_conversion.conversion_deviations(graph) == []  # int<6> holds -8..8
    dense.get_output_variable = lambda: _var(FixedPrecisionType(6, 4))  # -8 .. 7.75
    (dev,) = binary_conversion.conversion_deviations(graph)
    assert dev.layer == "Dense_MatMul_1" and "ranges from -8 to 8: 8 cannot be represented" in dev.reason


def test_a_threshold_outside_its_type_is_named():
    graph = _binary_graph(_bits_once, threshold=np.array([1.0, 40.0, -3.0, -33.0]))  # int<6>: -32 .. 31
    (dev,) = binary_conversion.conversion_deviations(graph)
    assert dev.layer == "bnbt_BatchNormalization_1"
    assert "2 of its 4 thresholds lie outside their type fixed<6,6>" in dev.reason and "channel 1" in dev.reason


def test_check_conversion_refuses_with_exit_code_2_naming_each_layer():
    graph = _binary_graph(_bits_twice, threshold=np.floor([0.5, 1.5, 2.5, 3.5]), threshold_model=[0.5, 1.5, 2.5, 3.5])
    with pytest.raises(InputError) as info:
        binary_conversion.check_conversion(graph, _FakeSource(None))
    message = str(info.value)
    assert info.value.exit_code == 2
    assert "hls4ml layer 'Dense_MatMul_1'" in message and "hls4ml layer 'bnbt_BatchNormalization_1'" in message
    assert "different function" in message


def test_negative_batchnorm_scale_before_a_binary_activation_is_named():
    graph = _binary_graph(_bits_once, threshold=np.zeros(N_OUT))
    bn = SimpleNamespace(op_type="BatchNormalization", input=["x", "g", "b", "m", "v"], attribute=[])
    inits = {"g": np.array([1.0, -0.5, 2.0, 1.0]), "v": np.ones(N_OUT)}
    wrapper = SimpleNamespace(
        get_node_from_name=lambda name: bn if name == "BatchNormalization_1" else None,
        get_initializer=inits.get,
    )
    source = _FakeSource(None)
    source.wrapper = wrapper
    (dev,) = binary_conversion.conversion_deviations(graph, source=source)
    assert dev.layer == "bnbt_BatchNormalization_1"
    assert "1 of its 4 channels" in dev.reason and "channel 1" in dev.reason


# ------------------------------------------------------------------------------------------ end to end


@pytest.mark.slow
def test_brevitas_bnn_fc1_is_bit_exact_at_its_bipolar_output(compile_cli, tmp_path):
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.util.cleanup import cleanup_model

    folder = ZOO / "brevitas_bnn_fc1"
    out = tmp_path / "p"
    run = compile_cli(
        folder / "model.onnx", "--target", "xcvu9p", "-o", out, "--inputs", folder / "inputs.npy",
        "--no-rtl", "--no-cosim", "--no-synth",
    )  # fmt: skip
    assert run.code == 0, run.err
    emu = json.loads((out / "report.json").read_text())["emulation"]
    assert emu["mode"] == "exact" and emu["bit_exact"] and emu["compared_at"]["feeds"] is None

    index = json.loads((out / "vectors" / "index.json").read_text())
    ftype = fixed_type_from_str(index["expected_raw"]["type"])
    assert ftype == BIPOLAR  # the network's own BipolarQuant output, compared as bits
    expected = np.load(out / "vectors" / "expected_raw.npy")
    assert set(np.unique(expected)) == {0, 1}

    # the reference recomputed here from the user's file with qonnx, on the inputs the project used
    x = np.load(out / "vectors" / "inputs.npy").astype(np.float32)
    wrapper = cleanup_model(ModelWrapper(str(folder / "model.onnx")), override_inpsize=len(x))
    y = execute_onnx(wrapper, {wrapper.graph.input[0].name: x})[wrapper.graph.output[0].name]
    ref_raw, on_grid = ftype.to_raw(y)
    assert on_grid.all()
    np.testing.assert_array_equal(ref_raw.reshape(expected.shape), expected)
    assert len({tuple(row) for row in expected}) > 10  # the vectors exercise more than one output pattern


@pytest.mark.slow
def test_brevitas_bnn_is_exact_or_refused_naming_the_layers_hls4ml_gets_wrong(compile_cli, tmp_path):
    """TFC_1W1A-like 32-64-64-5: hls4ml 1.3.0 binarizes the weights of Dense_MatMul_1 and Dense_MatMul_2 twice
    (all +1), floors bnbt_BatchNormalization_1's thresholds and gives Dense_MatMul_0 a type too narrow for +32;
    never a bare 'emulation differs' (exit 3)."""
    folder = ZOO / "brevitas_bnn"
    out = tmp_path / "p"
    run = compile_cli(
        folder / "model.onnx", "--target", "xcvu9p", "-o", out, "--inputs", folder / "inputs.npy",
        "--no-rtl", "--no-cosim", "--no-synth",
    )  # fmt: skip
    if run.code == 0:  # hls4ml's binary passes fixed or worked around: then it must be exact
        emu = json.loads((out / "report.json").read_text())["emulation"]
        assert emu["mode"] == "exact" and emu["bit_exact"], emu
        return
    assert run.code == 2, run.err
    assert "converts this binary network into a different function" in run.err
    assert "hls4ml layer 'Dense_MatMul_1': all 4096 binary weights are +1 in the firmware" in run.err
    assert "hls4ml layer 'bnbt_BatchNormalization_1'" in run.err and "rounded down" in run.err
    assert "node '/features/features.4/MatMul' (op MatMul)" in run.err  # named as in the user's file
    # the first binary Dense keeps the default precision: its dot product +32 does not fit fixed<16,6>
    assert "hls4ml layer 'Dense_MatMul_0': its result type fixed<16,6> holds -32.0 to 31.9990234375" in run.err
    assert not out.exists()


def _negative_scale_source(gamma):
    bn = SimpleNamespace(op_type="BatchNormalization", input=["x", "g", "b", "m", "v"], attribute=[])
    inits = {"g": np.asarray(gamma, dtype=np.float64), "v": np.ones(N_OUT)}
    source = _FakeSource(None)
    source.wrapper = SimpleNamespace(
        get_node_from_name=lambda name: bn if name == "BatchNormalization_1" else None, get_initializer=inits.get
    )
    return source


def test_a_negative_scale_channel_negated_in_the_dense_and_the_activation_is_accepted():
    """hls4ml_fixes computes a gamma < 0 channel c as (-x) >= (-t): column c of the xnor weights inverted."""

    def bits_with_column_1_negated(w):
        bits = _bits_once(w)
        bits[:, 1] = 1 - bits[:, 1]
        return bits

    source = _negative_scale_source([1.0, -0.5, 2.0, 1.0])
    graph = _binary_graph(bits_with_column_1_negated, threshold=np.zeros(N_OUT))
    dense, bnbt = list(graph.get_layers())[1:]
    dense.trigger_negated_channels = bnbt.trigger_negated_channels = (1,)
    assert binary_conversion.conversion_deviations(graph, source=source) == []

    del dense.trigger_negated_channels  # the activation alone says so: its Dense computes +x, refused
    reasons = [d.reason for d in binary_conversion.conversion_deviations(graph, source=source)]
    assert any("scale <= 0" in r and "channel 1" in r for r in reasons)
    assert any("opposite sign" in r for r in reasons)  # and the inverted column is a wrong weight

    zero = _negative_scale_source([1.0, 0.0, 2.0, 1.0])  # a zero scale is never negated: still refused
    graph = _binary_graph(bits_with_column_1_negated, threshold=np.zeros(N_OUT))
    dense, bnbt = list(graph.get_layers())[1:]
    dense.trigger_negated_channels = bnbt.trigger_negated_channels = (1,)
    (dev,) = binary_conversion.conversion_deviations(graph, source=zero)
    assert "scale <= 0" in dev.reason and "channel 1" in dev.reason


@pytest.mark.slow
@pytest.mark.parametrize("name", ["public_tfc_1w1a", "public_tfc_1w2a"])
def test_finn_tfc_models_compile_and_agree_with_qonnx(compile_cli, tmp_path, name):
    """FINN's TFC-w1a1 (12 negative-gamma channels, once refused) and TFC-w1a2 (a wrapping accumulator once gave
    argmax agreement 0.39): only their final float BatchNorm, rounded by hls4ml, keeps them from bit-exact."""
    folder = ZOO / name
    out = tmp_path / "p"
    run = compile_cli(
        folder / "model.onnx", "--target", "xcvu9p", "-o", out, "--inputs", folder / "inputs.npy",
        "--no-rtl", "--no-cosim", "--no-synth",
    )  # fmt: skip
    assert run.code == 0, run.err
    emu = json.loads((out / "report.json").read_text())["emulation"]
    assert emu["final_output"]["argmax_agreement"] == 1.0, emu
    assert emu["max_abs_diff"] < 0.5, emu
