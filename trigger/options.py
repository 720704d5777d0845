"""The options of one compile, as parsed from the command line."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from trigger.targets import Part

SIMULATORS = ("verilator", "icarus")  # co-simulation back ends (trigger.cosim.simulators)


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

    @property
    def not_run_reason(self) -> str:
        """Why a stage's block is empty: the stage list was cut short, or the stage did not run."""
        return f"--stop-after {self.stop_after}" if self.stop_after else "not run"

    def to_dict(self) -> dict:
        """JSON-ready dictionary (paths as strings, the part by its part string)."""
        d = asdict(self)
        d["part"] = self.part.part
        for k, v in d.items():
            if isinstance(v, Path):
                d[k] = str(v)
        return d
