"""hls4ml configuration and Vitis HLS project writing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from trigger import hls4ml_fixes
from trigger.culprit import find_culprit, first_line
from trigger.errors import InputError
from trigger.frontends.base import SourceModel
from trigger.options import CompileOptions


def project_name(name: str) -> str:
    """A C identifier for the HLS top function, derived from the model name."""
    ident = re.sub(r"\W", "_", name)
    return ident if ident and not ident[0].isdigit() else f"m_{ident}"


def build_config(source: SourceModel, opts: CompileOptions) -> dict[str, Any]:
    """hls4ml configuration: 'auto' precision inference, chosen strategy and reuse, every layer traced."""
    hls4ml_fixes.apply()  # the Keras-3 parser runs inside config_from_keras_model already
    config = source.hls_config(opts.precision)
    model = config.setdefault("Model", {})
    model["Strategy"] = opts.strategy
    model["ReuseFactor"] = opts.reuse_factor
    for layer in config.get("LayerName", {}).values():
        layer["Trace"] = True
        if "ReuseFactor" in layer:
            layer["ReuseFactor"] = opts.reuse_factor
        if not source.quantized:
            _post_training_precision(layer, opts.precision)
    return config


def _post_training_precision(layer: dict[str, Any], precision: str) -> None:
    """Post-training quantization: every 'auto' type of a float model becomes `precision`.

    (hls4ml's 'auto' inference would widen accumulators without bound for float weights, and its
    softmax tables are indexed wrongly for such wide inputs.)
    """
    types = layer.get("Precision")
    if isinstance(types, dict):
        for key, value in types.items():
            if str(value).lower() == "auto":
                types[key] = precision
    elif str(types).lower() == "auto":
        layer["Precision"] = precision


def convert(source: SourceModel, config: dict[str, Any], opts: CompileOptions, hls_dir: Path):
    """Convert to an hls4ml ModelGraph for the Vitis backend (nothing written yet)."""
    hls4ml_fixes.apply()
    return source.to_hls(
        config,
        output_dir=str(hls_dir),
        project_name=project_name(source.name),
        io_type=opts.io_type,
        part=opts.part.part,
        clock_period=opts.clock_ns,
    )


def parameter_arrays(layer) -> Iterator[tuple[str, Any, np.ndarray]]:
    """(key, weight variable, its values as float64) for each of an hls4ml layer's weights that holds data."""
    for key, var in layer.weights.items():
        data = getattr(var, "data", None)
        if data is not None:
            yield key, var, np.asarray(data, dtype=np.float64)


def check_finite_parameters(source: SourceModel, hls_model) -> None:
    """Refuse parameters that are finite in the file but not after hls4ml folded them (e.g. a BatchNorm with a
    negative variance gives sqrt(var + eps) = NaN): no firmware can hold them, and no check could pass."""
    for layer in hls_model.get_layers():
        for key, _, values in parameter_arrays(layer):
            bad = ~np.isfinite(values)
            if bad.any():
                what = source.describe(layer.name, layer.class_name)
                raise InputError(
                    f"{source.path}: {what}: {int(bad.sum())} of {values.size} {key} values are not finite after "
                    f"hls4ml folded its parameters (first {values.flat[int(np.argmax(bad.ravel()))]}); "
                    "e.g. a BatchNormalization variance below zero. Parameters must give finite values."
                )


def conversion_error(source: SourceModel, exc: BaseException) -> InputError:
    """`file: node 'X' (op Y): hls4ml cannot convert it (reason)` for a failure inside hls4ml."""
    where = find_culprit(exc)
    reason = first_line(exc)
    if where is None:
        return InputError(f"{source.path}: hls4ml cannot convert the model ({reason}).")
    what = source.describe(where.name, where.op)
    in_pass = f" in its {where.hls4ml_pass} pass" if where.hls4ml_pass else ""
    return InputError(f"{source.path}: {what}: hls4ml cannot convert it{in_pass} ({reason}).")


def write_project(hls_model) -> None:
    """Write the synthesizable project (firmware, build_prj.tcl, testbench) without trace hooks."""
    hls_model.config.trace_output = False
    hls_model.write()


def layer_table(hls_model) -> list[dict[str, str]]:
    """One row per hls4ml layer: name, class and result precision."""
    return [
        {"name": layer.name, "type": layer.class_name, "precision": str(layer.get_output_variable().type.precision)}
        for layer in hls_model.get_layers()
    ]
