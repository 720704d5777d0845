"""A compiled project's bit-exact firmware model, for running at scale.

The RTL stage rebuilt the hls4ml graph's arithmetic in alkaid, checked it equal to the C simulation as raw
integers and wrote it beside the Verilog (`DIR/rtl/model/comb.json.gz`, alkaid's own format); the cosim stage
co-simulated the Verilog made from it.  That model is what `trigger-emulate` runs: inputs placed on the input
types' grids exactly as the compile placed its vectors (`InputLayout.quantize`), outputs as raw integers at the
output bus's fractional bits.

Two backends run it.  `interpreter` is alkaid's C++ interpreter.  `compiled` is the same program translated to
C (`compiled.py`; ~5x faster in benchmarks/results/emulate.json); it is used only after it gave the
interpreter's integers on the compile's vectors, and every chunk's first `CHECK_ROWS` rows are run through the
interpreter too and compared (a difference is `CheckFailed`, exit 3).  `auto` (the default) takes `compiled`
when it builds and passes, else the interpreter, and says why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from trigger.errors import CheckFailed, InputError
from trigger.input_layout import InputLayout
from trigger.scale import compiled

COMB = "rtl/model/comb.json.gz"
BACKENDS = ("auto", "compiled", "interpreter")
CHECK_ROWS = 256


@dataclass(frozen=True)
class FirmwareModel:
    """What a worker needs to run one project's firmware model (small and picklable: paths and types)."""

    project: Path
    layout: InputLayout
    out_frac: int
    out_lanes: int
    output_layer: str
    output_type: str
    checks: dict  # the compile's evidence that this model is the firmware's arithmetic
    backend: str = "interpreter"  # "compiled" or "interpreter"
    library: str | None = None  # the compiled backend's shared library
    backend_note: str = ""  # why this backend

    @classmethod
    def open(cls, project: Path, backend: str = "auto") -> FirmwareModel:
        """The project's firmware model; InputError naming what is missing when the RTL stage did not pass."""
        project = Path(project).resolve()
        report_file = project / "report.json"
        if not report_file.is_file():
            raise InputError(f"{project}: no report.json; not a trigger-compile project.")
        report = json.loads(report_file.read_text())
        rtl = report.get("rtl") or {}
        if "skipped" in rtl or not rtl:
            why = rtl.get("skipped", "the RTL stage did not run")
            raise InputError(f"{project}: has no RTL model to run ({why}); trigger-emulate runs the RTL stage's model.")
        check = rtl.get("check") or {}
        if not check.get("bit_exact"):
            raise InputError(
                f"{project}: its RTL model failed the check against the C simulation in the compile; "
                "it is not the firmware's arithmetic."
            )
        for need in (COMB, "rtl/design.json", "vectors/index.json"):
            if not (project / need).is_file():
                raise InputError(f"{project}: no {need}; recompile the project with this trigger version.")
        design = json.loads((project / "rtl" / "design.json").read_text())
        index = json.loads((project / "vectors" / "index.json").read_text())
        layout = _layout(index["inputs"], report)
        cosim = report.get("cosim") or {}
        checks = {
            "rtl_vs_csim": {"bit_exact": True, "n_vectors": check.get("n_vectors"), "layer": check.get("layer")},
            "cosim": {k: cosim.get(k) for k in ("passed", "mismatches", "n_vectors")}
            if "skipped" not in cosim
            else {"skipped": cosim.get("skipped")},
            "not_in_rtl": rtl.get("not_in_rtl", []),
        }
        model = cls(
            project,
            layout,
            int(design["out_frac"]),
            len(design["out_lanes"]),
            str(design["compared_layer"]),
            _output_type(project, index, check.get("layer")),
            checks,
        )
        return model.with_backend(backend)

    def with_backend(self, backend: str) -> FirmwareModel:
        """This model on `backend` ("auto": compiled when it builds and equals the interpreter, else not)."""
        if backend not in BACKENDS:
            raise InputError(f"--backend {backend}: choose one of {', '.join(BACKENDS)}.")
        if backend == "interpreter":
            return replace(self, backend="interpreter", backend_note="chosen with --backend interpreter")
        comb = _comb(str(self.project / COMB))
        try:
            library = compiled.build(comb)
        except (compiled.NotCompilable, RuntimeError) as exc:
            if backend == "compiled":
                raise InputError(f"{self.project / COMB}: cannot be compiled to C: {exc}") from exc
            return replace(self, backend="interpreter", backend_note=f"not compiled to C: {exc}")
        q = self.layout.quantize(np.load(self.project / "vectors" / "inputs.npy"))
        q = np.ascontiguousarray(q.reshape(len(q), -1))
        want = comb.predict(q, n_threads=1)
        try:
            same = np.array_equal(compiled.predict(library, comb, q), want)
        except RuntimeError:  # a table index outside its table: the translation is wrong
            same = False
        if not same:
            why = f"the C translation differs from alkaid's interpreter on the compile's {len(q)} vectors"
            if backend == "compiled":
                raise CheckFailed(f"{self.project / COMB}: {why} (a trigger bug; --backend interpreter runs)")
            return replace(self, backend="interpreter", backend_note=f"{why}; please report it")
        note = f"alkaid's program compiled to C, equal to its interpreter on the compile's {len(q)} vectors"
        return replace(self, backend="compiled", library=str(library), backend_note=note)

    def describe(self) -> dict:
        """The backend, for OUT.npz's meta."""
        name = {"compiled": "compiled to C", "interpreter": "alkaid's interpreter"}[self.backend]
        return {
            "model": f"the project's RTL model (rtl/model/comb.json.gz), {name}",
            "backend": self.backend,
            "why": self.backend_note,
            "library": self.library,
            "rows_checked_per_chunk": CHECK_ROWS if self.backend == "compiled" else None,
        }

    def run(self, x: np.ndarray) -> tuple[np.ndarray, dict]:
        """Raw output integers (N, lanes) of packed inputs `x`, and the counts of inputs moved onto the grid."""
        q = self.layout.quantize(x)
        lo, hi = self.layout.bounds(x)
        counts = {
            "moved_to_grid": int(np.count_nonzero(q != x)),
            "saturated": int(np.count_nonzero((x < lo) | (x > hi))),
        }
        n = len(q)
        q = np.ascontiguousarray(q.reshape(n, -1))
        comb = _comb(str(self.project / COMB))
        if self.backend == "compiled":
            why = "differs from alkaid's interpreter on this chunk's first rows"
            try:
                values = compiled.predict(_library(str(self.project / COMB)), comb, q)
            except RuntimeError as exc:  # a table index outside its table
                values, why = None, str(exc)
            head = min(n, CHECK_ROWS)
            if values is None or not np.array_equal(values[:head], comb.predict(q[:head], n_threads=1)):
                raise CheckFailed(
                    f"{self.project / COMB}: the C translation {why} (a trigger bug; --backend interpreter runs)"
                )
        else:
            values = comb.predict(q, n_threads=1)
        scaled = np.asarray(values, dtype=np.float64).reshape(n, -1) * 2.0**self.out_frac
        raw = np.round(scaled)
        if not np.array_equal(raw, scaled):  # alkaid's outputs lie on the bus grid by construction
            raise RuntimeError(f"{self.project}: the firmware model gave values off its output grid")
        return raw.astype(np.int64), counts


def _layout(entry: dict, report: dict) -> InputLayout:
    """The project's inputs; a project from before several inputs records only the type (its shape: report)."""
    shapes = (report.get("model") or {}).get("inputs") or [[]]
    return InputLayout.from_index(entry, tuple(shapes[0]))


def _output_type(project: Path, index: dict, layer: str | None) -> str:
    """The type of the layer the RTL ends at, as the vectors' index records it."""
    for key in ("rtl_expected_raw", "expected_raw"):
        entry = index.get(key) or {}
        if entry.get("layer") == layer and entry.get("type"):
            return str(entry["type"])
    raise InputError(f"{project}: vectors/index.json does not record the type of layer {layer}.")


@lru_cache(maxsize=4)
def _comb(path: str):
    """alkaid's model, loaded once per worker process."""
    from alkaid.types import CombLogic

    return CombLogic.load(path)


@lru_cache(maxsize=4)
def _library(comb_path: str) -> Path:
    """The compiled library on this worker: the client's from the shared cache, or built here (a remote worker
    of another CPU, or one that cannot see the client's cache, gets its own: the cache key holds the CPU)."""
    return compiled.build(_comb(comb_path))
