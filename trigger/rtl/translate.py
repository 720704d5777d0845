"""Rebuild the fixed-point arithmetic of an hls4ml ModelGraph with alkaid's numpy tracing API.

`trace_hls_model(hls_model, upto_layer)` walks the converted, precision-inferred hls4ml graph from its
Input layers to `upto_layer` and emits the same arithmetic as hls4ml's C++ (io_parallel), one handler
per layer class (`trigger.rtl.registry`, handlers in `trigger.rtl.layers`).  The input bus lanes carry
raw `input_t` words.  A layer without a handler, or a configuration its handler cannot rebuild exactly,
raises `Unsupported` ("<layer> <type> not supported (<why>)").  After the trace, `trigger.rtl.checks`
verifies that alkaid's float64 bookkeeping stayed exact.
"""

from __future__ import annotations

import time

import numpy as np
from alkaid.trace import FVArray, FVArrayInput, HWConfig, trace
from alkaid.types import CombLogic

import trigger.rtl.layers  # noqa: F401 - registers every handler
from trigger.fixed import precision_spec
from trigger.rtl import alkaid_fixes
from trigger.rtl.checks import check_trace
from trigger.rtl.registry import HANDLERS, TraceContext, Unsupported

__all__ = ["Unsupported", "trace_hls_model", "supported_layers"]


def supported_layers() -> list[str]:
    """hls4ml layer classes the RTL translation rebuilds."""
    return ["Input", *sorted(HANDLERS)]


def _input(layer, ctx: TraceContext) -> tuple[FVArrayInput, FVArray]:
    """An input layer: the raw input lanes, and their values as `input_t` (lanes carry raw words)."""
    shape = tuple(int(s) for s in layer.get_output_variable().shape)
    spec = precision_spec(layer.get_output_variable().type.precision)
    inp = FVArrayInput(shape, hwconf=ctx.hwconf, solver_options=ctx.solver_options)
    return inp, inp.quantize(spec["k"], spec["i"], spec["f"])


def _apply(layer, srcs: list[FVArray], ctx: TraceContext) -> FVArray:
    cls = layer.class_name
    handler = HANDLERS.get(cls)
    if handler is None:
        raise Unsupported(layer.name, cls, f"supported: {', '.join(supported_layers())}")
    try:
        y = handler(layer, srcs, ctx)
    except Unsupported:
        raise
    except NotImplementedError as exc:  # a precision type/mode apfixed cannot express
        raise Unsupported(layer.name, cls, str(exc)) from exc
    want = tuple(int(s) for s in layer.get_output_variable().shape)
    if tuple(y.shape) != want:
        raise RuntimeError(f"RTL handler of {cls} gave shape {tuple(y.shape)} for {layer.name}, hls4ml has {want}")
    return y


def _trace_layers(hls_model, upto_layer: str, ctx: TraceContext):
    """Build the alkaid variables layer by layer up to `upto_layer`."""
    tensors: dict[str, FVArray] = {}
    raw_inputs: list[FVArrayInput] = []
    input_layers: list[str] = []
    record = []
    for layer in hls_model.get_layers():
        cls = layer.class_name
        if cls == "Input":
            inp, y = _input(layer, ctx)
            raw_inputs.append(inp)
            input_layers.append(layer.name)
        else:
            names = [n for n in layer.inputs if n]  # hls4ml keeps '' for a constant input it consumed
            missing = [n for n in names if n not in tensors]
            if missing:
                raise Unsupported(layer.name, cls, f"input {missing[0]!r} is not produced by a traced layer")
            y = _apply(layer, [tensors[n] for n in names], ctx)
        for out_name in layer.outputs:
            tensors[out_name] = y
        levels = max((float(v.latency) for v in np.ravel(np.asarray(y))), default=0.0)  # adder levels
        record.append(
            dict(
                name=layer.name,
                cls=cls,
                result=str(layer.get_output_variable().type.precision),
                activation=layer.get_attr("activation"),
                adder_levels=levels,
            )
        )
        if layer.name == upto_layer:
            return raw_inputs, input_layers, y, record
    raise KeyError(f"layer {upto_layer!r} not found in the hls4ml model")


def trace_hls_model(
    hls_model,
    upto_layer: str,
    hwconf: HWConfig | tuple[int, int, int] = (1, -1, -1),
    solver_options: dict | None = None,
) -> tuple[CombLogic, dict]:
    """Trace the hls4ml graph from the inputs up to `upto_layer` (inclusive) into an alkaid CombLogic.

    Returns (comb, info): `info` has the per-layer record, accumulator checks, the input/output lane
    formats and the trace time.
    """
    t0 = time.perf_counter()
    options = alkaid_fixes.solver_options({"hard_dc": 2} if solver_options is None else solver_options)
    ctx = TraceContext(HWConfig(*hwconf), options)
    raw_inputs, input_layers, out, record = _trace_layers(hls_model, upto_layer, ctx)
    # the input bus follows the top function's argument order (hls_model.inputs), not the layer list's
    order = sorted(range(len(input_layers)), key=lambda k: list(hls_model.inputs).index(input_layers[k]))
    raw_inputs, input_layers = [raw_inputs[k] for k in order], [input_layers[k] for k in order]
    inp_all = np.concatenate([np.ravel(np.asarray(i)) for i in raw_inputs])
    out_all = np.ravel(np.asarray(out))
    check_trace(inp_all, out_all, upto_layer, hls_model.graph[upto_layer].class_name)
    comb = trace(inp_all, out_all, keep_dead_inputs=True)
    t1 = time.perf_counter()
    prec = hls_model.graph[upto_layer].get_output_variable().type.precision
    in_types = [precision_spec(hls_model.graph[n].get_output_variable().type.precision) for n in input_layers]
    info = dict(
        layers=record,
        accumulators=ctx.checks,
        input_layers=input_layers,
        input_types=[str(hls_model.graph[n].get_output_variable().type.precision) for n in input_layers],
        input_needs_prequantize=any(s["rnd"] != "TRN" or s["sat"] != "WRAP" for s in in_types),
        output_layer=upto_layer,
        output_type=str(prec),
        trace_seconds=t1 - t0,
        inp_kifs=[tuple(int(v) for v in q.kif) for q in comb.inp_qint],
        out_kifs=[tuple(int(v) for v in q.kif) for q in comb.out_qint],
    )
    return comb, info
