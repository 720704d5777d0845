"""The Keras-3 frontend: which package made a model, and layers hls4ml cannot convert refused by name."""

from __future__ import annotations

import pytest


def test_families_and_kinds(models3):
    from trigger.frontends import load_model

    kinds = {name: load_model(path) for name, path in models3.items()}
    assert {n: (s.kind, s.quantized) for n, s in kinds.items()} == {
        "hgq_dense": ("hgq2", True),
        "hgq_deepsets": ("hgq2", True),
        "qkeras3_mlp": ("qkeras3", True),
        "float3_mlp": ("keras3", False),
    }
    assert kinds["hgq_dense"].reference_name == "hgq2-predict"


def test_a_layer_hls4ml_cannot_convert_is_refused_by_name(tmp_path, compile_cli):
    """HGQ2's QSum has no hls4ml 1.3.0 handler: exit 2 naming the layer and its class, nothing written."""
    import keras
    from hgq.layers import QDense, QSum

    inp = keras.Input((6, 4))
    x = QSum(axes=1, name="sum_particles")(inp)
    keras.Model(inp, QDense(3, name="out")(x)).save(tmp_path / "qsum.keras")
    run = compile_cli(tmp_path / "qsum.keras", "--target", "xcvu9p", "-o", tmp_path / "prj")
    assert run.code == 2
    assert "layer 'sum_particles' has type hgq.layers" in run.err and "QSum" in run.err
    assert not (tmp_path / "prj").exists()


def test_json_plus_weights_is_refused_for_keras3(models3, tmp_path):
    """A Keras 3 architecture .json (it records keras_version 3.x) is refused: Keras 3 reads one .keras file."""
    import keras

    from trigger.errors import InputError
    from trigger.frontends import load_model
    from trigger.frontends.keras3 import _keras3_stack

    _keras3_stack()
    arch = tmp_path / "mlp.json"
    arch.write_text(keras.models.load_model(models3["float3_mlp"]).to_json())
    with pytest.raises(InputError, match="one .keras"):
        load_model(arch, weights=tmp_path / "w.h5")


def test_onnx_belongs_to_the_default_environment(tmp_path):
    from trigger.errors import InputError
    from trigger.frontends import load_model

    (tmp_path / "m.onnx").write_bytes(b"x")
    with pytest.raises(InputError, match="default \\(Keras-2\\) environment"):
        load_model(tmp_path / "m.onnx")
