"""hls4ml alone: what a user does with a model file and hls4ml 1.3 by hand, as its documentation shows.

No trigger code is imported here (and none of its hls4ml workarounds).  ONNX/QONNX: qonnx `cleanup_model`,
`ConvertToChannelsLastAndClean`, `GemmToMatMul`, `cleanup_model`, then `convert_from_onnx_model`.  Keras:
`model_from_json` + `load_weights` (a `.json` architecture) or `load_model` (`.h5`/`.keras`), with the QKeras
custom objects, then `convert_from_keras_model`.  Both: `granularity="name"`, Vitis backend, io_parallel.

Shared by benchmarks/zoo.py (which then compiles and predicts) and benchmarks/fuzz.py, which runs this file as
a script in a fresh interpreter, converting and writing the project only (no C simulation):

    .venv/bin/python benchmarks/hls4ml_alone.py MODEL --out DIR [--weights W.h5]

It prints one JSON line: {"outcome": "accepted", "files": N} or {"outcome": "refused", "error_type": T,
"error": first line of the message}.  A signal or a timeout (a crash) is for the caller to see.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any


def convert(model_file: Path, out: Path, weights: Path | None = None) -> tuple[Any, Any]:
    """Load `model_file` and convert it with hls4ml; returns (hls model, Keras model or None for ONNX).

    For a Keras `.json` architecture the weights are `weights` (default: model_weights.h5 beside it).
    """
    import hls4ml

    model_file = Path(model_file)
    if model_file.suffix == ".onnx":
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.transformation.channels_last import ConvertToChannelsLastAndClean
        from qonnx.transformation.gemm_to_matmul import GemmToMatMul
        from qonnx.util.cleanup import cleanup_model

        w = cleanup_model(ModelWrapper(str(model_file)))
        w = w.transform(ConvertToChannelsLastAndClean()).transform(GemmToMatMul())
        w = cleanup_model(w)
        cfg = hls4ml.utils.config_from_onnx_model(w, granularity="name", backend="Vitis")
        hm = hls4ml.converters.convert_from_onnx_model(
            w, hls_config=cfg, backend="Vitis", output_dir=str(out), io_type="io_parallel"
        )
        return hm, None

    import tensorflow as tf
    from qkeras.utils import _add_supported_quantized_objects

    custom: dict = {}
    _add_supported_quantized_objects(custom)
    if model_file.suffix == ".json":
        model = tf.keras.models.model_from_json(model_file.read_text(), custom_objects=custom)
        model.load_weights(str(weights or model_file.with_name("model_weights.h5")))
    else:
        model = tf.keras.models.load_model(str(model_file), custom_objects=custom)
    cfg = hls4ml.utils.config_from_keras_model(model, granularity="name", backend="Vitis")
    hm = hls4ml.converters.convert_from_keras_model(
        model, hls_config=cfg, backend="Vitis", output_dir=str(out), io_type="io_parallel"
    )
    return hm, model


def convert_and_write(model_file: Path, out: Path, weights: Path | None = None) -> dict:
    """Convert and write the HLS project (no compilation); the outcome a user sees, as a JSON-able dict."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            hm, _ = convert(model_file, out, weights)
            hm.write()
    except (Exception, SystemExit) as exc:  # what the user would see, as a traceback
        text = str(exc).strip()
        first = text.splitlines()[0] if text else ""
        return {"outcome": "refused", "error_type": type(exc).__name__, "error": first[:200]}
    files = sum(len(fs) for _, _, fs in os.walk(out)) if out.is_dir() else 0
    return {"outcome": "accepted", "files": files}


def main() -> None:
    p = argparse.ArgumentParser(description="hls4ml alone: convert a model and write its HLS project")
    p.add_argument("model", type=Path, help="an .onnx file, a Keras .json architecture, or a Keras .h5/.keras")
    p.add_argument("--out", type=Path, required=True, help="the hls4ml output directory")
    p.add_argument("--weights", type=Path, help="weights of a .json model (default: model_weights.h5 beside it)")
    args = p.parse_args()
    print(json.dumps(convert_and_write(args.model, args.out, args.weights)), flush=True)


if __name__ == "__main__":
    main()
