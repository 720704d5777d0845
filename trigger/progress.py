"""Stage progress on the terminal; the tools' own chatter goes to the project's log files."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def captured(logfile: Path) -> Iterator[None]:
    """Redirect file descriptors 1 and 2 (Python, C++ and subprocesses alike) into `logfile`."""
    logfile.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(logfile, "a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


class StageClock:
    """Prints `[k/n] stage ... 1.2 s` lines, a long stage's progress in between, and keeps the timings."""

    PROGRESS_EVERY_S = 30.0  # without a terminal, a progress line this often

    def __init__(self, names: list[str]):
        self.names = names
        self.seconds: dict[str, float] = {}
        self.start = time.perf_counter()
        self._header = ""
        self._shown = False
        self._last = 0.0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        k = self.names.index(name) + 1
        self._header = f"[{k}/{len(self.names)}] {name:<8} ..."
        self._shown, self._last = False, time.perf_counter()
        print(self._header, end="", flush=True)
        t0 = time.perf_counter()
        try:
            yield
        except BaseException:
            self._reprint()
            print(" failed", flush=True)
            raise
        self.seconds[name] = round(time.perf_counter() - t0, 2)
        self._reprint()
        print(f" {self.seconds[name]:7.1f} s", flush=True)

    def progress(self, text: str) -> None:
        """Show what a long stage is doing: rewritten in place on a terminal, every 30 s in a log."""
        now = time.perf_counter()
        if sys.stdout.isatty():
            print(f"\r{self._header} {text}\033[K", end="", flush=True)
        elif now - self._last >= self.PROGRESS_EVERY_S:
            print(f"\n    {text}", end="", flush=True)
            self._last = now
        else:
            return
        self._shown = True

    def _reprint(self) -> None:
        """Put the stage's header back after progress output."""
        if self._shown:
            print(f"\r{self._header}\033[K" if sys.stdout.isatty() else f"\n{self._header}", end="")

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.start, 2)


def bar(label: str, stream=None):
    """A `progress(done, total)` callback drawing `label [####......] 3/10, 12 s, ~28 s left`.

    On a terminal the line is redrawn in place; in a log, a line is printed at every tenth.
    """
    out = stream or sys.stderr
    start = time.perf_counter()
    shown = {"tenth": -1}

    def progress(done: int, total: int) -> None:
        elapsed = time.perf_counter() - start
        left = elapsed / done * (total - done) if done else 0.0
        filled = int(20 * done / max(total, 1))
        text = f"{label} [{'#' * filled}{'.' * (20 - filled)}] {done}/{total}, {elapsed:.0f} s, ~{left:.0f} s left"
        if out.isatty():
            print(f"\r{text}\033[K", end="\n" if done == total else "", file=out, flush=True)
        elif done * 10 // max(total, 1) > shown["tenth"] or done == total:
            shown["tenth"] = done * 10 // max(total, 1)
            print(text, file=out, flush=True)

    return progress
