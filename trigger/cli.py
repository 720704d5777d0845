"""Command line: `trigger-compile`. Argument parsing and exit codes only."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from trigger.cli_common import fraction, guarded, non_negative_int, positive
from trigger.errors import CheckFailed, InputError
from trigger.options import IO_TYPES, SIMULATORS, STAGES, STRATEGIES
from trigger.targets import resolve_part

EXIT_HELP = """exit codes: 0 all checks pass; 2 bad usage or bad input; 3 a check failed
(emulation, RTL or co-simulation mismatch, agreement below --min-agreement,
latency over the budget without --allow-over-budget, design larger than the part)."""


def compile_parser() -> argparse.ArgumentParser:
    """Arguments of trigger-compile (docs/exit-codes.md; the options are trigger.CompileOptions')."""
    p = argparse.ArgumentParser(
        prog="trigger-compile",
        description="Compile a QKeras/Keras or (Q)ONNX model into a Vitis HLS project, "
        "with a bit-accurate emulation check.",
        epilog=EXIT_HELP,
    )
    p.add_argument("model", type=Path, help="model file: .onnx (QONNX or float), .h5/.keras, or Keras .json")
    p.add_argument("--target", required=True, help="FPGA part: short name (xcvu9p, ...) or full part string")
    p.add_argument("-o", "--output", type=Path, help="project directory (default vivado_projects/<model stem>)")
    p.add_argument("--weights", type=Path, help="weights .h5 for a Keras .json (default <stem>_weights.h5)")
    p.add_argument("--clock-ns", type=positive(float), default=5.0, help="clock period in ns (default 5)")
    p.add_argument(
        "--inputs",
        type=Path,
        help="input vectors: .npy of shape (N, ...), or .npz of one array per input name (default: generated)",
    )
    p.add_argument("--n-vectors", type=positive(int), default=2000, help="number of generated vectors (default 2000)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed for generated vectors")
    p.add_argument(
        "--precision",
        default="ap_fixed<16,6>",
        help="default fixed-point type (inputs; all of a float model quantized after training)",
    )
    p.add_argument("--reuse-factor", type=positive(int), default=1)
    p.add_argument("--strategy", choices=STRATEGIES, default="Latency")
    p.add_argument("--io-type", choices=IO_TYPES, default="io_parallel")
    p.add_argument("--latency-budget-ns", type=positive(float), help="L1 latency budget (default: the target's)")
    p.add_argument(
        "--allow-over-budget", action="store_true", help="report a latency over the budget without exit code 3"
    )
    p.add_argument(
        "--min-agreement",
        type=fraction,
        help="for approximate emulation: exit 3 if argmax agreement falls below this fraction",
    )
    p.add_argument("--no-rtl", action="store_true", help="skip the open RTL stage (and co-simulation)")
    p.add_argument(
        "--rtl-levels-per-stage",
        type=positive(int),
        help="adder levels per pipeline stage (default: chosen from --clock-ns and the part's family)",
    )
    p.add_argument("--no-cosim", action="store_true", help="skip co-simulation")
    p.add_argument("--simulator", choices=SIMULATORS, default="verilator", help="co-simulation simulator")
    p.add_argument("--no-synth", action="store_true", help="skip yosys synthesis (resources: alkaid's estimate)")
    p.add_argument("--stop-after", choices=STAGES, help="stop after this stage (the report is still written)")
    p.add_argument(
        "--allow-approximate",
        action="store_true",
        help="accept an approximate comparison of a quantized model where trigger cannot tap the exact tensor",
    )
    p.add_argument("--force", action="store_true", help="replace an existing non-empty project directory")
    return p


def _options(args: argparse.Namespace) -> dict:
    """trigger.compile's keyword options from the parsed command line."""
    return {
        "weights": args.weights,
        "clock_ns": args.clock_ns,
        "inputs": args.inputs,
        "n_vectors": args.n_vectors,
        "seed": args.seed,
        "precision": args.precision,
        "reuse_factor": args.reuse_factor,
        "strategy": args.strategy,
        "io_type": args.io_type,
        "latency_budget_ns": args.latency_budget_ns,
        "allow_over_budget": args.allow_over_budget,
        "allow_approximate": args.allow_approximate,
        "min_agreement": args.min_agreement,
        "rtl": not args.no_rtl,
        "rtl_levels_per_stage": args.rtl_levels_per_stage,
        "cosim": not args.no_cosim,
        "simulator": args.simulator,
        "synth": not args.no_synth,
        "stop_after": args.stop_after,
    }


def _summary(project) -> None:
    """Where the project, its report and golden vectors are, and how long each stage took."""
    from trigger.project import KEPT

    final = project.dir
    print(f"project: {final}")
    print(f"report:  {final / 'report.md'}  ({final / 'report.json'})")
    if (final / KEPT[0]).is_file():
        print(f"golden:  {final / KEPT[0]} (kept; `trigger-regress check {final}` compares)")
    timings = project.report.get("timings_s", {})
    print(f"time:    {sum(timings.values()):.1f} s total; " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))


