"""Validation of a Keras / QKeras model on load, each check raising `InputError` naming the layer.

Three moments: the architecture config before Keras builds it (`validate_config`: known classes, no
reference to a missing layer, positive sizes), a separate weights file before it is loaded
(`check_weights_file`: the same layers with the same shapes, since Keras' `load_weights` matches
.h5 weights by order only), and the built model (`validate_model`: finite weights, QKeras quantizers
with a usable bit count, a config that round-trips, as hls4ml converts the config, not the object).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from trigger.errors import InputError

# trigger's emulation reads raw fixed-point values as int64 (trigger/fixed.py)
MAX_BITS = 64
# config keys that are sizes: a positive integer or a tuple of them
SIZE_KEYS = ("units", "filters", "kernel_size", "pool_size", "strides", "n_in", "n_out")
QUANTIZER_ATTRS = (
    "quantizer",
    "activation",
    "kernel_quantizer_internal",
    "bias_quantizer_internal",
    "depthwise_quantizer_internal",
    "pointwise_quantizer_internal",
)


def _layers(config: dict[str, Any]) -> list[dict[str, Any]]:
    inner = config.get("config", config)
    layers = inner.get("layers", []) if isinstance(inner, dict) else []
    return [lay for lay in layers if isinstance(lay, dict)]


def _name(layer: dict[str, Any]) -> str:
    cfg = layer.get("config") if isinstance(layer.get("config"), dict) else {}
    return str(layer.get("name") or cfg.get("name") or "?")


def _refs(value: Any) -> Iterable[str]:
    """Layer names an `inbound_nodes` entry refers to (Keras 2 lists or Keras 3 `keras_history` dicts)."""
    if isinstance(value, dict):
        hist = value.get("keras_history") or value.get("config", {}).get("keras_history")
        if isinstance(hist, list) and hist and isinstance(hist[0], str):
            yield hist[0]
        for v in value.values():
            if isinstance(v, (list, dict)):
                yield from _refs(v)
    elif isinstance(value, list):
        if len(value) >= 3 and isinstance(value[0], str) and isinstance(value[1], int):
            yield value[0]  # [layer_name, node_index, tensor_index, kwargs]
        else:
            for v in value:
                yield from _refs(v)


def _bad_size(value: Any) -> bool:
    values = value if isinstance(value, (list, tuple)) else [value]
    return any(not isinstance(v, int) or isinstance(v, bool) or v <= 0 for v in values if v is not None)


def validate_config(config: dict[str, Any], known: set[str], path: Path) -> None:
    """The architecture as written: known layer classes, references to defined layers, positive sizes."""
    layers = _layers(config)
    names = {_name(lay) for lay in layers}
    for lay in layers:
        name, cls = _name(lay), lay.get("class_name")
        if cls not in known:
            raise InputError(f"{path}: layer '{name}' has class '{cls}', which neither Keras nor QKeras defines.")
        cfg = lay.get("config") if isinstance(lay.get("config"), dict) else {}
        for key in SIZE_KEYS:
            if key in cfg and _bad_size(cfg[key]):
                raise InputError(f"{path}: layer '{name}' ({cls}) has {key} {cfg[key]}; it must be a positive integer.")
        dilation = cfg.get("dilation_rate", 1)
        if any(d != 1 for d in (dilation if isinstance(dilation, (list, tuple)) else [dilation])):
            # hls4ml 1.3.0's Keras parser drops dilation_rate: it would build an undilated convolution
            raise InputError(
                f"{path}: layer '{name}' ({cls}) has dilation_rate {dilation}; hls4ml ignores dilation and would "
                "compute a different convolution."
            )
        for ref in _refs(lay.get("inbound_nodes", [])):
            if ref not in names:
                raise InputError(
                    f"{path}: layer '{name}' ({cls}) takes its input from layer '{ref}', which the architecture "
                    "does not define."
                )
    inner = config.get("config", {})
    for key in ("input_layers", "output_layers"):
        for ref in _refs(inner.get(key, []) if isinstance(inner, dict) else []):
            if ref not in names:
                raise InputError(
                    f"{path}: the model's {key} name layer '{ref}', which the architecture does not define."
                )


def _decode(values: Iterable[Any]) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def check_weights_file(model, weights: Path, path: Path) -> None:
    """A weights .h5 for this architecture: a group per layer with weights, each weight of the same shape."""
    import h5py

    try:
        with h5py.File(weights, "r") as f:
            group = f["model_weights"] if "model_weights" in f else f
            if "layer_names" not in group.attrs:
                return  # not Keras' h5 weights layout (e.g. TF checkpoint): left to load_weights
            saved = {}
            for name in _decode(group.attrs["layer_names"]):
                g = group[name]
                saved[name] = [tuple(g[w].shape) for w in _decode(g.attrs.get("weight_names", []))]
    except OSError as exc:
        raise InputError(f"{weights}: is not a readable HDF5 weights file ({exc}).") from exc
    expected = {
        lay.name: [tuple(w.shape) for w in lay.trainable_weights + lay.non_trainable_weights]
        for lay in model.layers
        if lay.weights
    }
    for name, shapes in expected.items():
        if not saved.get(name):
            raise InputError(
                f"{path}: layer '{name}' has weights but {weights} holds none for it; the weights file is for "
                f"another architecture (its layers with weights: {', '.join(n for n in saved if saved[n]) or 'none'})."
            )
        if saved[name] != shapes:
            raise InputError(
                f"{path}: layer '{name}' has weight shapes {shapes} but {weights} holds {saved[name]} for it; the "
                "weights file is for another architecture."
            )
    extra = [n for n in saved if saved[n] and n not in expected]
    if extra:
        raise InputError(f"{path}: {weights} holds weights for layer '{extra[0]}', which the architecture lacks.")


def check_finite(model, path: Path) -> None:
    """No NaN or infinity in any kernel, bias or other weight."""
    for layer in model.layers:
        for var in layer.weights:
            values = np.asarray(var.numpy(), dtype=np.float64)
            bad = ~np.isfinite(values)
            if bad.any():
                first = tuple(int(i) for i in np.argwhere(bad)[0])
                short = var.name.split("/")[-1].split(":")[0]
                raise InputError(
                    f"{path}: layer '{layer.name}' weight '{short}' holds {int(bad.sum())} non-finite value(s) "
                    f"({values[first]} at index {first}); weights must be finite."
                )


def _quantizers(layer) -> Iterable[Any]:
    seen: list[Any] = list(getattr(layer, "quantizers", None) or [])
    seen += [getattr(layer, attr, None) for attr in QUANTIZER_ATTRS]
    for q in seen:
        if q is not None and hasattr(q, "bits"):
            yield q


def _whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, (int, np.integer)) or (
        isinstance(value, (float, np.floating)) and float(value).is_integer()
    )


def check_quantizers(model, path: Path) -> None:
    """Every QKeras quantizer has an integer bit count from 1 to 64."""
    for layer in model.layers:
        for q in _quantizers(layer):
            bits = q.bits
            if not _whole(bits) or not 1 <= bits <= MAX_BITS:
                raise InputError(
                    f"{path}: layer '{layer.name}' ({type(layer).__name__}) has quantizer {q} with {bits} bits; "
                    f"bits must be an integer from 1 to {MAX_BITS} (raw values are emulated as 64-bit integers)."
                )


def check_round_trip(model, custom: dict[str, Any], path: Path) -> None:
    """The model rebuilt from its own config has the same layers (hls4ml converts the config)."""
    import tensorflow as tf

    try:
        rebuilt = tf.keras.models.model_from_json(model.to_json(), custom_objects=custom)
    except Exception as exc:
        text = str(exc).strip().splitlines()
        raise InputError(
            f"{path}: the model cannot be rebuilt from its own config, which hls4ml converts "
            f"({text[0] if text else type(exc).__name__})."
        ) from exc
    before = [(lay.name, type(lay).__name__) for lay in model.layers]
    after = [(lay.name, type(lay).__name__) for lay in rebuilt.layers]
    if before != after:
        from itertools import zip_longest

        old, new = next((a, b) for a, b in zip_longest(before, after) if a != b)
        raise InputError(
            f"{path}: the model's config rebuilds a different model (layer {old} becomes {new}); hls4ml "
            "converts the config."
        )


def validate_model(model, custom: dict[str, Any], path: Path) -> None:
    """Checks on the built model, in order: finite weights, quantizer bits, config round trip."""
    check_finite(model, path)
    check_quantizers(model, path)
    check_round_trip(model, custom, path)
