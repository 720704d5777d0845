"""The compile as an explicit, ordered list of stages (load -> hls -> emulate -> rtl -> cosim -> synth -> report).

Each stage reads the context left by the previous ones and writes its own files under the
(staging) project directory.  `--stop-after` ends the list early; the report stage always runs.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from trigger import emulation, hls, vectors
from trigger.culprit import first_line
from trigger.errors import CheckFailed, InputError, TriggerError
from trigger.fixed import from_hls_precision
from trigger.frontends import load_model
from trigger.frontends.base import SourceModel
from trigger.input_layout import InputLayout
from trigger.options import CompileOptions
from trigger.progress import StageClock, captured
from trigger.representable import parameter_warnings


@dataclass
class Context:
    """State handed from stage to stage."""

    opts: CompileOptions
    workdir: Path
    clock: StageClock
    source: SourceModel | None = None
    hls_config: dict[str, Any] | None = None
    hls_model: Any = None
    point: emulation.ComparePoint | None = None
    layout: InputLayout | None = None  # the model's inputs (names, shapes; types once converted)
    inputs: Any = None  # the vectors, packed (trigger.input_layout)
    user_inputs: Any = None  # the --inputs file's array (read and checked by the load stage)
    expected_raw: Any = None  # the C simulation at the compare point, raw integers
    final_raw: Any = None  # the C simulation's network output, raw integers of the last layer's type
    blocks: dict[str, dict] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def log(self, stage: str) -> Path:
        return self.workdir / "logs" / f"{stage}.log"


def step_load(ctx: Context) -> None:
    """Read the model file with the frontend for its format."""
    with captured(ctx.log("load")):
        ctx.source = load_model(ctx.opts.model, ctx.opts.weights)
    ctx.layout = InputLayout.of_source(ctx.source)
    if ctx.opts.inputs:  # a bad --inputs file is refused before any work is done
        ctx.user_inputs = vectors.read(ctx.opts.inputs, ctx.layout)


def step_hls(ctx: Context) -> None:
    """Configure hls4ml, convert, and write the Vitis HLS project to DIR/hls/."""
    src = ctx.source
    with captured(ctx.log("hls")):
        try:
            ctx.hls_config = hls.build_config(src, ctx.opts)
            ctx.hls_model = hls.convert(src, ctx.hls_config, ctx.opts, ctx.workdir / "hls")
            ctx.layout = ctx.layout.typed(ctx.hls_model, src.path)
            hls.check_finite_parameters(src, ctx.hls_model)
            ctx.warnings.extend(parameter_warnings(ctx.hls_model, src.describe))
            hls.write_project(ctx.hls_model)
        except InputError:
            raise
        except Exception as exc:  # hls4ml raises bare errors from its handlers and passes: name the node
            raise hls.conversion_error(src, exc) from exc


def _compare_point(ctx: Context) -> tuple[emulation.ComparePoint, str | None]:
    """Where to compare, and why it had to fall back to the network output (None if it did not).

    The exact comparison taps the reference at the tensor that feeds the trailing approximate layers:
    the input of the source layer of the same name, else (graph models) the tensor of the same name.
    When neither exists, the comparison falls back to the network output; if that loses an exact
    comparison of a quantized model, it is a failed check unless --allow-approximate.
    """
    src, hm = ctx.source, ctx.hls_model
    point = emulation.compare_point(hm, check_parameters=src.quantized)
    if not point.anchor or src.has_layer(point.anchor):
        return point, None
    layers = {layer.name: layer for layer in hm.get_layers()}
    compared = layers[point.layer]
    traced = bool(compared.get_attr("function_cpp", None)) and compared.get_attr("trace", False)
    if point.exact_possible and traced:  # e.g. an ApplyAlpha hls4ml made from a Mul and an Add
        point.tensor = src.tensor_of(layers[point.anchor].inputs[0], point.layer)
        if point.tensor:
            return point, None
    fallback = (
        f"the tensor feeding hls4ml layer {point.anchor} has no counterpart in {src.path.name} "
        "(no layer, node or tensor of that name), so the comparison fell back to the network output"
    )
    lost = point.exact_possible
    point = emulation.output_point(hm, point)
    if lost and src.quantized and not ctx.opts.allow_approximate:
        ctx.failures.append(
            f"{fallback}: this quantized model was compared only approximately "
            "(pass --allow-approximate to accept that)."
        )
    return point, fallback


def step_emulate(ctx: Context) -> None:
    """C-simulate the project on the vectors and compare with the reference model exactly."""
    src, hm, opts = ctx.source, ctx.hls_model, ctx.opts
    point, fallback = _compare_point(ctx)
    layout = ctx.layout
    vec = (
        vectors.place(ctx.user_inputs, layout, opts.inputs.name)
        if opts.inputs
        else vectors.generate_all(layout, opts.n_vectors, opts.seed)
    )
    with captured(ctx.log("emulate")):
        cmp, arrays = emulation.run(hm, src, point, vec.x, layout)
        hls.write_project(hm)
    exact_mode = src.quantized and point.exact_possible
    ctx.point, ctx.inputs, ctx.expected_raw = point, vec.x, cmp.emulation_raw
    out_type = from_hls_precision(list(hm.get_layers())[-1].get_output_variable().type.precision)
    ctx.final_raw = out_type.to_raw(arrays["emulation_output"])[0]
    in_raw, _ = layout.to_raw(vec.x)
    inputs_info = {"source": vec.source, **layout.describe(), **vec.info}
    vectors.save(
        ctx.workdir / "vectors",
        {"inputs": vec.x, "inputs_raw": in_raw, "expected_raw": cmp.emulation_raw, **arrays},
        {
            "inputs": {**inputs_info, "shape": list(vec.x.shape)},
            "expected_raw": {"layer": point.layer, "type": str(point.ftype), "shape": list(cmp.emulation_raw.shape)},
            "note": "expected_raw = raw integers of the C simulation at the compare point; inputs_raw likewise.",
        },
    )
    block = {
        "n_vectors": int(len(vec.x)),
        "reference": src.reference_name,
        "inputs": inputs_info,
        "mode": "exact" if exact_mode else "approximate",
        "compared_at": {
            "layer": point.layer,
            "type": point.layer_type,
            "precision": str(point.ftype),
            "feeds": point.anchor,
            "tensor": point.tensor,
        },
        "bit_exact": bool(cmp.equal.all()),
        "exact_fraction": cmp.exact_fraction,
        "max_abs_diff": cmp.max_abs_diff,
        "argmax_agreement": cmp.argmax_agreement,
        "final_output": {"max_abs_diff": cmp.final_max_abs_diff, "argmax_agreement": cmp.final_argmax_agreement},
        "approximate_layers": point.approximate_layers,
        "approximate_why": point.approximate_why,
        "fallback": fallback,
        "allow_approximate": opts.allow_approximate,
        "first_mismatch": cmp.first_mismatch() if exact_mode else None,  # raw integers mean nothing otherwise
        "min_agreement": opts.min_agreement,
    }
    if exact_mode and not block["bit_exact"]:
        m = block["first_mismatch"]
        ctx.failures.append(
            f"emulation differs from the reference at layer {point.layer}: {1 - cmp.exact_fraction:.4%} of values; "
            f"first at vector {m['vector']} lane {m['lane']} (expected raw {m['expected_raw']}, got {m['got_raw']})."
        )
    agreement = cmp.argmax_agreement  # at the compared layer: the logits when a softmax ends the network
    if opts.min_agreement is not None and agreement is not None and agreement < opts.min_agreement:
        ctx.failures.append(
            f"argmax agreement at {point.layer} is {agreement:.4f}, below --min-agreement {opts.min_agreement}."
        )
    block["passed"] = not ctx.failures
    ctx.blocks["emulation"] = block


@contextmanager
def _rtl_crash_is_a_failure(ctx: Context):
    """A crash inside the RTL translation is a trigger bug: the project is kept (HLS and emulation are
    unaffected), the report says so, and the compile fails with exit code 3 rather than a traceback."""
    try:
        yield
    except TriggerError:
        raise
    except Exception as exc:
        reason = f"internal error in the RTL stage ({first_line(exc)}); please report it"
        ctx.blocks["rtl"] = {"skipped": reason}
        ctx.failures.append(f"the RTL could not be built: {reason}.")


def step_rtl(ctx: Context) -> None:
    """Rebuild the arithmetic in alkaid, check it against the C simulation, write Verilog to DIR/rtl/."""
    if not ctx.opts.rtl:
        ctx.blocks["rtl"] = {"skipped": "--no-rtl"}
        return
    if ctx.opts.io_type != "io_parallel":
        ctx.blocks["rtl"] = {"skipped": f"the RTL path builds io_parallel designs; this project is {ctx.opts.io_type}"}
        return
    from trigger.rtl.build import build_rtl

    with captured(ctx.log("rtl")), _rtl_crash_is_a_failure(ctx):
        block, failures = build_rtl(
            ctx.hls_model,
            ctx.point,
            ctx.inputs,
            ctx.expected_raw,
            ctx.workdir / "rtl",
            hls.project_name(ctx.source.name),
            ctx.opts.clock_ns,
            ctx.opts.part,
            ctx.opts.rtl_levels_per_stage,
            final_raw=ctx.final_raw,
        )
    if "rtl" in ctx.blocks:  # the stage crashed (see _rtl_crash_is_a_failure)
        return
    if "skipped" not in block:
        _save_rtl_expected(ctx, block["check"]["layer"])
    if ctx.opts.reuse_factor > 1 and "skipped" not in block:
        block["note"] = f"the RTL is fully parallel (II=1); --reuse-factor {ctx.opts.reuse_factor} applies to hls/ only"
    ctx.blocks["rtl"] = block
    ctx.failures.extend(failures)


def _save_rtl_expected(ctx: Context, layer: str) -> None:
    """DIR/vectors/rtl_expected_raw.npy: what the RTL must give (the C simulation at the layer the RTL ends
    at, raw integers), for co-simulation; expected_raw.npy stays the compare point's (golden vectors)."""
    if layer == ctx.point.layer:
        expected, ftype = ctx.expected_raw, ctx.point.ftype
    else:  # the network's output
        expected = ctx.final_raw
        ftype = from_hls_precision(ctx.hls_model.graph[layer].get_output_variable().type.precision)
    entry = {"layer": layer, "type": str(ftype), "shape": list(np.shape(expected))}
    vectors.add(ctx.workdir / "vectors", "rtl_expected_raw", expected, entry)


