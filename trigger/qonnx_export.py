"""QKeras -> QONNX export (qonnx 0.4's `from_keras`)."""

from __future__ import annotations

from pathlib import Path


def keras_to_qonnx(model, out: Path, opset: int = 13) -> Path:
    """Export a (Q)Keras model to a QONNX file with `Quant` nodes."""
    import onnx
    import tf2onnx.optimizer  # noqa: F401  (must precede qonnx's converter with tf2onnx 1.17)
    from qonnx.converters import from_keras

    onnx_model, _ = from_keras(model, name=model.name, opset=opset)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(onnx_model, str(out))
    return out
