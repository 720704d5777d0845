"""Running yosys `synth_xilinx` on the project's RTL and reading its statistics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from trigger import __version__
from trigger.templates import render

SCRIPT = "synth.ys"
LOG = "yosys.log"
OUTPUTS = (LOG, "yosys.stderr", "stat.json", "ltp.txt")  # what one run writes into the synth directory
OPTIONS = "-flatten -noiopad -noclkbuf"  # one flat, out-of-context netlist: the network is a block in a bigger design
_PASS = re.compile(r"^(\d+(?:\.\d+)*)\. Executing (.+?)(?: pass)?(?: \(.*)?\.?$")
_ERROR = re.compile(r"^ERROR: (.*)$")
_PEAK = re.compile(r"MEM: ([0-9.]+) MB peak")
_LTP = re.compile(r"Longest topological path in \S+ \(length=(\d+)\)")


class YosysFailed(RuntimeError):
    """yosys exited with an error; the message holds its first ERROR line and the log's path."""


def yosys_version() -> str | None:
    """`yosys -V` output, or None when yosys is not on PATH."""
    exe = shutil.which("yosys")
    if exe is None:
        return None
    out = subprocess.run([exe, "-V"], capture_output=True, text=True, check=False)
    return out.stdout.strip() or None


def script_text(sources: list[str], top: str, family: str) -> str:
    """The yosys script (firmware_templates/yosys_synth.ys.j2); `sources` relative to the synth directory."""
    return render("yosys_synth.ys.j2", sources=sources, top=top, family=family, options=OPTIONS, version=__version__)


def _last_pass(log: Path) -> str | None:
    """The latest `N.M. Executing X pass` line of a running log, as `X (N.M)`."""
    try:
        with open(log, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 65536))
            lines = f.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        m = _PASS.match(line.strip())
        if m:
            return f"{m.group(2)} ({m.group(1)})"
    return None


def run(synth_dir: Path, on_progress: Callable[[str], None] | None = None) -> float:
    """Run `yosys -s synth.ys` in `synth_dir` (log in yosys.log); return the wall time in seconds."""
    log = synth_dir / LOG
    t0 = time.perf_counter()
    with open(synth_dir / "yosys.stderr", "w") as err:
        proc = subprocess.Popen(
            ["yosys", "-q", "-l", LOG, "-s", SCRIPT], cwd=synth_dir, stdout=subprocess.DEVNULL, stderr=err
        )
        current = "starting"
        try:
            while proc.poll() is None:
                time.sleep(1.0)
                if on_progress is not None:
                    current = _last_pass(log) or current
                    on_progress(f"yosys {time.perf_counter() - t0:4.0f} s: {current}")
        except BaseException:
            proc.kill()
            proc.wait()
            raise
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        text = log.read_text(errors="replace") if log.exists() else ""
        text += (synth_dir / "yosys.stderr").read_text(errors="replace")
        errors = [m.group(1) for m in map(_ERROR.match, text.splitlines()) if m]
        reason = errors[0] if errors else f"exit status {proc.returncode}"
        raise YosysFailed(f"yosys failed: {reason} (log: {log})")
    return seconds


def peak_memory_mb(synth_dir: Path) -> float | None:
    """yosys's own `MEM: ... MB peak` figure from the end of its log."""
    found = _PEAK.findall((synth_dir / LOG).read_text(errors="replace"))
    return float(found[-1]) if found else None


def cell_counts(synth_dir: Path, top: str) -> dict[str, int]:
    """Primitive counts of the flattened top module from `stat -json`."""
    stat = json.loads((synth_dir / "stat.json").read_text())
    modules = stat["modules"]
    module = modules.get(f"\\{top}") or modules.get(top)
    if module is None:
        raise YosysFailed(f"{synth_dir / 'stat.json'}: no module {top} (found {', '.join(modules)})")
    return {str(k): int(v) for k, v in module.get("num_cells_by_type", {}).items()}


def logic_depth(synth_dir: Path) -> int | None:
    """Cells on the longest path between registers or ports (`ltp` with the FD* flip-flops deselected)."""
    m = _LTP.search((synth_dir / "ltp.txt").read_text(errors="replace"))
    return int(m.group(1)) if m else None
