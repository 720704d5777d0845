"""The RTL translation's extension point: one handler per hls4ml layer class, registered by decorator.

A handler rebuilds one hls4ml layer's C++ arithmetic (io_parallel) on alkaid traced variables:

    @handles("Dense")
    def dense(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray: ...

`Activation` layers dispatch once more on their `activation` attribute (`@handles_activation("relu")`).
`inputs` are the layer's input tensors in hls4ml's order, shaped as hls4ml's output variables (channels
last); the result must have the shape of the layer's output variable.  A handler that cannot rebuild a
configuration exactly raises `Unsupported` naming why.  Modules in `trigger.rtl.layers` are imported by
`trigger.rtl.translate`, so a new layer is one new file there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from alkaid.trace import FVArray, HWConfig


class Unsupported(NotImplementedError):
    """A layer the RTL translation cannot take; str() is "<layer> <type> not supported (<why>)"."""

    def __init__(self, layer: str, cls: str, why: str):
        self.layer, self.cls, self.why = layer, cls, why
        super().__init__(f"{layer} {cls} not supported ({why})")


@dataclass
class TraceContext:
    """What handlers share during one trace: the hardware configuration and the per-layer check records."""

    hwconf: HWConfig
    solver_options: dict
    checks: dict = field(default_factory=dict)  # layer name -> record (report.json `rtl.accumulators`)


Handler = Callable[[object, list[FVArray], TraceContext], FVArray]
HANDLERS: dict[str, Handler] = {}
ACTIVATIONS: dict[str, Handler] = {}  # hls4ml's Activation layer, by its `activation` attribute


def _registrar(table: dict[str, Handler], what: str, keys: tuple[str, ...]) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for key in keys:
            if key in table and table[key] is not fn:
                raise RuntimeError(f"two RTL handlers for {what} {key}")
            table[key] = fn
        return fn

    return register


def handles(*classes: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of hls4ml layer classes `classes`."""
    return _registrar(HANDLERS, "hls4ml layer class", classes)


def handles_activation(*names: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for hls4ml `Activation` layers whose `activation` is one of `names`."""
    return _registrar(ACTIVATIONS, "activation", names)


def single(layer, inputs: list[FVArray]) -> FVArray:
    """The one input of a single-input layer."""
    if len(inputs) != 1:
        raise Unsupported(layer.name, layer.class_name, f"{len(inputs)} inputs; this layer takes one")
    return inputs[0]


def output_shape(layer) -> tuple[int, ...]:
    """The shape of the layer's output variable (hls4ml's, channels last)."""
    return tuple(int(s) for s in layer.get_output_variable().shape)


def output_precision(layer):
    """The hls4ml precision type of the layer's result."""
    return layer.get_output_variable().type.precision


def fv_array(values, like: FVArray) -> FVArray:
    """An FVArray of the variables in `values` (an object ndarray), with `like`'s configuration."""
    return FVArray(values, like.solver_options, hwconf=like.hwconf)
