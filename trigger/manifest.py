"""manifest.json: tool versions, input file hash and the full configuration of a compile."""

from __future__ import annotations

import platform
from importlib import metadata

TOOLS = ("trigger", "hls4ml", "qkeras", "tensorflow-cpu", "qonnx", "onnx", "onnxruntime", "numpy", "alkaid", "cocotb")


def tool_versions() -> dict[str, str | None]:
    """Installed versions of the tools that shape the result (None where absent)."""
    versions: dict[str, str | None] = {}
    for name in TOOLS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    versions["python"] = platform.python_version()
    return versions


def build_manifest(source, options: dict, hls_config: dict, timings: dict) -> dict:
    """Everything needed to reproduce the compile."""
    return {
        "tools": tool_versions(),
        "model": {
            "file": source.path.name,
            "path": str(source.path.resolve()),
            "files": [f.name for f in source.files],
            "sha256": source.sha256,
        },
        "options": options,
        "hls4ml_config": hls_config,
        "timings_s": timings,
    }
