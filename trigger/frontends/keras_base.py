"""What the Keras-2 (`keras.py`) and Keras-3 (`keras3.py`) frontends share: a model object with inputs of
fixed shape, hls4ml's Keras configuration, Keras `predict` as the reference, and the activations hls4ml splits
off a layer (`<layer>_<activation>`).  No Keras import here: each frontend brings its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import InputError
from trigger.frontends.base import SourceModel


class KerasBase(SourceModel):
    """A Keras model object; subclasses set kind/quantized/reference_name and convert it."""

    def __init__(self, path: Path, files: list[Path], model):
        super().__init__(path, files)
        self.model = model

    def check_inputs(self) -> None:
        """Every input's dimensions but the batch fixed (InputError otherwise)."""
        for name, tensor in zip(self.input_names(), self.model.inputs, strict=True):
            shape = tuple(tensor.shape[1:])
            if any(d is None for d in shape):
                raise InputError(
                    f"{self.path}: input '{name}' has shape {shape} with unknown dimensions; "
                    "firmware needs every dimension but the batch fixed."
                )

    def input_names(self) -> list[str]:
        """The model's input layers' names (hls4ml's input layers take them)."""
        return [t._keras_history[0].name for t in self.model.inputs]

    def input_shapes(self) -> list[tuple[int, ...]]:
        return [tuple(int(d) for d in t.shape[1:]) for t in self.model.inputs]

    def hls_config(self, precision: str) -> dict[str, Any]:
        import hls4ml

        return hls4ml.utils.config_from_keras_model(
            self.model, granularity="name", backend="Vitis", default_precision=precision
        )

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(self.feed(x), batch_size=1024, verbose=0), dtype=np.float64)

    def split_activation(self, name: str):
        """The layer whose fused activation hls4ml split off as layer `name` (`<layer>_<activation>`)."""
        for lay in self.model.layers:
            act = lay.get_config().get("activation") if hasattr(lay, "activation") else None
            act_name = act.get("class_name") if isinstance(act, dict) else act
            if act_name and name == f"{lay.name}_{act_name}":
                return lay
        return None

    def has_layer(self, layer: str) -> bool:
        return any(lay.name == layer for lay in self.model.layers) or self.split_activation(layer) is not None
