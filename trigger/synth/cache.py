"""Synthesis results cached by the hash of what was synthesised (RTL sources, script, yosys version)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from trigger.cache_root import cache_dir


def synthesis_key(sources: list[Path], names: list[str], script: str, tool_version: str) -> str:
    """sha256 over the tool version, the script and every source (its name in the script and its bytes)."""
    h = hashlib.sha256()
    for part in (tool_version, script):
        h.update(part.encode())
        h.update(b"\0")
    for name, path in zip(names, sources, strict=True):
        h.update(name.encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _entry(key: str) -> Path:
    return cache_dir() / "synth" / f"{key}.json"


def load(key: str) -> dict | None:
    """The cached result for `key`, or None (a damaged entry counts as absent)."""
    path = _entry(key)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def store(key: str, result: dict) -> None:
    """Save a result atomically; a cache that cannot be written is not an error."""
    path = _entry(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(result, indent=2) + "\n")
        tmp.replace(path)
    except OSError:
        pass