def _in_its_environment(prog: str, doing: str, model: Path | None, entry: str, argv: list[str] | None) -> int | None:
    """When `model` was written by the Keras of the other environment (a Keras-3 file here, or back), run this
    same command there and return its exit code; None: run it here (trigger/environments.py)."""
    from trigger import environments

    other = environments.environment_for(model) if model is not None else None
    if other is None:
        return None
    major = environments.keras_major_of(model)
    print(f"{prog}: {model} was written by Keras {major}; {doing} it in that environment ({other})", flush=True)
    return environments.rerun(other, entry, sys.argv[1:] if argv is None else list(argv))


def compile_main(argv: list[str] | None = None) -> int:
    """Entry point of trigger-compile (a thin layer over `trigger.compile`); returns the exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = compile_parser().parse_args(argv)

    def body() -> int:
        from trigger.api import compile as compile_model

        routed = _in_its_environment("trigger-compile", "compiling", args.model, "compile_main", argv)
        if routed is not None:
            return routed
        out = args.output or Path("vivado_projects") / args.model.stem
        try:
            project = compile_model(args.model, args.target, out, force=args.force, **_options(args))
        except CheckFailed as exc:
            if exc.project is not None:
                _summary(exc.project)
            raise
        _summary(project)
        return 0

    return guarded("trigger-compile", body, "nothing was written.")


def _idle_fraction(text: str) -> float:
    value = fraction(text)
    if value >= 1.0:
        raise argparse.ArgumentTypeError(f"'{text}' must be below 1 (at 1 no vector would ever be sent)")
    return value


def cosim_parser() -> argparse.ArgumentParser:
    """Arguments of trigger-cosim."""
    p = argparse.ArgumentParser(
        prog="trigger-cosim",
        description="Re-run the cocotb co-simulation of an existing trigger-compile project's RTL "
        "(DIR/rtl) on its vectors (DIR/vectors); updates DIR/cosim, report.json and report.md.",
        epilog="exit codes: 0 pass; 2 bad usage or not a project with RTL; 3 co-simulation mismatch "
        "or latency over the project's budget (unless it was compiled with --allow-over-budget).",
    )
    p.add_argument("project", type=Path, help="project directory written by trigger-compile")
    p.add_argument("--simulator", choices=SIMULATORS, default="verilator")
    p.add_argument(
        "--idle-fraction",
        type=_idle_fraction,
        default=0.3,
        help="idle cycles in the second pass, in [0, 1) (default 0.3)",
    )
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the idle-cycle pattern")
    p.add_argument("--keep-build", action="store_true", help="keep the simulator build in DIR/cosim/sim_build")
    return p


def cosim_main(argv: list[str] | None = None) -> int:
    """Entry point of trigger-cosim; returns the exit code."""
    args = cosim_parser().parse_args(argv)

    def body() -> int:
        from trigger.cosim.run import run_cosim
        from trigger.report import update_cosim

        project = args.project.resolve()
        if not (project / "report.json").exists():
            raise InputError(f"{project}: no report.json; not a trigger-compile project.")
        print(f"[cosim] {args.simulator}: building and simulating {project / 'rtl'} ...", flush=True)
        block = run_cosim(project, args.simulator, args.idle_fraction, args.seed, args.keep_build)
        failures = update_cosim(project, block)
        if "error" not in block:
            print(
                f"[cosim] {block['transactions']} transactions, {block['mismatches']} mismatching vectors, "
                f"latency {block['latency_cycles']} cycles, II {block['ii_cycles']} "
                f"(build {block['build_seconds']} s, simulation {block['sim_seconds']} s)"
            )
        print(f"report:  {project / 'report.md'}")
        if failures:
            raise CheckFailed("; ".join(failures))
        return 0

    return guarded("trigger-cosim", body, "the project's report was not updated.")


def report_parser() -> argparse.ArgumentParser:
    """Arguments of trigger-report."""
    p = argparse.ArgumentParser(
        prog="trigger-report",
        description="Regenerate report.json, report.md and plots/ of trigger-compile projects, reading the "
        "Vitis reports in DIR/hls/ when a user has run Vitis. With several projects, print one comparison table.",
        epilog="exit codes: 0 every report passes; 2 bad usage or not a project; 3 a report's verdict fails.",
    )
    p.add_argument("projects", nargs="+", type=Path, help="project directories written by trigger-compile")
    p.add_argument("--synth", action="store_true", help="run yosys synthesis on DIR/rtl first (or reuse its cache)")
    p.add_argument("--table", type=Path, help="also write the comparison table to this Markdown file")
    return p


def _synth_project(project: Path) -> None:
    """trigger-report --synth: synthesise one project's RTL and fold the result into its report."""
    from trigger.progress import StageClock
    from trigger.report import load_report, update_block
    from trigger.synth import FAILURE_PREFIX, synth_stage

    report = load_report(project)
    part = resolve_part(report["target"]["part"])
    clock = StageClock(["synth"])
    with clock.stage("synth"):
        block = synth_stage(project, part.yosys_family, report["rtl"], clock.progress)
    if "skipped" in block:
        raise InputError(f"{project}: cannot synthesise: {block['skipped']}.")
    update_block(project, "synth", block, FAILURE_PREFIX)


