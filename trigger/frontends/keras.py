"""QKeras / Keras frontend: .h5, .keras, or .json architecture plus weights."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import InputError
from trigger.frontends import register
from trigger.frontends.base import SourceModel
from trigger.frontends.keras_base import KerasBase
from trigger.frontends.validate_keras import check_weights_file, validate_config, validate_model

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


# classes a config may name besides Keras' layers and QKeras' custom objects (nested models, tf ops)
MODEL_CLASSES = {"Functional", "Sequential", "Model", "TFOpLambda", "SlicingOpLambda"}


def _stored_config(path: Path) -> dict[str, Any] | None:
    """The architecture config a model file stores (.json text, .h5 `model_config`, .keras config.json)."""
    import json

    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            text = path.read_text()
        elif suffix == ".keras":
            import zipfile

            with zipfile.ZipFile(path) as z:
                text = z.read("config.json").decode()
        else:
            import h5py

            with h5py.File(path, "r") as f:
                text = f.attrs.get("model_config")
            if text is None:
                return None
            text = text.decode() if isinstance(text, bytes) else str(text)
        config = json.loads(text)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot be read as a Keras model ({first}).") from exc
    return config if isinstance(config, dict) else None


def _read_model(path: Path, weights: Path | None):
    tf, custom = _keras_stack()
    suffix = path.suffix.lower()
    config = _stored_config(path)
    if config is not None:
        known = set(custom) | {n for n in dir(tf.keras.layers) if n[:1].isupper()} | MODEL_CLASSES
        validate_config(config, known, path)
    try:
        if suffix == ".json":
            wpath = weights or path.with_name(f"{path.stem}_weights.h5")
            if not wpath.exists():
                raise InputError(
                    f"{path}: a Keras .json architecture needs its weights; {wpath} does not exist "
                    "(pass --weights W.h5)."
                )
            if not wpath.is_file():
                raise InputError(f"{path}: the weights {wpath} are not a file (pass --weights W.h5).")
            model = tf.keras.models.model_from_json(path.read_text(), custom_objects=custom)
            check_weights_file(model, wpath, path)  # load_weights matches .h5 weights by order only
            model.load_weights(str(wpath))
            return model, [path, wpath]
        model = tf.keras.models.load_model(str(path), custom_objects=custom, compile=False)
        return model, [path]
    except InputError:
        raise
    except Exception as exc:  # Keras raises many unrelated types for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: cannot be read as a Keras model ({first}).") from exc


# hls4ml's ModelGraph reserves these layer names ("No model layer should be named 'input'").
RESERVED_NAMES = {"input"}


def _renamed(name: str, taken: set[str]) -> str:
    k, new = 0, f"{name}_layer"
    while new in taken:
        k += 1
        new = f"{name}_layer{k}"
    return new


def _rename_reserved(model, custom: dict[str, Any]):
    """The same model with layers named as hls4ml reserves renamed (`input` -> `input_layer`), weights kept.

    A workaround in one place for hls4ml 1.3.0's reserved-name check (`ModelGraph`): the names are
    rewritten in the functional config (layer names and every reference to them) and the model rebuilt.
    """
    import tensorflow as tf

    names = {layer.name for layer in model.layers}
    clash = names & RESERVED_NAMES
    if not clash or not isinstance(model, tf.keras.Model) or type(model).__name__ == "Sequential":
        return model, {}
    mapping = {old: _renamed(old, names) for old in clash}
    config = model.get_config()

    def fix(value):
        if isinstance(value, str):
            return mapping.get(value, value)
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    for layer in config["layers"]:
        layer["name"] = fix(layer["name"])
        layer["config"]["name"] = fix(layer["config"]["name"])
        layer["inbound_nodes"] = [
            [[fix(ref[0]), *ref[1:]] for ref in node] if isinstance(node, list) else node
            for node in layer.get("inbound_nodes", [])
        ]
    config["input_layers"] = fix(config["input_layers"])
    config["output_layers"] = fix(config["output_layers"])
    rebuilt = tf.keras.Model.from_config(config, custom_objects=custom)
    rebuilt.set_weights(model.get_weights())
    return rebuilt, mapping


@register(".h5", ".keras", ".json")
def load_keras(path: Path, weights: Path | None = None) -> SourceModel:
    """Load a Keras/QKeras model file, validating its config, weights and quantizers.

    The Keras that wrote the file decides: in the Keras-3 environment every file goes to `frontends/keras3.py`;
    here a Keras-3 file is refused (trigger-compile itself runs it in the Keras-3 environment).
    """
    from trigger import environments

    here = environments.running_keras_major()
    if here == 3:
        from trigger.frontends.keras3 import load_keras3

        return load_keras3(path, weights)
    if environments.keras_major_of(path) == 3:
        raise InputError(
            f"{path}: written by Keras {environments.stored_keras_version(path)}; this process runs Keras {here}. "
            "`trigger-compile` compiles it in the Keras-3 environment (README, Two environments)."
        )
    model, files = _read_model(path, weights)
    _, custom = _keras_stack()
    validate_model(model, custom, path)  # finite weights, quantizer bits, config round trip
    model, renamed = _rename_reserved(model, custom)
    source = KerasModel(path, files, model)
    source.renamed = renamed
    return source


class KerasModel(KerasBase):
    """A (Q)Keras model; its reference executor is Keras `predict`."""

    def __init__(self, path: Path, files: list[Path], model):
        super().__init__(path, files, model)
        self.quantized = any(type(layer).__name__.startswith("Q") for layer in model.layers)
        self.kind = "qkeras" if self.quantized else "keras"
        self.reference_name = "qkeras-predict" if self.quantized else "keras-predict"
        self._check_layers()
        self.check_inputs()

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

    def to_hls(self, config: dict[str, Any], **kwargs: Any):
        import hls4ml

        return hls4ml.converters.convert_from_keras_model(self.model, hls_config=config, backend="Vitis", **kwargs)

    def predict_input_of(self, x: np.ndarray, layer: str) -> np.ndarray:
        """Input of a Keras layer, or, for an activation hls4ml split off a layer (a Dense ending in
        softmax), that layer's pre-activation output (the same layer with a linear activation)."""
        tf, _ = _keras_stack()
        names = {lay.name for lay in self.model.layers}
        if layer in names:
            sub = tf.keras.Model(self.model.inputs, self.model.get_layer(layer).input)
        else:
            fused = self.split_activation(layer)
            if fused is None:
                raise KeyError(layer)
            config = {**fused.get_config(), "activation": "linear", "name": f"{fused.name}_preactivation"}
            linear = type(fused).from_config(config)
            out = linear(fused.input)
            linear.set_weights(fused.get_weights())
            sub = tf.keras.Model(self.model.inputs, out)
        return np.asarray(sub.predict(self.feed(x), batch_size=1024, verbose=0), dtype=np.float64)
