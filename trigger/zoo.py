"""Reference QAT architectures used by the examples and tests.

* `jet_tagger`: the hls4ml LHC jet tagger 16-64-32-32-5, 6-bit weights (quantized_bits(6,0,alpha=1)),
  quantized_relu(6) activations, softmax output.
* `autoencoder`: the L1 anomaly-detection autoencoder 57-32-8-32-57, same quantizers, linear output.
"""

from __future__ import annotations

import numpy as np


def _qdense(units: int, name: str, bits: int):
    from qkeras import QDense, quantized_bits

    q = quantized_bits(bits, 0, alpha=1)
    return QDense(units, kernel_quantizer=q, bias_quantizer=quantized_bits(bits, 0, alpha=1), name=name)


def _qrelu(name: str, bits: int):
    from qkeras import QActivation, quantized_relu

    return QActivation(quantized_relu(bits), name=name)


def jet_tagger(bits: int = 6, hidden: tuple[int, ...] = (64, 32, 32), n_features: int = 16, n_classes: int = 5):
    """QKeras jet tagger: Dense/ReLU blocks then Dense logits and a softmax."""
    import tensorflow as tf

    inp = tf.keras.Input((n_features,), name="input_1")
    x = inp
    for i, units in enumerate(hidden, start=1):
        x = _qdense(units, f"fc{i}", bits)(x)
        x = _qrelu(f"relu{i}", bits)(x)
    x = _qdense(n_classes, "output", bits)(x)
    out = tf.keras.layers.Activation("softmax", name="softmax")(x)
    return tf.keras.Model(inp, out, name="jet_tagger")


def autoencoder(bits: int = 6, n_features: int = 57, hidden: int = 32, latent: int = 8):
    """QKeras autoencoder: encoder Dense/ReLU to a linear latent, decoder back to the inputs."""
    import tensorflow as tf

    inp = tf.keras.Input((n_features,), name="input_1")
    x = _qrelu("enc_relu", bits)(_qdense(hidden, "enc_fc", bits)(inp))
    z = _qdense(latent, "latent", bits)(x)
    x = _qrelu("dec_relu", bits)(_qdense(hidden, "dec_fc", bits)(z))
    out = _qdense(n_features, "reconstruction", bits)(x)
    return tf.keras.Model(inp, out, name="autoencoder")


def randomize(model, seed: int = 0) -> None:
    """Give every weight and bias a non-trivial random value (untrained models have zero biases)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.uniform(-1.0, 1.0, w.shape).astype(w.dtype) for w in weights])