def report_main(argv: list[str] | None = None) -> int:
    """Entry point of trigger-report; returns the exit code."""
    args = report_parser().parse_args(argv)

    def body() -> int:
        from trigger.report import regenerate
        from trigger.report.compare import comparison_table

        done = []
        for project in args.projects:
            project = project.resolve()
            if args.synth:
                _synth_project(project)
            done.append((project, regenerate(project)))
            print(f"report:  {project / 'report.md'}")
        names = [p.name if len({q.name for q, _ in done}) == len(done) else str(p) for p, _ in done]
        table = comparison_table([(n, r) for n, (_, r) in zip(names, done, strict=True)])
        if len(done) > 1 or args.table:
            print(table, end="")
        if args.table:
            args.table.write_text(table)
        failed = [f"{p}: " + "; ".join(r["verdict"]["failures"]) for p, r in done if not r["verdict"]["passed"]]
        if failed:
            raise CheckFailed(" | ".join(failed))
        return 0

    return guarded("trigger-report", body, "reports already rewritten stay as they are.")


def regress_parser() -> argparse.ArgumentParser:
    """Arguments of trigger-regress."""
    p = argparse.ArgumentParser(
        prog="trigger-regress",
        description="Golden vectors beside a trigger-compile project: record the emulation's raw fixed-point "
        "outputs, then check later (after a change of model, tool version or configuration) that a rebuilt "
        "emulation still gives them bit for bit.",
        epilog="exit codes: 0 recorded / bit-exact; 2 bad usage or input; 3 a difference (table printed).",
    )
    sub = p.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="store golden inputs and outputs in DIR/vectors/golden.{npz,json}")
    rec.add_argument("project", type=Path, help="project directory written by trigger-compile")
    rec.add_argument("--inputs", type=Path, help="input vectors .npy (default: the project's DIR/vectors/inputs.npy)")
    rec.add_argument("--model", type=Path, help="model file (default: the one the project was compiled from)")
    chk = sub.add_parser("check", help="rebuild the emulation on the golden inputs and compare exactly")
    chk.add_argument("project", type=Path, help="project directory holding vectors/golden.{npz,json}")
    chk.add_argument("--cosim", action="store_true", help="also rebuild and co-simulate the RTL")
    chk.add_argument("--simulator", choices=SIMULATORS, default="verilator")
    chk.add_argument("--model", type=Path, help="model file (default: the project's, else golden.json's)")
    return p


def regress_main(argv: list[str] | None = None) -> int:
    """Entry point of trigger-regress; returns the exit code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    args = regress_parser().parse_args(argv)

    def body() -> int:
        from trigger.regress.check import check, record
        from trigger.regress.rebuild import model_file

        try:  # the project's model (when it cannot be found, record/check say so themselves)
            model = model_file(args.project, args.model)
        except InputError:
            model = None
        routed = _in_its_environment("trigger-regress", f"{args.command}ing", model, "regress_main", argv)
        if routed is not None:
            return routed
        if args.command == "record":
            for path in record(args.project, args.inputs, args.model):
                print(f"golden:  {path}")
            return 0
        result = check(args.project, args.cosim, args.simulator, args.model)
        print(result.message())
        if not result.passed:
            raise CheckFailed(f"{result.project}: golden vectors differ ({'; '.join(result.failures)}).")
        return 0

    return guarded("trigger-regress", body, "no golden file was changed.")


if __name__ == "__main__":
    sys.exit(compile_main())
