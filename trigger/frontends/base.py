"""What every frontend returns: the source model, its hls4ml conversion and its reference executor."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import numpy as np

from trigger.input_layout import split_rows


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class SourceModel(ABC):
    """A loaded model: converts itself to hls4ml and executes itself as the reference.

    `kind` is one of 'qkeras', 'keras', 'qonnx', 'onnx'.  `quantized` is False for a float model,
    which hls4ml quantizes after training (its emulation cannot be exact).
    """

    kind: str
    reference_name: str

    def __init__(self, path: Path, files: list[Path]):
        self.path = path
        self.files = files
        self.name = path.stem
        self.quantized = False

    @property
    def sha256(self) -> str:
        """Hash over every file the model is made of (architecture and weights)."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(sha256_of(f).encode())
        return h.hexdigest()

    @abstractmethod
    def input_shapes(self) -> list[tuple[int, ...]]:
        """Shapes of the model inputs without the batch dimension."""

    @abstractmethod
    def input_names(self) -> list[str]:
        """Names of the model inputs, in the model's order (hls4ml names its input layers so)."""

    def graph_input_names(self) -> list[str]:
        """The inputs' names in the graph hls4ml converts (a frontend whose clean-up renames them overrides)."""
        return self.input_names()

    def feed(self, x: np.ndarray):
        """What the executor takes for the packed inputs `x` (trigger.input_layout): the array itself for one
        input, else one (N, *shape) array per input, in the model's order."""
        shapes = self.input_shapes()
        return x if len(shapes) == 1 else split_rows(x, shapes)

    @abstractmethod
    def hls_config(self, precision: str) -> dict[str, Any]:
        """hls4ml configuration (granularity 'name', 'auto' precision inference)."""

    @abstractmethod
    def to_hls(self, config: dict[str, Any], **kwargs: Any):
        """Convert to an hls4ml ModelGraph with the Vitis backend."""

    @abstractmethod
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Reference outputs (the model's final output)."""

    @abstractmethod
    def has_layer(self, layer: str) -> bool:
        """True if the source model has a layer (or node) of this name whose input can be tapped."""

    @abstractmethod
    def predict_input_of(self, x: np.ndarray, layer: str) -> np.ndarray:
        """Reference value of the tensor that feeds the named layer (or node)."""

    def tensor_of(self, hls_tensor: str, hls_producer: str) -> str | None:
        """The source model's tensor that hls4ml's tensor `hls_tensor` (written by hls4ml layer `hls_producer`)
        stands for, or None when there is no such tensor (a graph frontend maps names; Keras has none)."""
        return None

    def predict_tensor(self, x: np.ndarray, tensor: str) -> np.ndarray:
        """Reference value of a tensor named by `tensor_of`."""
        raise NotImplementedError(f"{type(self).__name__} has no named tensors")

    def describe(self, name: str, op: str) -> str:
        """How a message names the node/layer `name` (an hls4ml layer name) of this model."""
        return f"layer '{name}' ({op})"
