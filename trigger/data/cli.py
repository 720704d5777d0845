"""`trigger-data jets|l1events --n N --out F`: generate a physics sample (optional extra `.[physics]`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trigger.cli_common import guarded, positive


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="trigger-data",
        description="Generate physics samples with Pythia 8 and fastjet (no download): seeded, in chunks run as "
        "Dask tasks (a local cluster or --scheduler; the result depends on --seed only), cached "
        "(TRIGGER_CACHE_DIR/data), with a progress bar.",
        epilog="exit codes: 0 written; 2 bad usage or the physics extra is missing.",
    )
    sub = p.add_subparsers(dest="kind", required=True)
    jets = sub.add_parser(
        "jets",
        help="jets around 1 TeV, five classes (q, g, W, Z, t), the 16 hls4ml jet features and 30 constituents",
    )
    jets.add_argument("--n", type=positive(int), required=True, help="number of jets, split evenly over the classes")
    jets.add_argument("--out", type=Path, required=True, help="output .npz (its recipe is written beside it as .json)")
    jets.add_argument("--seed", type=int, default=0)
    _cluster_arguments(jets)
    l1 = sub.add_parser(
        "l1events",
        help="Level-1-style events (MET, 4 e/gamma, 4 muons, 10 jets: 57 features): SM background mixture "
        "and BSM signals",
    )
    l1.add_argument("--n", type=positive(int), required=True, help="background events (W, QCD, Z, ttbar mixture)")
    l1.add_argument("--n-signal", type=positive(int), help="events of each BSM signal (default: n / 10)")
    l1.add_argument("--out", type=Path, required=True, help="output .npz (its recipe is written beside it as .json)")
    l1.add_argument("--seed", type=int, default=0)
    _cluster_arguments(l1)
    return p


def _cluster_arguments(p: argparse.ArgumentParser) -> None:
    """Where the chunks run: a local Dask cluster of --workers processes, or the cluster at --scheduler."""
    p.add_argument("--workers", type=positive(int), help="local Dask worker processes (default: all cores)")
    p.add_argument("--jobs", type=positive(int), dest="jobs", help="deprecated: the same as --workers")
    p.add_argument(
        "--scheduler", metavar="ADDR", help="run on the Dask cluster at this scheduler address (tcp://host:8786)"
    )


def _workers(args: argparse.Namespace) -> int | None:
    """--workers (or its deprecated alias --jobs); bad combinations are InputError before any work."""
    from trigger.errors import InputError

    if args.jobs is not None:
        if args.workers is not None:
            raise InputError("--jobs is a deprecated alias of --workers: give --workers only.")
        print("trigger-data: --jobs is deprecated; use --workers.", file=sys.stderr)
    workers = args.workers if args.workers is not None else args.jobs
    if args.scheduler and workers is not None:
        raise InputError("--workers applies to a local cluster only; the cluster at --scheduler has its own.")
    return workers


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)

    def body() -> int:
        from trigger.data import require_physics

        require_physics()
        from trigger.data import store
        from trigger.data.generate import generate_jets, generate_l1events
        from trigger.data.processes import CLASSES
        from trigger.errors import InputError
        from trigger.progress import bar

        if args.out.suffix != ".npz":
            raise InputError(f"{args.out}: the output must be an .npz file.")
        workers = _workers(args)
        where = dict(workers=workers, scheduler=args.scheduler)
        if args.kind == "jets":
            per_class = max(1, args.n // len(CLASSES))
            rec = store.recipe("jets", n_per_class=per_class, seed=args.seed)
            what = f"{per_class * len(CLASSES)} jets"

            def make():
                return generate_jets(per_class, args.seed, progress=bar(f"jets ({per_class} per class)"), **where)
        else:
            n_signal = args.n_signal or max(1, args.n // 10)
            rec = store.recipe("l1events", n_background=args.n, n_signal=n_signal, seed=args.seed)
            what = f"{args.n} background events, {n_signal} per signal"

            def make():
                return generate_l1events(args.n, n_signal, args.seed, progress=bar("l1events"), **where)

        path, hit = store.cached(rec, make)
        if hit:
            print(f"cached: {path}")
        store.copy(path, args.out)
        print(f"written: {args.out} ({what}) and {args.out.with_suffix('.json')}")
        return 0

    return guarded("trigger-data", body, "no sample was written.")


if __name__ == "__main__":
    sys.exit(main())
