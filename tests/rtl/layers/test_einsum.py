"""EinsumDense has no RTL handler because no model trigger reads can reach hls4ml's `EinsumDense` layer.

hls4ml 1.3.0 converts Keras' EinsumDense only in its Keras 3 frontend (`converters/keras_v3/einsum_dense.py`,
and HGQ2's QEinsumDense); this environment runs Keras 2 (TF 2.15), whose converter has no handler for
it, and hls4ml's ONNX converter has no Einsum either.  These tests pin that down: when a model can
reach the layer, they fail and an `EinsumDense` handler (nnet_einsum_dense.h) is due.
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
    assert "EinsumDense" not in supported_layers()
