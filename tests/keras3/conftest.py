"""Keras-3 environment fixtures: the test models built once per worker, and each compiled once."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
for helper_dir in (HERE, HERE.parent / "rtl" / "layers"):  # models3.py, layer_check.py
    if str(helper_dir) not in sys.path:
        sys.path.insert(0, str(helper_dir))


@pytest.fixture(scope="session")
def models3(tmp_path_factory) -> dict[str, Path]:
    """The four Keras 3 test models, built and saved as .keras files by the test session itself."""
    import models3 as m

    d = tmp_path_factory.mktemp("keras3_models")
    return {f.__name__: f(d) for f in (m.hgq_dense, m.hgq_deepsets, m.qkeras3_mlp, m.float3_mlp)}


@pytest.fixture(scope="session")
def compiled3(tmp_path_factory, models3):
    """`compiled3(name)` -> (exit code, project directory): trigger-compile (RTL, Verilator co-simulation,
    1000 vectors, no synthesis), once per model per worker."""
    from trigger.cli import compile_main

    done: dict[str, tuple[int, Path]] = {}

    def get(name: str) -> tuple[int, Path]:
        if name not in done:
            out = tmp_path_factory.mktemp(name) / "prj"
            args = [str(models3[name]), "--target", "xcvu9p", "-o", str(out), "--n-vectors", "1000", "--no-synth"]
            done[name] = (compile_main(args), out)
        return done[name]

    return get
