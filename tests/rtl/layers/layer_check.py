"""Shared checks for the RTL layer handlers' tests: convert a small Keras/ONNX model with chosen types,
run hls4ml's C simulation once, and compare alkaid's emulation of each traced layer with it as raw integers.

    hm = converted(path, tmp, overrides={"conv": {"result": "ap_fixed<10,4,AP_RND_CONV,AP_SAT>"}})
    x = full_range_inputs(hm, 1000)
    infos = assert_rtl_equals_csim(hm, x, ["conv", "pool"])
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import numpy as np


def converted(
    model_file: Path,
    tmp: Path,
    precision: str = "ap_fixed<16,6>",
    overrides: dict | None = None,
    configure: Callable[[dict], None] | None = None,
):
    """The hls4ml model trigger builds for `model_file` (xcvu9p, io_parallel), with per-layer `Precision`
    entries of `overrides` ({layer: {"result": ..., "accum": ..., ...}}) applied to hls4ml's config, then
    `configure(config)` for anything else (top-level layer keys such as a table's `TableSize`)."""
    from trigger.frontends import load_model
    from trigger.hls import build_config, convert
    from trigger.options import CompileOptions
    from trigger.targets import resolve_part

    src = load_model(model_file)
    opts = CompileOptions(model=src.path, part=resolve_part("xcvu9p"), output_dir=tmp / "unused", precision=precision)
    config = build_config(src, opts)
    for name, types in (overrides or {}).items():
        config["LayerName"][name].setdefault("Precision", {}).update(types)
    if configure is not None:
        configure(config)
    return convert(src, config, opts, tmp / "hls")


def full_range_inputs(hm, n: int = 1000, seed: int = 5) -> np.ndarray:
    """`n` vectors of raw integers drawn over the whole range of the (first) input type."""
    from trigger.fixed import from_hls_precision

    var = hm.get_input_variables()[0]
    in_type = from_hls_precision(var.type.precision)
    rng = np.random.default_rng(seed)
    lo, hi = (-(2 ** (in_type.width - 1)), 2 ** (in_type.width - 1)) if in_type.signed else (0, 2**in_type.width)
    raw = rng.integers(lo, hi, (n, *tuple(int(s) for s in var.shape)))
    return np.ascontiguousarray(in_type.from_raw(raw))


def raw_of(hm, layer: str, values, n: int) -> np.ndarray:
    """Raw integers of `layer`'s result type (all values must lie on its grid)."""
    from trigger.fixed import from_hls_precision

    ftype = from_hls_precision(hm.graph[layer].get_output_variable().type.precision)
    raw, on_grid = ftype.to_raw(np.asarray(values, dtype=np.float64).reshape(n, -1))
    assert on_grid.all(), f"{layer}: values off the grid of {ftype}"
    return raw


def assert_rtl_equals_csim(hm, x: np.ndarray, layers: list[str], trace: dict | None = None) -> dict:
    """For each layer: trace the hls4ml graph up to it and assert alkaid's emulation equals the C
    simulation's raw integers on every vector.  Returns {layer: trace info}."""
    from trigger.rtl.translate import trace_hls_model

    if trace is None:
        _, trace = hm.trace(x)
    n = len(x)
    infos = {}
    for layer in layers:
        comb, info = trace_hls_model(hm, layer)
        expected = raw_of(hm, layer, trace[layer], n)
        got = raw_of(hm, layer, comb.predict(x.reshape(n, -1)), n)
        np.testing.assert_array_equal(got, expected, err_msg=f"layer {layer}")
        infos[layer] = info
    return infos


def c_simulated(
    model_file: Path,
    tmp: Path,
    precision: str,
    overrides: dict | None,
    n: int,
    seed: int = 5,
    configure: Callable[[dict], None] | None = None,
):
    """(hls model, `n` full-range input vectors, the C simulation's trace of them): one C-sim compile."""
    hm = converted(model_file, tmp, precision, overrides, configure)
    x = full_range_inputs(hm, n, seed)
    _, trace = hm.trace(x)
    return hm, x, trace


def modes_of(text: str) -> tuple[str, str]:
    """(rounding, overflow) of an ap_fixed type string (TRN, WRAP when not given)."""
    m = re.search(r",AP_(\w+),AP_(\w+)>", text)
    return (m.group(1), m.group(2)) if m else ("TRN", "WRAP")


def cosim_project(model_file: Path, tmp: Path, n_vectors: int, **options):
    """trigger.compile of `model_file` into tmp/prj with the RTL co-simulated (no synthesis)."""
    import trigger

    return trigger.compile(
        model_file,
        target="xcvu9p",
        out=tmp / "prj",
        force=True,
        n_vectors=n_vectors,
        cosim=True,
        synth=False,
        **options,
    )
