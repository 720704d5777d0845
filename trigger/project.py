"""Project directory handling: build in a hidden sibling, move into place only at the end."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trigger.errors import InputError

KEPT = ("vectors/golden.npz", "vectors/golden.json")  # the user's golden vectors survive a --force recompile


def check_target(final: Path, force: bool) -> None:
    """Refuse a non-empty output directory unless forced (before any work is done)."""
    if final.exists() and not final.is_dir():
        raise InputError(f"{final}: exists and is not a directory.")
    if final.is_dir() and any(final.iterdir()) and not force:
        raise InputError(f"{final}: output directory exists and is not empty; pass --force to replace it.")


@contextmanager
def staged(final: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary directory beside `final`; on success it replaces `final`, on error it vanishes."""
    final = final.resolve()
    check_target(final, force)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _relocate_text(tmp, final)
    if final.exists():
        _carry_over(final, tmp)
        shutil.rmtree(final)
    tmp.rename(final)


def _relocate_text(tmp: Path, final: Path) -> None:
    """Rewrite absolute paths of the staging directory in the few text files that record them."""
    for name in ("hls/hls4ml_config.yml", "cosim/config.json", "cosim/results.xml"):
        f = tmp / name
        if f.exists():
            f.write_text(f.read_text().replace(str(tmp), str(final)))


def _carry_over(final: Path, tmp: Path) -> None:
    """Copy the files in KEPT from the project being replaced into the new one."""
    for name in KEPT:
        old, new = final / name, tmp / name
        if old.is_file() and not new.exists():
            new.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(old, new)
