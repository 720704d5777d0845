"""Keras 3 frontend: HGQ2, QKeras-v3 and float Keras 3 `.keras`/`.h5` files (runs in the Keras-3 environment).

The Keras-2 frontend (`frontends/keras.py`) hands a file to `load_keras3` when this process runs Keras 3
(trigger/environments.py decides which environment compiles a file).  hls4ml 1.3.0 parses Keras 3 models with
its own handlers (`keras_v3_to_hls`), HGQ2 layers included; its distributed-arithmetic fallback needs da4ml 0.5,
which is not installed, so it is switched off and an unconvertible layer is refused by name instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import InputError
from trigger.frontends.base import SourceModel
from trigger.frontends.keras_base import KerasBase
from trigger.frontends.validate_keras import check_finite

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# QKeras-v3 lives in its own directory of the environment (scripts/setup-keras3.sh): it and hgq2's QKeras
# compatibility package both install a top-level `qkeras`, and the two cannot share one site-packages.
QKERAS_V3_DIR = Path(sys.prefix) / "qkeras-v3"
# which package made a layer -> the kind of model and its reference executor's name
FAMILIES = {"hgq": "hgq2", "qkeras": "qkeras3"}


def _keras3_stack():
    """Import Keras 3 with the layer packages whose classes a file may name (registers them with Keras)."""
    if QKERAS_V3_DIR.is_dir() and str(QKERAS_V3_DIR) not in sys.path:
        sys.path.insert(0, str(QKERAS_V3_DIR))
    import hgq  # noqa: F401  (registers HGQ2's serializable layers)
    import keras

    try:
        import qkeras  # noqa: F401  (QKeras-v3's layers)
    except ImportError:  # a QKeras-v3 file then fails to load with Keras' own message, naming the class
        pass
    return keras


def family(layer) -> str | None:
    """'hgq2' or 'qkeras3' for a layer of those packages, None for Keras' own layers."""
    return FAMILIES.get(type(layer).__module__.split(".")[0])


def load_keras3(path: Path, weights: Path | None = None) -> SourceModel:
    """Load a Keras 3 model file (HGQ2, QKeras-v3 or float), refusing what hls4ml cannot convert."""
    from trigger.environments import keras_major_of

    if keras_major_of(path) == 2:
        raise InputError(f"{path}: written by Keras 2; trigger-compile compiles it in the Keras-2 environment.")
    keras = _keras3_stack()
    if weights is not None or path.suffix.lower() == ".json":
        raise InputError(f"{path}: a Keras 3 model is read from one .keras (or .h5) file, not json plus weights.")
    try:
        model = keras.models.load_model(str(path), compile=False)
    except Exception as exc:  # Keras raises many unrelated types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot be read as a Keras 3 model ({first}).") from exc
    return Keras3Model(path, [path], model)


def _supported(layer) -> bool:
    """True if hls4ml 1.3.0's Keras-3 parser has a handler for the layer (its own, or the Keras-2 fallback)."""
    import hls4ml
    from hls4ml.converters.keras_v3._base import registry

    cls = type(layer)
    return (
        f"{cls.__module__}.{cls.__name__}" in registry
        or cls.__name__ in registry
        or cls.__name__ in hls4ml.converters.get_supported_keras_layers()
    )


class Keras3Model(KerasBase):
    """A Keras 3 model (HGQ2, QKeras-v3 or float); its reference executor is Keras `predict`."""

    def __init__(self, path: Path, files: list[Path], model):
        super().__init__(path, files, model)
        families = {f for f in (family(layer) for layer in model.layers) if f}
        self.quantized = bool(families)
        self.kind = "+".join(sorted(families)) if families else "keras3"
        self.reference_name = f"{self.kind}-predict"
        for layer in model.layers:
            if type(layer).__name__ != "InputLayer" and not _supported(layer):
                raise InputError(
                    f"{path}: layer '{layer.name}' has type {type(layer).__module__}.{type(layer).__name__}, "
                    "which hls4ml 1.3.0 cannot convert from Keras 3."
                )
        check_finite(model, path)
        self.check_inputs()

    def to_hls(self, config: dict[str, Any], **kwargs: Any):
        import hls4ml

        return hls4ml.converters.convert_from_keras_model(
            self.model, hls_config=config, backend="Vitis", allow_da_fallback=False, **kwargs
        )

    def predict_input_of(self, x: np.ndarray, layer: str) -> np.ndarray:
        """Input of a layer, or, for an activation hls4ml split off a layer, that layer's pre-activation output."""
        keras = _keras3_stack()
        if any(lay.name == layer for lay in self.model.layers):
            sub = keras.Model(self.model.inputs, self.model.get_layer(layer).input)
            return np.asarray(sub.predict(self.feed(x), batch_size=1024, verbose=0), dtype=np.float64)
        fused = self.split_activation(layer)
        if fused is None:
            raise KeyError(layer)
        inner = keras.Model(self.model.inputs, fused.input).predict(self.feed(x), batch_size=1024, verbose=0)
        act = fused.activation
        fused.activation = keras.activations.linear  # the same layer (weights, quantizers) without its activation
        try:
            y = [np.asarray(fused(inner[i : i + 1024])) for i in range(0, len(inner), 1024)]
        finally:
            fused.activation = act
        return np.concatenate(y).astype(np.float64)
