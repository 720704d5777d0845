"""Which node or layer an hls4ml conversion failed on, read from the failure's own traceback.

hls4ml raises plain exceptions (IndexError, AssertionError, "Unexpected new precision type") from its
per-op handlers and its optimizer passes, without saying where.  Both loops keep the item they work
on in a local variable: `node` (an ONNX NodeProto in `parse_onnx_model`, an hls4ml Layer in
`optimize_model`), `layer` (an hls4ml Layer in many passes) or `keras_layer` (a Keras config dict).
The innermost such local is the culprit; `opt_name` / `opt` in the same or an outer frame names the
pass.  Nothing is re-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType


@dataclass
class Culprit:
    """Where a conversion failed: the item's name and kind, and the hls4ml pass if inside one."""

    name: str
    kind: str  # "onnx-node" | "hls4ml-layer" | "keras-layer"
    op: str  # ONNX op type, hls4ml layer class or Keras layer class
    hls4ml_pass: str | None = None


def _frames(tb: TracebackType | None) -> list:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return frames  # outermost first


def _item(value) -> Culprit | None:
    cls = type(value).__name__
    if cls == "NodeProto":
        return Culprit(value.name or value.output[0], "onnx-node", value.op_type)
    if hasattr(value, "class_name") and hasattr(value, "name") and hasattr(value, "get_output_variable"):
        return Culprit(str(value.name), "hls4ml-layer", str(value.class_name))
    if isinstance(value, dict) and isinstance(value.get("config"), dict) and "class_name" in value:
        return Culprit(str(value["config"].get("name", "?")), "keras-layer", str(value["class_name"]))
    return None


def _pass_name(frame) -> str | None:
    name = frame.f_locals.get("opt_name")
    if isinstance(name, str):
        return name
    opt = frame.f_locals.get("opt") or frame.f_locals.get("self")
    if type(opt).__module__.startswith("hls4ml.") and "optimizer" in type(opt).__module__:
        return getattr(opt, "name", None) or type(opt).__name__
    return None


def find_culprit(exc: BaseException) -> Culprit | None:
    """The innermost node/layer under work when `exc` was raised inside hls4ml, or None."""
    frames = _frames(exc.__traceback__)
    found: Culprit | None = None
    depth = -1
    for k, frame in enumerate(frames):
        if not frame.f_code.co_filename.replace("\\", "/").count("/hls4ml/"):
            continue
        for var in ("node", "layer", "keras_layer"):
            item = _item(frame.f_locals.get(var))
            if item is not None:
                found, depth = item, k
                break
    if found is None:
        return None
    for frame in reversed(frames[: depth + 1]):
        name = _pass_name(frame)
        if name:
            found.hls4ml_pass = name
            break
    return found


def first_line(exc: BaseException) -> str:
    """`Type: first line of the message` (hls4ml messages can span pages)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
