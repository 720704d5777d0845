"""Parameters of hls4ml layers as the C simulation uses them, and the grid a constant needs."""

from __future__ import annotations

import numpy as np

from trigger.fixed import hls_quantize_np


def _fmt_roundtrip(values: np.ndarray, weight_var) -> np.ndarray:
    """Values as hls4ml's C simulation sees them: printed with precision_fmt, read as double."""
    fmt = getattr(weight_var, "precision_fmt", None)
    flat = np.asarray(values, dtype=np.float64).ravel()
    if fmt:
        flat = np.array([float(fmt.format(v)) for v in flat])
    return flat.reshape(np.shape(values))


def hls_weight_values(weight_var) -> np.ndarray:
    """Exact fixed-point values of an hls4ml WeightVariable as used by the C simulation (its data's shape)."""
    return hls_quantize_np(_fmt_roundtrip(weight_var.data, weight_var), weight_var.type.precision)


def layer_weights(layer, name: str) -> np.ndarray | None:
    """`hls_weight_values` of the layer's weight `name`, or None when the layer has none."""
    var = layer.weights.get(name) if hasattr(layer, "weights") else None
    if var is None or getattr(var, "data", None) is None:
        return None
    return hls_weight_values(var)


def const_f(v: float) -> int:
    """Fractional bits needed to hold the constant v exactly."""
    f = 0
    while v * 2.0**f != np.floor(v * 2.0**f):
        f += 1
        if f > 1100:
            raise ValueError(f"{v} is not a dyadic fraction")
    return f
