"""Invalid Keras / QKeras models are refused at load with InputError naming the layer and the reason.

Mutants are made from one tiny QKeras tagger (8-8-3, 4-bit) saved as .json + weights and as .h5:
JSON edits for the architecture, other models' weights files, and NaN weights set before saving.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from trigger.cli import compile_main
from trigger.errors import InputError
from trigger.frontends import load_model


def _tiny(hidden: tuple[int, ...] = (8,), name: str = "tiny"):
    import tensorflow as tf

    from trigger.zoo import jet_tagger, randomize

    small = jet_tagger(bits=4, hidden=hidden, n_features=8, n_classes=3)
    model = tf.keras.Model(small.inputs, small.outputs, name=name)
    randomize(model, seed=3)
    return model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, Path]:
    """The tiny tagger as .json + _weights.h5 and .h5, a NaN-kernel .h5 and two foreign weights files."""
    d = tmp_path_factory.mktemp("tiny")
    model = _tiny()
    model.save(d / "tiny.h5")
    (d / "tiny.json").write_text(model.to_json())
    model.save_weights(d / "tiny_weights.h5")
    w, b = model.get_layer("fc1").get_weights()
    w[2, 3] = np.nan
    model.get_layer("fc1").set_weights([w, b])
    model.save(d / "nan.h5")
    w[2, 3] = 0.5
    b[1] = -np.inf
    model.get_layer("fc1").set_weights([w, b])
    model.save(d / "inf.h5")
    _tiny(hidden=(6,)).save_weights(d / "narrower_weights.h5")
    _tiny(hidden=(8, 8)).save_weights(d / "deeper_weights.h5")
    renamed = _tiny()
    for layer in renamed.layers:
        layer._name = f"other_{layer.name}"
    renamed.save_weights(d / "renamed_weights.h5")
    return {p.stem: p for p in d.iterdir()}


def _layer(config: dict, name: str) -> dict:
    return next(lay for lay in config["config"]["layers"] if lay["name"] == name)


def _delete_relu(config: dict) -> None:
    config["config"]["layers"].remove(_layer(config, "relu1"))


def _unknown_class(config: dict) -> None:
    _layer(config, "relu1")["class_name"] = "QFancy"


def _units(value: int) -> Callable[[dict], None]:
    return lambda config: _layer(config, "fc1")["config"].__setitem__("units", value)


def _kernel_bits(bits: int, integer: int) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        q = _layer(config, "fc1")["config"]["kernel_quantizer"]["config"]
        q["bits"], q["integer"] = bits, integer

    return change


def _relu_bits(bits: int) -> Callable[[dict], None]:
    return lambda config: _layer(config, "relu1")["config"]["activation"]["config"].__setitem__("bits", bits)


JSON_MUTANTS: dict[str, tuple[Callable[[dict], None], str]] = {
    "deleted layer": (_delete_relu, r"layer 'output' \(QDense\) takes its input from layer 'relu1', which"),
    "unknown class": (_unknown_class, r"layer 'relu1' has class 'QFancy', which neither Keras nor QKeras"),
    "units 0": (_units(0), r"layer 'fc1' \(QDense\) has units 0; it must be a positive integer"),
    "units negative": (_units(-3), r"layer 'fc1' \(QDense\) has units -3"),
    "quantized_bits(0,0)": (_kernel_bits(0, 0), r"layer 'fc1' \(QDense\) has quantizer quantized_bits.* with 0 bits"),
    "quantized_relu(-3)": (
        _relu_bits(-3),
        r"layer 'relu1' \(QActivation\) has quantizer quantized_relu.* with -3 bits",
    ),
    "quantized_bits(65)": (
        _kernel_bits(65, 0),
        r"layer 'fc1' \(QDense\).* with 65 bits; bits must be an integer from 1",
    ),
}


@pytest.mark.parametrize("name", list(JSON_MUTANTS))
def test_json_mutant_is_refused(tiny, tmp_path, name):
    change, message = JSON_MUTANTS[name]
    config = json.loads(tiny["tiny"].with_suffix(".json").read_text())
    change(config)
    arch = tmp_path / "m.json"
    arch.write_text(json.dumps(config))
    shutil.copy(tiny["tiny_weights"], tmp_path / "m_weights.h5")
    with pytest.raises(InputError, match=message) as info:
        load_model(arch)
    assert str(arch) in str(info.value)


@pytest.mark.parametrize(
    "weights, message",
    [
        ("narrower_weights", r"layer 'fc1' has weight shapes \[\(8, 8\), \(8,\)\] but .* holds \[\(8, 6\), \(6,\)\]"),
        ("deeper_weights", r"deeper_weights.h5 holds weights for layer 'fc2', which the architecture lacks"),
        ("renamed_weights", r"layer 'fc1' has weights but .*renamed_weights.h5 holds none for it"),
    ],
)
def test_weights_of_another_architecture_are_refused(tiny, weights, message):
    with pytest.raises(InputError, match=message):
        load_model(tiny["tiny"].with_suffix(".json"), weights=tiny[weights])


@pytest.mark.parametrize(
    "stem, message",
    [
        ("nan", r"layer 'fc1' weight 'kernel' holds 1 non-finite value\(s\) \(nan at index \(2, 3\)\)"),
        ("inf", r"layer 'fc1' weight 'bias' holds 1 non-finite value\(s\) \(-inf at index \(1,\)\)"),
    ],
)
def test_non_finite_weights_are_refused(tiny, stem, message):
    with pytest.raises(InputError, match=message):
        load_model(tiny[stem])


def test_valid_forms_still_load(tiny):
    assert load_model(tiny["tiny"].with_suffix(".h5")).quantized
    assert load_model(tiny["tiny"].with_suffix(".json")).quantized


def test_cli_refuses_invalid_keras_with_exit_2_and_no_output(tiny, tmp_path, capsys):
    out = tmp_path / "prj"
    code = compile_main([str(tiny["nan"]), "--target", "xcvu9p", "-o", str(out), "--stop-after", "hls"])
    assert code == 2
    assert "layer 'fc1' weight 'kernel'" in capsys.readouterr().err
    assert not out.exists()


def test_dilated_convolution_is_refused(tmp_path):
    """hls4ml's Keras parser drops dilation_rate (Conv1D kernel 3, dilation 2 on 10 samples: width 8, not 6)."""
    import tensorflow as tf

    inp = tf.keras.Input((10, 2))
    out = tf.keras.layers.Conv1D(3, 3, dilation_rate=2, name="dilated")(inp)
    tf.keras.Model(inp, out).save(tmp_path / "d.h5")
    with pytest.raises(InputError, match=r"layer 'dilated' \(Conv1D\) has dilation_rate \[2\]; hls4ml ignores"):
        load_model(tmp_path / "d.h5")
    inp = tf.keras.Input((10, 2))
    tf.keras.Model(inp, tf.keras.layers.Conv1D(3, 3, name="plain")(inp)).save(tmp_path / "p.h5")
    load_model(tmp_path / "p.h5")  # dilation 1 is fine
