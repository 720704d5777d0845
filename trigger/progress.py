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
    """Prints `[k/n] stage ... 1.2 s` lines and keeps the timings."""

    def __init__(self, names: list[str]):
        self.names = names
        self.seconds: dict[str, float] = {}
        self.start = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        k = self.names.index(name) + 1
        print(f"[{k}/{len(self.names)}] {name:<8} ...", end="", flush=True)
        t0 = time.perf_counter()
        try:
            yield
        except BaseException:
            print(" failed", flush=True)
            raise
        self.seconds[name] = round(time.perf_counter() - t0, 2)
        print(f" {self.seconds[name]:7.1f} s", flush=True)

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.start, 2)
