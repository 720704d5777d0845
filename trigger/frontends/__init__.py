"""Model frontends: each file suffix registers a loader returning a SourceModel."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trigger.errors import InputError
from trigger.frontends.base import SourceModel

Loader = Callable[..., SourceModel]
_LOADERS: dict[str, Loader] = {}


def register(*suffixes: str) -> Callable[[Loader], Loader]:
    """Decorator: register a loader for file suffixes such as '.onnx'."""

    def wrap(fn: Loader) -> Loader:
        for s in suffixes:
            _LOADERS[s] = fn
        return fn

    return wrap


def supported_suffixes() -> list[str]:
    """Suffixes a model file may have."""
    _import_all()
    return sorted(_LOADERS)


def _import_all() -> None:
    from trigger.environments import running_keras_major
    from trigger.frontends import keras  # noqa: F401  (registration side effect)

    if running_keras_major() != 3:  # the Keras-3 environment has no ONNX stack (trigger/environments.py)
        from trigger.frontends import onnx  # noqa: F401


def load_model(path: Path, weights: Path | None = None) -> SourceModel:
    """Load a model file with the frontend registered for its suffix."""
    _import_all()
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file.")
    if not path.is_file():
        raise InputError(f"{path}: is not a file.")
    loader = _LOADERS.get(path.suffix.lower())
    if loader is None and path.suffix.lower() == ".onnx":
        raise InputError(f"{path}: ONNX models are compiled in the default (Keras-2) environment, not this one.")
    if loader is None:
        raise InputError(
            f"{path}: unknown model format '{path.suffix}'. Supported: {', '.join(supported_suffixes())} "
            "(ONNX/QONNX, Keras/QKeras .h5 or .keras, or a Keras .json architecture with --weights)."
        )
    if weights is not None and path.suffix.lower() != ".json":
        raise InputError(f"{weights}: --weights goes with a Keras .json architecture; {path.name} holds its own.")
    return loader(path, weights=weights)