def step_cosim(ctx: Context) -> None:
    """Co-simulate the RTL top level on the vectors under cocotb (DIR/cosim/)."""
    rtl = ctx.blocks.get("rtl", {})
    reason = None
    if not ctx.opts.cosim:
        reason = "--no-cosim"
    elif "skipped" in rtl:
        reason = f"no RTL ({rtl['skipped']})"
    elif not rtl.get("passed", False):
        reason = "the RTL model failed its check against the C simulation"
    if reason:
        ctx.blocks["cosim"] = {"skipped": reason}
        return
    from trigger.cosim.run import run_cosim

    with captured(ctx.log("cosim")):
        block = run_cosim(ctx.workdir, ctx.opts.simulator, seed=ctx.opts.seed)
    ctx.blocks["cosim"] = block
    ctx.failures.extend(block["failures"])


def step_synth(ctx: Context) -> None:
    """Synthesise the RTL with yosys for the part's family (DIR/synth/), or reuse a cached result."""
    if not ctx.opts.synth:
        ctx.blocks["synth"] = {"skipped": "--no-synth"}
        return
    from trigger.synth import synth_stage

    block = synth_stage(ctx.workdir, ctx.opts.part.yosys_family, ctx.blocks.get("rtl", {}), ctx.clock.progress)
    ctx.blocks["synth"] = block
    ctx.failures.extend(block.get("failures", []))


