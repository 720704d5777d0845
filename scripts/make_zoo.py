"""Make the exporter corpus (tests/zoo/models/) with the real exporters, then write its manifest.

Run by hand, never by the tests (they read the shipped files).  The exporters are dev-only tools that the
test environment does not install, so each part runs under its own interpreter:

* `scripts/zoo/keras_models.py`  - the project venv (+ onnxmltools beside it on PYTHONPATH)
* `scripts/zoo/torch_models.py`  - a venv with torch 2.13 (CPU) and Brevitas 0.13.4 (its docstring says how)
* `scripts/zoo/two_input_models.py` - the same venv: models of two inputs (inputs.npz, one array per input)
* `scripts/zoo/public_models.py` - the project venv and a git copy of QONNX_model_zoo (BSD-3-Clause models)

    .venv/bin/python scripts/make_zoo.py [--torch-python /work/zoo-venv/bin/python]
        [--onnxmltools-path /work/zoo-pkgs] [--qonnx-zoo-git PATH] [--only keras torch public] [--manifest-only]

`tests/zoo/models/MANIFEST.json` lists every model with its exporter, versions, maker script and the
SHA-256 of each file, so a regenerated corpus can be compared with the shipped one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "zoo" / "models"


def _run(python: str, script: str, *args: str, env: dict | None = None) -> None:
    cmd = [python, str(ROOT / "scripts" / "zoo" / script), "--out", str(OUT), *args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def write_manifest() -> Path:
    """MANIFEST.json: one entry per model folder (meta.json's provenance + file hashes)."""
    entries = []
    for meta_path in sorted(OUT.glob("*/meta.json")):
        meta = json.loads(meta_path.read_text())
        files = {
            f.name: hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(meta_path.parent.iterdir())
            if f.is_file() and f.name != "meta.json"
        }
        keep = ("name", "exporter", "versions", "script", "quantized", "description", "input_shape")
        entries.append({**{k: meta.get(k) for k in keep}, "files": files})
    path = OUT / "MANIFEST.json"
    path.write_text(json.dumps({"models": entries}, indent=2) + "\n")
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--torch-python", default="/work/zoo-venv/bin/python", help="interpreter with torch + brevitas")
    p.add_argument("--onnxmltools-path", help="directory holding onnxmltools (pip install --no-deps --target)")
    p.add_argument("--qonnx-zoo-git", help="git directory of QONNX_model_zoo (for the public models)")
    p.add_argument("--only", nargs="*", choices=["keras", "torch", "public"], default=["keras", "torch", "public"])
    p.add_argument("--manifest-only", action="store_true", help="only rewrite MANIFEST.json")
    args = p.parse_args()
    if not args.manifest_only:
        if "keras" in args.only:
            env = dict(os.environ)
            if args.onnxmltools_path:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [args.onnxmltools_path, env.get("PYTHONPATH")]))
            _run(sys.executable, "keras_models.py", env=env)
        if "torch" in args.only:
            _run(args.torch_python, "torch_models.py")
            _run(args.torch_python, "two_input_models.py")
        if "public" in args.only:
            if not args.qonnx_zoo_git:
                raise SystemExit("make_zoo: --qonnx-zoo-git is needed for the public models (or --only keras torch)")
            _run(sys.executable, "public_models.py", "--qonnx-zoo-git", args.qonnx_zoo_git)
    print(f"wrote {write_manifest()}")


if __name__ == "__main__":
    main()
