"""EinsumDense from the default (Keras-2) environment: refused by name, because hls4ml 1.3.0 converts Keras'
EinsumDense only in its Keras 3 frontend (`converters/keras_v3/einsum_dense.py`, and HGQ2's QEinsumDense) and
its ONNX converter has no Einsum.  Keras-3 files reach it in the Keras-3 environment, where the RTL rebuilds it
(`trigger/rtl/layers/einsum_dense.py`; tests/keras3/rtl/test_einsum_dense_rtl.py).
"""

from __future__ import annotations

import pytest


def test_keras2_einsum_dense_is_refused_on_load(tmp_path):
    import tensorflow as tf

    from trigger.errors import InputError
    from trigger.frontends import load_model

    x = tf.keras.Input((8, 4), name="particles")
    y = tf.keras.layers.EinsumDense("bnc,cd->bnd", output_shape=(8, 3), bias_axes="d", name="per_particle")(x)
    path = tmp_path / "einsum.h5"
    tf.keras.Model(x, y).save(path)
    with pytest.raises(InputError, match="'per_particle' has type EinsumDense, which hls4ml cannot convert"):
        load_model(path)


def test_no_converter_reaches_einsum_dense():
    import hls4ml

    from trigger.rtl.translate import supported_layers

    assert "EinsumDense" not in hls4ml.converters.get_supported_keras_layers()
    assert not any("einsum" in op.lower() for op in hls4ml.converters.get_supported_onnx_layers())
    assert "EinsumDense" in supported_layers()  # reached from Keras-3 files only (tests/keras3)
