"""The options of one compile, as parsed from the command line."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from trigger.errors import InputError
from trigger.fixed import parse_precision
from trigger.targets import Part

SIMULATORS = ("verilator", "icarus")  # co-simulation back ends (trigger.cosim.simulators)
STRATEGIES = ("Latency", "Resource")  # hls4ml strategies
IO_TYPES = ("io_parallel", "io_stream")  # hls4ml I/O types
STAGES = ("load", "hls", "emulate", "rtl", "cosim", "synth", "report")  # trigger.pipeline.STAGES, in order


@dataclass
class CompileOptions:
    """Everything `trigger-compile` was asked to do."""

    model: Path
    part: Part
    output_dir: Path
    weights: Path | None = None
    clock_ns: float = 5.0
    inputs: Path | None = None
    n_vectors: int = 2000
    seed: int = 0
    precision: str = "ap_fixed<16,6>"
    reuse_factor: int = 1
    strategy: str = "Latency"
    io_type: str = "io_parallel"
    latency_budget_ns: float | None = None
    allow_over_budget: bool = False
    min_agreement: float | None = None
    rtl: bool = True
    rtl_levels_per_stage: int | None = None
    cosim: bool = True
    simulator: str = "verilator"
    synth: bool = True
    force: bool = False
    stop_after: str | None = None
    allow_approximate: bool = False

    def validate(self) -> CompileOptions:
        """Refuse values no compile can use (InputError naming the option); returns self.

        The command line's argument types refuse the same values earlier; this guards the Python API.
        """
        _check(_positive_number(self.clock_ns), "clock_ns", self.clock_ns, "a finite number above 0")
        _check(_positive_int(self.n_vectors), "n_vectors", self.n_vectors, "an integer above 0")
        _check(_int(self.seed) and self.seed >= 0, "seed", self.seed, "an integer, 0 or more")
        _check(_positive_int(self.reuse_factor), "reuse_factor", self.reuse_factor, "an integer above 0")
        _check(self.strategy in STRATEGIES, "strategy", self.strategy, f"one of {', '.join(STRATEGIES)}")
        _check(self.io_type in IO_TYPES, "io_type", self.io_type, f"one of {', '.join(IO_TYPES)}")
        _check(self.simulator in SIMULATORS, "simulator", self.simulator, f"one of {', '.join(SIMULATORS)}")
        _check(self.stop_after in (None, *STAGES), "stop_after", self.stop_after, f"one of {', '.join(STAGES)}")
        budget = self.latency_budget_ns
        _check(budget is None or _positive_number(budget), "latency_budget_ns", budget, "a finite number above 0")
        agree = self.min_agreement
        _check(agree is None or (_number(agree) and 0 <= agree <= 1), "min_agreement", agree, "a number in [0, 1]")
        levels = self.rtl_levels_per_stage
        _check(levels is None or _positive_int(levels), "rtl_levels_per_stage", levels, "an integer above 0")
        if not isinstance(self.precision, str):
            _check(False, "precision", self.precision, "a type such as ap_fixed<16,6>")
        self.precision = parse_precision(self.precision)
        return self

    @property
    def not_run_reason(self) -> str:
        """Why a stage's block is empty: the stage list was cut short, or the stage did not run."""
        return f"--stop-after {self.stop_after}" if self.stop_after else "not run"

    @classmethod
    def names(cls) -> list[str]:
        """Every option's name (the keyword arguments of `trigger.compile`)."""
        return [f.name for f in fields(cls)]

    def to_dict(self) -> dict:
        """JSON-ready dictionary (paths as strings, the part by its part string)."""
        d = asdict(self)
        d["part"] = self.part.part
        for k, v in d.items():
            if isinstance(v, Path):
                d[k] = str(v)
        return d


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _positive_number(value) -> bool:
    return _number(value) and value > 0


def _int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_int(value) -> bool:
    return _int(value) and value > 0


def _check(ok: bool, name: str, value, expected: str) -> None:
    if not ok:
        raise InputError(f"option {name}={value!r}: must be {expected}.")
