"""Project directory handling: build in a hidden sibling, move into place only at the end."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trigger.errors import InputError

KEPT = ("vectors/golden.npz", "vectors/golden.json")  # the user's golden vectors survive a --force recompile


def check_target(final: Path, force: bool, reads: tuple[Path | None, ...] = ()) -> None:
    """Refuse an output path that is a file, or a non-empty directory unless forced (before any work);
    and, even forced, a directory holding a file this compile reads (`reads`: model, weights, inputs)."""
    for path in (p for p in reads if p is not None):
        if final == path.resolve() or final in path.resolve().parents:
            raise InputError(
                f"cannot write {final}: it holds {path}, which this compile reads; choose another output directory."
            )
    if final.exists() and not final.is_dir():
        raise InputError(f"cannot write {final} (it exists and is not a directory).")
    for parent in final.parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"cannot write {final} ({parent} is a file, not a directory).")
            break
    if final.is_dir() and any(final.iterdir()) and not force:
        raise InputError(f"{final}: output directory exists and is not empty; pass --force to replace it.")


def _make_parents(final: Path) -> list[Path]:
    """Create the missing parents of `final`; return those created, outermost first."""
    missing = [p for p in reversed(final.parents) if not p.exists()]
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_created(missing)
        raise InputError(f"cannot write {final} ({exc.strerror or exc}).") from exc
    return missing


def _remove_created(created: list[Path]) -> None:
    """Remove the directories a failed run created, innermost first, if they are still empty."""
    for d in reversed(created):
        try:
            d.rmdir()
        except OSError:
            return


@contextmanager
def staged(final: Path, force: bool, reads: tuple[Path | None, ...] = ()) -> Iterator[Path]:
    """Yield a temporary directory beside `final`; on success it replaces `final`, on error it vanishes
    together with any parent directory this run created (e.g. a default vivado_projects/)."""
    final = final.resolve()
    check_target(final, force, reads)
    created = _make_parents(final)
    tmp = final.parent / f".{final.name}.partial-{os.getpid()}"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
    except OSError as exc:
        _remove_created(created)
        raise InputError(f"cannot write {final} ({exc.strerror or exc}).") from exc
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_created(created)
        raise
    _relocate_text(tmp, final)
    if final.exists():
        _carry_over(final, tmp)
        shutil.rmtree(final)
    tmp.rename(final)


def _relocate_text(tmp: Path, final: Path) -> None:
    """Rewrite absolute paths of the staging directory in the few text files that record them."""
    for name in ("hls/hls4ml_config.yml", "cosim/config.json", "cosim/results.xml", "manifest.json"):
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