def step_report(ctx: Context) -> None:
    """Latency against the budget, resources against the part, then report.json/md, plots and manifest."""
    from trigger.report import write_all

    write_all(ctx)


Stage = tuple[str, Callable[[Context], None]]
STAGES: list[Stage] = [
    ("load", step_load),
    ("hls", step_hls),
    ("emulate", step_emulate),
    ("rtl", step_rtl),
    ("cosim", step_cosim),
    ("synth", step_synth),
    ("report", step_report),
]


def stage_names() -> list[str]:
    return [name for name, _ in STAGES]


def run(opts: CompileOptions, workdir: Path) -> Context:
    """Run the stage list into `workdir`; check failures are collected, bad input raises."""
    names = stage_names()
    if opts.stop_after:
        names = names[: names.index(opts.stop_after) + 1]
        if "report" not in names:
            names.append("report")
    ctx = Context(opts, workdir, StageClock(names))
    for name, fn in STAGES:
        if name in names:
            with ctx.clock.stage(name):
                try:
                    fn(ctx)
                except InputError as exc:  # the project (and its logs) will be removed: quote g++/the C sim
                    tail = log_tail(ctx.log(name)) if name in QUOTED_LOGS else ""
                    if tail:
                        raise InputError(f"{exc}\nLast lines of the {name} log:\n{tail}") from exc
                    raise
    return ctx


QUOTED_LOGS = ("emulate",)  # stages whose log holds native output (g++, the C simulation) worth quoting


def log_tail(path: Path, n: int = 12) -> str:
    """The lines of a stage log worth quoting (those naming an error, else the last ones), indented."""
    if not path.is_file():
        return ""
    lines = [line.rstrip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower() or "assert" in line.lower()]
    return "\n".join(f"  {line[:300]}" for line in (errors or lines)[-n:])


def raise_on_failures(ctx: Context) -> None:
    """Exit code 3 for failed checks (after the project has been written)."""
    if ctx.failures:
        raise CheckFailed("; ".join(ctx.failures))
