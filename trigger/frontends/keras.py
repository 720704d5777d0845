"""QKeras / Keras frontend: .h5, .keras, or .json architecture plus weights."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import InputError
from trigger.frontends import register
from trigger.frontends.base import SourceModel

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _keras_stack():
    """Import TensorFlow/QKeras lazily (slow imports); custom objects for QKeras layers."""
    import tensorflow as tf
    from qkeras.utils import _add_supported_quantized_objects

    custom: dict[str, Any] = {}
    _add_supported_quantized_objects(custom)
    custom["QActivation"] = _qactivation_loader(tf, custom)
    return tf, custom


def _qactivation_loader(tf, custom: dict[str, Any]):
    """QKeras 0.9 `QActivation` cannot read its quantizer from the native .keras format (a dict).

    This stand-in deserializes the dict first and returns a genuine QActivation.
    """
    from qkeras import QActivation

    class QActivationLoader:
        @staticmethod
        def from_config(config: dict[str, Any]):
            act = config.get("activation")
            if isinstance(act, dict):
                act = tf.keras.utils.deserialize_keras_object(act, custom_objects=custom)
                config = {**config, "activation": act}
            return QActivation.from_config(config)

    return QActivationLoader


def _read_model(path: Path, weights: Path | None):
    tf, custom = _keras_stack()
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            wpath = weights or path.with_name(f"{path.stem}_weights.h5")
            if not wpath.exists():
                raise InputError(
                    f"{path}: a Keras .json architecture needs its weights; {wpath} does not exist "
                    "(pass --weights W.h5)."
                )
            model = tf.keras.models.model_from_json(path.read_text(), custom_objects=custom)
            model.load_weights(str(wpath))
            return model, [path, wpath]
        model = tf.keras.models.load_model(str(path), custom_objects=custom, compile=False)
        return model, [path]
    except InputError:
        raise
    except Exception as exc:  # Keras raises many unrelated types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot be read as a Keras model ({first}).") from exc


@register(".h5", ".keras", ".json")
def load_keras(path: Path, weights: Path | None = None) -> SourceModel:
    """Load a Keras/QKeras model file."""
    model, files = _read_model(path, weights)
    return KerasModel(path, files, model)


class KerasModel(SourceModel):
    """A (Q)Keras model; its reference executor is Keras `predict`."""

    def __init__(self, path: Path, files: list[Path], model):
        super().__init__(path, files)
        self.model = model
        self.quantized = any(type(layer).__name__.startswith("Q") for layer in model.layers)
        self.kind = "qkeras" if self.quantized else "keras"
        self.reference_name = "qkeras-predict" if self.quantized else "keras-predict"
        self._check_layers()

    def _check_layers(self) -> None:
        import hls4ml

        supported = set(hls4ml.converters.get_supported_keras_layers())
        for layer in self.model.layers:
            cls = type(layer).__name__
            if cls not in supported:
                raise InputError(
                    f"{self.path}: layer '{layer.name}' has type {cls}, which hls4ml cannot convert. "
                    f"Supported Keras layers: {', '.join(sorted(supported))}."
                )
        if len(self.model.inputs) != 1:
            raise InputError(f"{self.path}: the model has {len(self.model.inputs)} inputs; trigger supports one.")
        shape = tuple(self.model.inputs[0].shape[1:])
        if any(d is None for d in shape):
            raise InputError(
                f"{self.path}: input '{self.model.inputs[0].name}' has shape {shape} with unknown dimensions; "
                "firmware needs every dimension but the batch fixed."
            )

    def input_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(int(d) for d in self.model.inputs[0].shape[1:])]

    def hls_config(self, precision: str) -> dict[str, Any]:
        import hls4ml

        return hls4ml.utils.config_from_keras_model(
            self.model, granularity="name", backend="Vitis", default_precision=precision
        )

    def to_hls(self, config: dict[str, Any], **kwargs: Any):
        import hls4ml

        return hls4ml.converters.convert_from_keras_model(self.model, hls_config=config, backend="Vitis", **kwargs)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(x, batch_size=1024, verbose=0), dtype=np.float64)

    def has_layer(self, layer: str) -> bool:
        return any(lay.name == layer for lay in self.model.layers)

    def predict_input_of(self, x: np.ndarray, layer: str) -> np.ndarray:
        tf, _ = _keras_stack()
        sub = tf.keras.Model(self.model.inputs, self.model.get_layer(layer).input)
        return np.asarray(sub.predict(x, batch_size=1024, verbose=0), dtype=np.float64)
