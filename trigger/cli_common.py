"""What every trigger command line shares: argument types that refuse bad numbers, and the guard that maps
every way a command can end to an exit code and one plain message (never a bare traceback)."""

from __future__ import annotations

import argparse
import math
import os
import sys
import traceback
from collections.abc import Callable

from trigger.errors import InputError, TriggerError


def _number(kind: type, ok: Callable[[float], bool], requirement: str) -> Callable[[str], int | float]:
    """Argument type: a number of `kind` (int or float) for which `ok` holds, else a usage error."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not {'an integer' if kind is int else 'a number'}") from None
        if not ok(value):  # comparisons with nan are false: nan never passes
            raise argparse.ArgumentTypeError(f"'{text}' must be {requirement}")
        return value

    return parse


def positive(kind: type) -> Callable[[str], int | float]:
    """Argument type: a finite number > 0 of `kind` (int or float)."""
    return _number(kind, lambda v: math.isfinite(v) and v > 0, "a finite number above 0")


non_negative_int = _number(int, lambda v: v >= 0, "0 or more")  # seeds
fraction = _number(float, lambda v: 0.0 <= v <= 1.0, "in [0, 1]")


def error(prog: str, exc: BaseException) -> None:
    """One line on stderr: `prog: error: message`."""
    print(f"{prog}: error: {exc}", file=sys.stderr)


def internal_error(prog: str, exc: BaseException, not_done: str) -> int:
    """Say plainly that this is a bug; the traceback only with TRIGGER_DEBUG set."""
    reason = f"internal error ({type(exc).__name__}: {exc}); {not_done}"
    error(prog, RuntimeError(f"{reason} Set TRIGGER_DEBUG=1 for the traceback."))
    if os.environ.get("TRIGGER_DEBUG"):
        traceback.print_exc()
    return 1


def guarded(prog: str, body: Callable[[], int], not_done: str) -> int:
    """Run a command body and map every way it can end to an exit code and one plain message.

    `not_done` says what was left untouched when the command stops early ("nothing was written.").
    """
    try:
        return body()
    except TriggerError as exc:
        error(prog, exc)
        return exc.exit_code
    except KeyboardInterrupt:
        error(prog, InputError(f"interrupted; {not_done}"))
        return 130
    except Exception as exc:  # an internal error: say so plainly, traceback only on request
        return internal_error(prog, exc, not_done)
