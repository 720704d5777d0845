"""HGQ2, QKeras-v3 and float Keras 3 models, built and saved by this session, compiled from their .keras files:
the C simulation equals the Keras model's own output as raw integers (recomputed here with Keras), the RTL
covers the whole network and equals the C simulation, and Verilator co-simulates it with 0 mismatches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

QUANTIZED = ["hgq_dense", "hgq_deepsets", "qkeras3_mlp"]


def _report(project: Path) -> dict:
    return json.loads((project / "report.json").read_text())


def _keras_reference(model_file: Path, project: Path) -> np.ndarray:
    """The Keras model's value of the compared tensor on the project's inputs, as raw integers of its type."""
    import keras

    from trigger.fixed import fixed_type_from_str
    from trigger.frontends.keras3 import _keras3_stack

    _keras3_stack()
    model = keras.models.load_model(model_file, compile=False)
    report = _report(project)
    at = report["emulation"]["compared_at"]
    x = np.load(project / "vectors" / "inputs.npy")
    if at["feeds"]:  # a trailing softmax: the logits are its input
        model = keras.Model(model.inputs, model.get_layer(at["feeds"]).input)
    y = np.asarray(model.predict(x, verbose=0), dtype=np.float64).reshape(len(x), -1)
    raw, on_grid = fixed_type_from_str(at["precision"]).to_raw(y)
    assert on_grid.all(), "the Keras output is not on the compared type's grid"
    return raw


@pytest.mark.slow
@pytest.mark.parametrize("name", QUANTIZED)
def test_quantized_keras3_model_is_exact_to_the_gates(name, compiled3, models3):
    code, project = compiled3(name)
    report = _report(project)
    assert code == 0, report["verdict"]
    assert report["environment"]["keras"].startswith("3.")
    assert report["model"]["source"] == ("hgq2" if name.startswith("hgq") else "qkeras3")
    emu = report["emulation"]
    assert emu["mode"] == "exact" and emu["bit_exact"] and emu["n_vectors"] == 1000
    np.testing.assert_array_equal(
        np.load(project / "vectors" / "expected_raw.npy"), _keras_reference(models3[name], project)
    )
    assert report["rtl"]["passed"] and report["rtl"]["not_in_rtl"] == []
    assert report["rtl"]["check"]["bit_exact"]
    cosim = report["cosim"]
    assert cosim["mismatches"] == 0 and cosim["n_vectors"] == 1000 and cosim["latency_cycles"] >= 1


@pytest.mark.slow
def test_hgq2_layers_reach_the_rtl(compiled3):
    """The heterogeneous quantizers and the per-particle EinsumDense are in the hls4ml graph, hence in the RTL."""
    _, dense = compiled3("hgq_dense")
    types = {layer["type"] for layer in _report(dense)["model"]["layers"]}
    assert "FixedPointQuantizer" in types
    _, deepsets = compiled3("hgq_deepsets")
    types = {layer["type"] for layer in _report(deepsets)["model"]["layers"]}
    assert {"EinsumDense", "GlobalPooling1D"} <= types


@pytest.mark.slow
def test_float_keras3_model_is_approximate_and_its_rtl_exact(compiled3):
    code, project = compiled3("float3_mlp")
    report = _report(project)
    assert code == 0, report["verdict"]
    assert report["model"]["source"] == "keras3" and report["emulation"]["mode"] == "approximate"
    assert report["rtl"]["passed"] and report["rtl"]["not_in_rtl"] == []  # softmax table included
    assert report["cosim"]["mismatches"] == 0


@pytest.mark.slow
def test_a_wrong_reference_fails_the_exact_check(models3, tmp_path, monkeypatch, capsys):
    """The comparison can fail: a Keras reference moved by one LSB on one value gives exit 3 naming the layer."""
    from trigger.cli import compile_main
    from trigger.frontends.keras3 import Keras3Model

    predict = Keras3Model.predict

    def off_by_one_lsb(self, x):
        y = predict(self, x)
        y[7, 2] += 2.0**-10
        return y

    monkeypatch.setattr(Keras3Model, "predict", off_by_one_lsb)
    out = tmp_path / "prj"
    args = [models3["hgq_dense"], "--target", "xcvu9p", "-o", out, "--n-vectors", "50", "--no-rtl", "--no-synth"]
    assert compile_main([str(a) for a in args]) == 3
    err = capsys.readouterr().err
    assert "emulation differs from the reference at layer out" in err and "first at vector 7 lane 2" in err
