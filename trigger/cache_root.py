"""Where trigger keeps its caches (synthesis results, generated data sets)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`$TRIGGER_CACHE_DIR`, else `$XDG_CACHE_HOME/trigger`, else `~/.cache/trigger`."""
    if os.environ.get("TRIGGER_CACHE_DIR"):
        return Path(os.environ["TRIGGER_CACHE_DIR"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "trigger"
