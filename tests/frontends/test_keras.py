import numpy as np
import pytest

from trigger.errors import InputError
from trigger.frontends import load_model


@pytest.mark.parametrize("form", ["h5", "keras", "json"])
def test_every_keras_file_form_loads_the_same_model(jet_files, form):
    src = load_model(getattr(jet_files, form))
    assert src.kind == "qkeras" and src.quantized and src.reference_name == "qkeras-predict"
    assert src.input_shapes() == [(16,)]
    x = np.random.default_rng(0).normal(size=(64, 16))
    np.testing.assert_array_equal(src.predict(x), jet_files.model.predict(x, verbose=0))
    assert src.has_layer("softmax") and not src.has_layer("nope")


def test_json_hash_covers_the_weights_file(jet_files):
    src = load_model(jet_files.json)
    assert [f.name for f in src.files] == ["jet_tagger.json", "jet_tagger_weights.h5"]


def test_explicit_weights_path(jet_files, tmp_path):
    import shutil

    arch = tmp_path / "arch.json"
    shutil.copy(jet_files.json, arch)
    weights = jet_files.json.with_name("jet_tagger_weights.h5")
    assert load_model(arch, weights=weights).quantized


def test_float_keras_model_is_not_quantized(tmp_path):
    import tensorflow as tf

    inp = tf.keras.Input((3,))
    tf.keras.Model(inp, tf.keras.layers.Dense(2)(inp)).save(tmp_path / "f.h5")
    src = load_model(tmp_path / "f.h5")
    assert src.kind == "keras" and not src.quantized


def test_unknown_dimension_is_input_error(tmp_path):
    import tensorflow as tf

    inp = tf.keras.Input((None, 4))
    tf.keras.Model(inp, tf.keras.layers.Dense(2)(inp)).save(tmp_path / "seq.h5")
    with pytest.raises(InputError, match="unknown dimensions"):
        load_model(tmp_path / "seq.h5")
