"""`trigger-rate DIR --background BG.npz --signal NAME=FILE.npz --rate-hz R`: thresholds for allowed trigger rates
and the signal efficiencies they keep, from `trigger-emulate`'s firmware scores (argument parsing and the
order of the work; the files read are `trigger.scale.score_files`, the arithmetic `trigger.scale.rate`, the outputs
`trigger.scale.rate_report`)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from trigger.cli_common import guarded, non_negative_int, positive
from trigger.errors import InputError
from trigger.scale.score_files import (
    _progress,
    check_consistent,
    check_project_type,
    read_header,
    read_lane,
    read_project,
    recount,
)

PROG = "trigger-rate"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


def _confidence(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0.0 < value < 1.0:  # nan fails too
        raise argparse.ArgumentTypeError(f"'{text}' must be strictly between 0 and 1")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        description="Trigger thresholds for allowed rates and the signal efficiencies they keep, from the "
        "firmware's raw integer scores (trigger-emulate's OUT.npz): rate.json, rate.md, rate.png, curve.npz.",
        epilog="exit codes: 0 written; 2 bad usage or input (nothing written); 3 a threshold failed its recount "
        "(nothing written). docs/rate.md says what the numbers mean.",
    )
    p.add_argument("project", type=Path, metavar="DIR", help="the trigger-compile project the scores came from")
    p.add_argument("--background", type=Path, required=True, metavar="BG.npz", help="background scores")
    p.add_argument("--signal", action="append", default=[], metavar="NAME=FILE.npz", help="signal scores (repeatable)")
    p.add_argument(
        "--rate-hz", type=positive(float), action="append", required=True, help="allowed rate in Hz (repeatable)"
    )
    p.add_argument(
        "--collision-hz", type=positive(float), default=40e6, help="collision (bunch-crossing) rate, default 40e6"
    )
    p.add_argument("--output-lane", type=non_negative_int, default=0, metavar="K", help="lane of raw scored (0)")
    p.add_argument("--cl", type=_confidence, default=0.6827, help="confidence level of the intervals (0.6827)")
    p.add_argument("-o", "--output", type=Path, metavar="OUTDIR", help="output directory (default DIR/rate)")
    p.add_argument("--force", action="store_true", help="replace an existing OUTDIR")
    return p


# --- inputs ------------------------------------------------------------------------------------------------------


def parse_signals(specs: list[str]) -> list[tuple[str, Path]]:
    """NAME=FILE pairs of --signal, names unique."""
    out: list[tuple[str, Path]] = []
    for spec in specs:
        name, eq, file = spec.partition("=")
        if not eq or not NAME_RE.match(name) or not file:
            raise InputError(
                f"--signal '{spec}': expected NAME=FILE.npz with NAME of letters, digits and _ . + - "
                "(starting with a letter or digit)"
            )
        if name in (n for n, _ in out):
            raise InputError(f"--signal '{spec}': the name {name} is given twice")
        out.append((name, Path(file)))
    return out


def check_rates(rates: list[float], collision_hz: float) -> list[float]:
    """The requested rates, sorted and distinct, each below the collision rate."""
    for rate in rates:
        if rate >= collision_hz:
            raise InputError(f"--rate-hz {rate:g}: must be below the collision rate (--collision-hz {collision_hz:g})")
    return sorted(set(rates))


def check_output(out: Path, force: bool, reads: tuple[Path, ...]) -> None:
    """OUTDIR may be replaced only with --force, and never when it holds the project or an input."""
    for path in reads:
        if out == path.resolve() or out in path.resolve().parents:
            raise InputError(f"-o {out}: it holds {path}, which trigger-rate reads; choose another output directory")
    if out.exists() and not force:
        raise InputError(f"{out}: output directory exists; pass --force to replace it")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"-o {out}: {parent} is a file, not a directory")
            break


# --- the command --------------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    """Read, compute, recount, write; the body of `main`."""
    from trigger.project import staged
    from trigger.scale import rate, rate_report

    project = read_project(args.project)
    signals = parse_signals(args.signal)
    rates = check_rates(args.rate_hz, args.collision_hz)
    out = (args.output or args.project / "rate").resolve()
    reads = (args.project, args.background, *(p for _, p in signals))
    check_output(out, args.force, reads)

    files = [read_header("background", args.background), *(read_header(n, p) for n, p in signals)]
    check_consistent(files, args.output_lane)
    type_check = check_project_type(project, files[0])
    for sf in files:
        sf.lane = read_lane(sf, args.output_lane, _progress(sf))

    background = rate.scores_of(files[0].lane)
    sig_scores = {sf.label: rate.scores_of(sf.lane) for sf in files[1:]}
    points = [rate.rate_point(background, sig_scores, r, args.collision_hz, args.cl) for r in rates]
    recount(files, points)

    curve = rate.curve(background, sig_scores)
    first = files[0]
    doc = rate_report.document(
        project=project,
        type_check=type_check,
        scores={
            "output_layer": first.output_layer,
            "output_type": first.output_type,
            "frac": first.frac,
            "lane": args.output_lane,
            "lanes": first.lanes,
        },
        inputs={
            "background": {"file": str(first.path.resolve()), "events": first.n, "meta": first.meta},
            "signals": {
                sf.label: {"file": str(sf.path.resolve()), "events": sf.n, "meta": sf.meta} for sf in files[1:]
            },
        },
        background=background,
        points=points,
        collision_hz=args.collision_hz,
        cl=args.cl,
        curve_points=len(curve.thresholds),
    )
    for warning in doc["warnings"]:
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    with staged(out, args.force, reads) as tmp:
        rate_report.write_all(tmp, doc, curve)
    print(rate_report.summary(doc))
    print(f"written: {out}/ (rate.json, rate.md, rate.png, curve.npz)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of trigger-rate; returns the exit code."""
    args = parser().parse_args(argv)
    return guarded(PROG, lambda: run(args), "nothing was written.")


if __name__ == "__main__":
    sys.exit(main())
