"""Small Keras 3 models, built and saved by the tests themselves: HGQ2 (dense; Deep Sets with a per-particle
QEinsumDense and mean pooling), QKeras-v3 with QActivation, float Keras 3.  Heterogeneous HGQ2 bit widths are
drawn at random (1-7 weight bits, 2-6 fractional input bits) so every element has its own type."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _hgq_scopes(round_mode: str = "RND", overflow: str = "WRAP"):
    from contextlib import ExitStack

    from hgq.config import LayerConfigScope, QuantizerConfigScope

    stack = ExitStack()
    stack.enter_context(QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"))
    stack.enter_context(
        QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode=overflow, round_mode=round_mode)
    )
    stack.enter_context(LayerConfigScope(enable_ebops=True, beta0=1e-5))
    return stack


def heterogeneous(model, seed: int = 1):
    """Random per-element bit widths: kbi weight bits in 1..7, kif input fractional bits in 2..6."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        if "_kq/" in w.path and w.path.endswith("/b"):
            w.assign(rng.integers(1, 8, tuple(w.shape)).astype("float32"))
        elif "_iq/" in w.path and w.path.endswith("/f"):
            w.assign(rng.integers(2, 7, tuple(w.shape)).astype("float32"))
    return model


def hgq_dense(directory: Path, round_mode: str = "RND", overflow: str = "WRAP") -> Path:
    """HGQ2 16-32-5 MLP (ReLU), heterogeneous."""
    import keras
    from hgq.layers import QDense

    with _hgq_scopes(round_mode, overflow):
        inp = keras.Input((16,), name="features")
        x = QDense(32, activation="relu", name="fc1")(inp)
        x = QDense(5, name="out")(x)
        model = keras.Model(inp, x, name="hgq_dense")
    heterogeneous(model)
    return _save(model, directory)


def hgq_deepsets(directory: Path, n: int = 8, features: int = 3) -> Path:
    """HGQ2 Deep Sets: per-particle QEinsumDense (bnc,cd->bnd) + ReLU -> mean pooling -> QDense."""
    import keras
    from hgq.layers import QDense, QEinsumDense, QGlobalAveragePooling1D

    with _hgq_scopes():
        inp = keras.Input((n, features), name="particles")
        x = QEinsumDense("bnc,cd->bnd", output_shape=(n, 12), bias_axes="d", activation="relu", name="phi")(inp)
        x = QGlobalAveragePooling1D(name="pool")(x)
        x = QDense(5, name="rho")(x)
        model = keras.Model(inp, x, name="hgq_deepsets")
    heterogeneous(model, seed=2)
    return _save(model, directory)


def _qkeras_v3():
    path = Path(sys.prefix) / "qkeras-v3"
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
    import qkeras

    return qkeras


def qkeras3_mlp(directory: Path) -> Path:
    """QKeras-v3 16-32-5 with QActivation(quantized_relu) and a softmax."""
    import keras

    q = _qkeras_v3()
    bits = dict(kernel_quantizer=q.quantized_bits(6, 0, alpha=1), bias_quantizer=q.quantized_bits(6, 0, alpha=1))
    inp = keras.Input((16,), name="features")
    x = q.QDense(32, name="fc1", **bits)(inp)
    x = q.QActivation(q.quantized_relu(6), name="relu1")(x)
    x = q.QDense(5, name="out", **bits)(x)
    x = keras.layers.Activation("softmax", name="softmax")(x)
    model = keras.Model(inp, x, name="qkeras3_mlp")
    _random_weights(model, seed=3)
    return _save(model, directory)


def float3_mlp(directory: Path) -> Path:
    """A float Keras 3 16-16-5 MLP ending in softmax."""
    import keras

    inp = keras.Input((16,), name="features")
    x = keras.layers.Dense(16, activation="relu", name="fc1")(inp)
    x = keras.layers.Dense(5, activation="softmax", name="out")(x)
    model = keras.Model(inp, x, name="float3_mlp")
    _random_weights(model, seed=4)
    return _save(model, directory)


def _random_weights(model, seed: int) -> None:
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()])


def _save(model, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{model.name}.keras"
    model.save(path)
    return path
