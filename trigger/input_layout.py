"""A model's inputs as one array, whatever their number.

One input is its own array, (N, *shape).  Several are packed side by side, each flattened, into (N, L) with
L the sum of their sizes, in the order of the model's inputs, which is the order of the C++ top function's
arguments (`hls_model.inputs`) and of the RTL's input bus lanes.  Every stage that stores, slices or counts
vectors handles that one array; only the executors unpack it (`split`): the reference model (frontends,
`SourceModel.feed`) and hls4ml's C simulation (`hls_feed`).  Each input keeps its own fixed-point type, so
`quantize`, `to_raw` and `from_raw` work lane by lane.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trigger.errors import InputError
from trigger.fixed import FixedType, fixed_type_from_str, from_hls_precision


@dataclass(frozen=True)
class Port:
    """One model input: its name, its shape without the batch axis, and (once converted) its type."""

    name: str
    shape: tuple[int, ...]
    ftype: FixedType | None = None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


def split_rows(x: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """A packed (N, L) array as one (N, *shape) array per input (a single input: [x] unchanged)."""
    if len(shapes) == 1:
        return [x]
    n = len(x)
    flat = np.asarray(x).reshape(n, -1)
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    if flat.shape[1] != sum(sizes):
        raise ValueError(f"{flat.shape[1]} values per vector for inputs of sizes {sizes} (sum {sum(sizes)})")
    edges = np.cumsum([0, *sizes])
    return [flat[:, a:b].reshape(n, *s) for a, b, s in zip(edges[:-1], edges[1:], shapes, strict=True)]


@dataclass(frozen=True)
class InputLayout:
    """The model's inputs, in argument order; see the module docstring for the packed array."""

    ports: tuple[Port, ...]
    graph_names: tuple[str, ...] = ()  # the inputs' names in the graph hls4ml converted, when not the ports'

    @classmethod
    def of_source(cls, source) -> InputLayout:
        """Names and shapes from the reference model (no types yet: those come from hls4ml, `typed`)."""
        ports = tuple(Port(n, tuple(s)) for n, s in zip(source.input_names(), source.input_shapes(), strict=True))
        return cls(ports, tuple(source.graph_input_names()))

    def typed(self, hls_model, path) -> InputLayout:
        """This layout with each input's hls4ml type; InputError if hls4ml's inputs are not the model's, in order."""
        names, expected = list(hls_model.inputs), list(self.graph_names or [p.name for p in self.ports])
        if len(names) != len(self.ports):
            raise InputError(f"{path}: hls4ml made {len(names)} inputs ({names}) of the model's {len(self.ports)}.")
        if len(names) > 1 and names != expected:
            raise InputError(
                f"{path}: hls4ml orders the inputs {names}, the model {expected}; "
                "trigger cannot tell which vector feeds which input."
            )
        ports = []
        for port, name in zip(self.ports, names, strict=True):
            ftype = from_hls_precision(hls_model.graph[name].get_output_variable().type.precision)
            ports.append(Port(port.name, port.shape, ftype))
        return InputLayout(tuple(ports), self.graph_names)

    @property
    def single(self) -> bool:
        return len(self.ports) == 1

    @property
    def row_shape(self) -> tuple[int, ...]:
        """Shape of one vector of the packed array."""
        return self.ports[0].shape if self.single else (sum(p.size for p in self.ports),)

    def split(self, x: np.ndarray) -> list[np.ndarray]:
        """One (N, *shape) array per input."""
        return split_rows(x, [p.shape for p in self.ports])

    def join(self, xs: list[np.ndarray]) -> np.ndarray:
        """The packed array of one (N, *shape) array per input."""
        if self.single:
            return np.asarray(xs[0])
        return np.concatenate([np.asarray(a).reshape(len(a), -1) for a in xs], axis=1)

    def hls_feed(self, x: np.ndarray):
        """What hls4ml's predict/trace takes: the array, or a list of contiguous arrays (one per input)."""
        return x if self.single else [np.ascontiguousarray(a) for a in self.split(x)]

    def _types(self) -> list[FixedType]:
        if any(p.ftype is None for p in self.ports):
            raise ValueError("the layout has no types yet (InputLayout.typed)")
        return [p.ftype for p in self.ports]  # type: ignore[misc]

    def _lanewise(self, fn, x: np.ndarray) -> list:
        types = self._types()
        if self.single:
            return [fn(types[0], np.asarray(x))]
        return [fn(t, a.reshape(len(a), -1)) for t, a in zip(types, self.split(np.asarray(x)), strict=True)]

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """Values placed on each input's grid (its rounding and saturation)."""
        return self.join(self._lanewise(lambda t, a: t.quantize(a), x))

    def to_raw(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw integers of each input's type, and a mask of the values on its grid."""
        parts = self._lanewise(lambda t, a: t.to_raw(a), x)
        return self.join([r for r, _ in parts]), self.join([g for _, g in parts])

    def from_raw(self, raw: np.ndarray) -> np.ndarray:
        """Real values of raw integers."""
        return self.join(self._lanewise(lambda t, a: t.from_raw(a), raw))

    def bounds(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each value's input type's smallest and largest value (arrays shaped like x)."""
        lo = self.join(self._lanewise(lambda t, a: np.full(a.shape, t.min_value), x))
        hi = self.join(self._lanewise(lambda t, a: np.full(a.shape, t.max_value), x))
        return lo, hi

    def lane_fracs(self) -> np.ndarray:
        """Fractional bits of every lane of one flattened vector (one input: a 0-d array, its type's)."""
        types = self._types()
        if self.single:
            return np.asarray(types[0].frac, dtype=np.int64)
        return np.concatenate([np.full(p.size, t.frac, dtype=np.int64) for p, t in zip(self.ports, types, strict=True)])

    def __str__(self) -> str:
        if self.single:
            return str(self.ports[0].ftype)
        return ", ".join(f"{p.name}: {p.ftype} {list(p.shape)}" for p in self.ports)

    def describe(self) -> dict:
        """For vectors/index.json, golden.json and report.json: the type (one input) and every input's lanes."""
        ports, start = [], 0
        for p in self.ports:
            ports.append(
                {"name": p.name, "shape": list(p.shape), "type": str(p.ftype), "lanes": [start, start + p.size]}
            )
            start += p.size
        return {"type": str(self), "ports": ports}

    @classmethod
    def from_index(cls, entry: dict, shape: tuple[int, ...] | None = None) -> InputLayout:
        """The layout `describe` wrote; an entry of a project from before several inputs has only one `type`."""
        if "ports" in entry:
            return cls(
                tuple(Port(p["name"], tuple(p["shape"]), fixed_type_from_str(p["type"])) for p in entry["ports"])
            )
        return cls((Port("input", tuple(shape or ()), fixed_type_from_str(entry["type"])),))
