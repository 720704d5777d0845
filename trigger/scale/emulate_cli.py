"""`trigger-emulate DIR DATA --out OUT.npz`: argument parsing and exit codes only (the work: emulate.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from trigger.cli_common import guarded, positive


def parser() -> argparse.ArgumentParser:
    from trigger.scale.firmware import BACKENDS

    p = argparse.ArgumentParser(
        prog="trigger-emulate",
        description="Run a compiled project's bit-exact firmware model (the RTL stage's alkaid model, checked "
        "equal to the C simulation and co-simulated in the compile) over a large sample, in chunks on Dask.",
        epilog="exit codes: 0 written; 2 bad usage or input (not a project with RTL, DATA of the wrong shape or "
        "holding NaN/Inf, an unreachable --scheduler, OUT existing without --force); 3 the compiled model differs from "
        "alkaid's interpreter: nothing is written.",
    )
    p.add_argument("project", type=Path, help="trigger-compile project directory (its RTL stage passed)")
    p.add_argument("data", type=Path, help="inputs: .npy (N, ...), .npz (one array per input name), or Parquet")
    p.add_argument("--out", type=Path, required=True, help="output .npz (arrays raw, value, frac, meta, ...)")
    p.add_argument("--array", help="the .npz array to read (a one-input model; default: the input's name)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=positive(int), help="local cluster worker processes (default: one per core)")
    p.add_argument("--chunk", type=positive(int), default=100_000, help="events per task (default 100000)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="compiled: the RTL model translated to C, checked equal to alkaid's interpreter on the compile's "
        "vectors and on every chunk's first rows; interpreter: alkaid's interpreter; auto (default): compiled "
        "when it builds and passes, else the interpreter, saying why",
    )
    p.add_argument("--force", action="store_true", help="replace an existing OUT")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)

    def body() -> int:
        from trigger.progress import bar
        from trigger.scale.emulate import emulate

        meta = emulate(
            args.project,
            args.data,
            args.out,
            scheduler=args.scheduler,
            workers=args.workers,
            chunk=args.chunk,
            array=args.array,
            force=args.force,
            backend=args.backend,
            progress=bar("trigger-emulate chunks"),
        )
        inputs = meta["inputs"]
        fw = meta["firmware_model"]
        print(f"firmware model: {fw['backend']} ({fw['why']})")
        print(
            f"{meta['n_events']} events x {meta['lanes']} lanes ({meta['output_layer']}, {meta['output_type']}) in "
            f"{meta['seconds']:.1f} s on {meta['workers']} workers: {meta['events_per_second']:.0f} events/s; "
            f"inputs moved onto the grid: {inputs['moved_to_grid']}, saturated: {inputs['saturated']}"
        )
        print(f"written: {Path(args.out).resolve()}")
        return 0

    return guarded("trigger-emulate", body, "nothing was written.")


if __name__ == "__main__":
    sys.exit(main())
