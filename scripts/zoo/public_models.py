"""Copy openly licensed public QONNX models into the test zoo, with provenance, licence and inputs.

Copies the Brevitas/FINN "TFC" MNIST models (BSD-3-Clause, Xilinx) from a local git clone or mirror of
github.com/fastmachinelearning/QONNX_model_zoo into ``<out>/public_tfc_<wXaY>/`` as ``model.onnx`` beside the
directory's ``LICENSE.txt``, an ``inputs.npy`` and a ``meta.json``.  Models without an open licence are not copied
(hls4ml's example-models has no licence at all; QONNX_model_zoo's JetTagging and UNSW_NB15 models state none).

Environment: the project venv (onnx, qonnx) and git::

    .venv/bin/python scripts/zoo/public_models.py --qonnx-zoo-git /path/to/QONNX_model_zoo/.git \\
        --out tests/zoo/models

The inputs are deterministic: 64 images (256 would exceed the zoo's 300 KB per file) of MNIST's shape
(1, 28, 28) whose pixels are uniform multiples of 1/255 in [0, 1] (MNIST's range; noise, not digits -- the real
data set is not shipped).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

REPO = "fastmachinelearning/QONNX_model_zoo"
TFC_DIR = "models/MNIST/Brevitas_FINN_TFC"
TFC = {
    "public_tfc_2w2a": ("TFC_2W2A.onnx", "2-bit weights, 2-bit activations, 2-bit input (Quant)"),
    "public_tfc_1w1a": ("TFC_1W1A.onnx", "binary weights and activations (BipolarQuant), 1-bit input"),
    "public_tfc_1w2a": ("TFC_1W2A.onnx", "binary weights (BipolarQuant), 2-bit activations (Quant)"),
}
SEED = 4321
N_INPUTS = 64  # 256 MNIST-sized vectors would be 803 KB; the zoo keeps every file under 300 KB
MAX_FILE_BYTES = 300 * 1024


def git(git_dir: Path, *args: str) -> bytes:
    """Run a git command against a bare or normal git directory and return its stdout."""
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True).stdout


def onnx_ops(path: Path) -> list[str]:
    """Sorted op types (domain-prefixed outside the default domain)."""
    import onnx

    model = onnx.load(str(path))
    return sorted({f"{n.domain}:{n.op_type}" if n.domain else n.op_type for n in model.graph.node})


def mnist_like(n: int, seed: int) -> np.ndarray:
    """(n, 1, 28, 28) float32 pixels, uniform multiples of 1/255 in [0, 1]."""
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, size=(n, 1, 28, 28)) / 255.0).astype(np.float32)


def copy_tfc(git_dir: Path, out: Path, commit: str) -> None:
    """Copy the TFC models, their licence, inputs and meta.json."""
    from importlib import metadata

    licence = git(git_dir, "show", f"{commit}:{TFC_DIR}/LICENSE.txt")
    for name, (fname, what) in TFC.items():
        src = f"{TFC_DIR}/TFC/{fname}"
        data = git(git_dir, "show", f"{commit}:{src}")
        if len(data) > MAX_FILE_BYTES:
            raise RuntimeError(f"{src} is {len(data)} bytes (limit {MAX_FILE_BYTES})")
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.onnx").write_bytes(data)
        (folder / "LICENSE.txt").write_bytes(licence)
        np.save(folder / "inputs.npy", mnist_like(N_INPUTS, SEED))
        too_big = [f.name for f in folder.iterdir() if f.stat().st_size > MAX_FILE_BYTES]
        if too_big:
            raise RuntimeError(f"{folder}: {too_big} over {MAX_FILE_BYTES} bytes")
        last = git(git_dir, "log", "-1", "--format=%H", commit, "--", src).decode().strip()
        classes = ["qonnx-quant", "batchnorm-node", "static-batch-1", "reshape-from-shape", "weight-transpose"]
        if "1W" in fname:
            classes.append("bipolar-quant")
        meta = {
            "name": name,
            "exporter": "Brevitas (PyTorch 1.7 producer) QONNX export, as published in QONNX_model_zoo",
            "versions": {"producer": "pytorch 1.7", "onnx opset": "9", "copied with onnx": metadata.version("onnx")},
            "script": "scripts/zoo/public_models.py",
            "quantized": True,
            "description": f"Brevitas/FINN TFC MNIST MLP 784-64-64-64-10 with BatchNorm: {what}",
            "input_shape": [1, 28, 28],
            "ops": onnx_ops(folder / "model.onnx"),
            "classes": sorted(classes),
            "model_file": "model.onnx",
            "inputs": f"{N_INPUTS} MNIST-shaped images of uniform pixels k/255 (seed {SEED}); noise, not digits",
            "source": {
                "repository": f"https://github.com/{REPO}",
                "path": src,
                "commit": commit,
                "last_commit_touching_file": last,
                "sha256": hashlib.sha256(data).hexdigest(),
            },
            "licence": "BSD-3-Clause (Xilinx, Inc. et al.; LICENSE.txt beside the model, copied from "
            f"{TFC_DIR}/LICENSE.txt)",
            "used_by": "hls4ml test/pytest/test_qonnx.py (TFC_2W2A, downloaded at test time)",
        }
        (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
        print(f"{name}: {len(data)} bytes, ops {meta['ops']}")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and copy."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qonnx-zoo-git", type=Path, required=True, help="git dir of a QONNX_model_zoo clone")
    parser.add_argument("--commit", default="HEAD", help="commit to copy from (default HEAD)")
    parser.add_argument("--out", type=Path, required=True, help="zoo folder (e.g. tests/zoo/models)")
    args = parser.parse_args(argv)
    commit = git(args.qonnx_zoo_git, "rev-parse", args.commit).decode().strip()
    copy_tfc(args.qonnx_zoo_git, args.out, commit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
