"""y = Q_acc(b) + sum_j Q_acc(x_j * W_jk) on alkaid variables: the arithmetic of nnet::dense_latency, shared
by every layer hls4ml builds from it (Dense, Dense on the last axis, Conv1D/Conv2D on patches, ...).

When accum_t holds every product, the bias and every partial sum exactly (checked with alkaid's rigorous
intervals of the actual inputs) the Q_acc are identities and alkaid's CMVM builds the whole product with
shared adders; otherwise each product is converted on its own (WRAP accumulators; saturating ones only
if they cannot saturate, since then the result would depend on hls4ml's addition order).
"""

from __future__ import annotations

import numpy as np
from alkaid.trace import FVariable, FVArray

from trigger.fixed import hls_quantize_np, int_bounds, precision_spec
from trigger.rtl.apfixed import quantize_var
from trigger.rtl.registry import TraceContext, Unsupported, fv_array
from trigger.rtl.weights import const_f

CONST_F_MAX = 52  # a float64 holds a constant with at most 52 fractional bits below a 1


def check_product(layer) -> None:
    """Only nnet::product::mult (a plain multiplication) is rebuilt."""
    cfg = layer.get_attr("config_cpp") or ""
    if "product::mult<" not in cfg and "product" in cfg:
        raise Unsupported(layer.name, layer.class_name, "only nnet::product::mult products are supported")


def check_constants(layer, **arrays: np.ndarray) -> None:
    """A constant multiplier must be exact in float64 (alkaid's constants are floats)."""
    for what, values in arrays.items():
        flat = np.asarray(values, dtype=np.float64).ravel()
        need = max((const_f(float(v)) for v in flat), default=0)
        if need > CONST_F_MAX:
            raise Unsupported(
                layer.name, layer.class_name, f"{what} values need {need} fractional bits; at most {CONST_F_MAX}"
            )


def _ranges(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per input column (last axis) the lowest low, highest high and finest grid over all rows."""
    flat = np.asarray(x).reshape(-1, x.shape[-1])
    lo = np.array([[float(v.low) for v in row] for row in flat]).min(0)
    hi = np.array([[float(v.high) for v in row] for row in flat]).max(0)
    f = np.array([[v.kif[2] if v.low != v.high else const_f(float(v.low)) for v in row] for row in flat]).max(0)
    return lo, hi, f


def accumulator_problems(layer, x: FVArray, W: np.ndarray, b: np.ndarray) -> tuple[list[str], dict]:
    """Why accum_t would not hold every product, the bias and every partial sum exactly (any order).

    `x` has the inputs on its last axis (any leading rows).  Returns the problems (empty when the
    accumulation is exact) and a record for the report.
    """
    acc = precision_spec(layer.get_attr("accum_t").precision)
    lo_t, hi_t = (np.array(int_bounds(acc), dtype=np.float64) * 2.0 ** -acc["f"]).tolist()
    xlo, xhi, xf = _ranges(x)
    pmin = np.minimum(xlo[:, None] * W, xhi[:, None] * W)  # (n_in, n_out)
    pmax = np.maximum(xlo[:, None] * W, xhi[:, None] * W)
    lo = np.minimum(b, 0) + np.minimum(pmin, 0).sum(0)  # lowest any subset sum (+bias) can go
    hi = np.maximum(b, 0) + np.maximum(pmax, 0).sum(0)
    wf = np.vectorize(const_f)(W) if W.size else np.zeros_like(W, dtype=int)
    prod_f = np.where(W != 0, xf[:, None] + wf, 0)
    need_f = max(int(prod_f.max(initial=0)), max((const_f(float(v)) for v in b), default=0))
    problems = []
    if need_f > acc["f"]:
        problems.append(f"products/bias need {need_f} fractional bits, accum_t has {acc['f']}")
    if lo.min(initial=0) < lo_t or hi.max(initial=0) > hi_t:
        problems.append(f"partial sums span [{lo.min()}, {hi.max()}], accum_t holds [{lo_t}, {hi_t}]")
    record = dict(
        accum=str(layer.get_attr("accum_t").precision),
        need_f=need_f,
        span=(float(lo.min(initial=0)), float(hi.max(initial=0))),
    )
    return problems, record


def _tree_sum(terms: list):
    """Balanced sum (shallow adder tree) of alkaid variables."""
    while len(terms) > 1:
        terms = [terms[k] + terms[k + 1] if k + 1 < len(terms) else terms[k] for k in range(0, len(terms), 2)]
    return terms[0]


def _row_per_product(layer, xs: list[FVariable], W: np.ndarray, b: np.ndarray, acc: dict, hwconf) -> list:
    """One output row of nnet::dense_latency with every product and the bias converted to accum_t."""
    lo_t, hi_t = (np.array(int_bounds(acc), dtype=np.float64) * 2.0 ** -acc["f"]).tolist()
    outs = []
    for j in range(W.shape[1]):
        terms = [quantize_var(xs[i] * float(W[i, j]), acc) for i in range(W.shape[0]) if W[i, j] != 0]
        terms = [t for t in terms if not (t.low == t.high == 0)]
        bias = float(hls_quantize_np(b[j], acc))
        if acc["sat"] != "WRAP":
            lo = bias + sum(min(float(t.low), 0.0) for t in terms)
            hi = bias + sum(max(float(t.high), 0.0) for t in terms)
            if lo < lo_t or hi > hi_t:
                raise Unsupported(
                    layer.name,
                    layer.class_name,
                    f"accumulator {layer.get_attr('accum_t').precision} saturates inside the sum "
                    f"(partial sums span [{lo}, {hi}]); the result depends on hls4ml's addition order",
                )
        if not terms:
            outs.append(FVariable.from_const(bias, hwconf=hwconf))
            continue
        total = _tree_sum(terms) + bias
        outs.append(quantize_var(total, acc) if acc["sat"] == "WRAP" else total)
    return outs


def affine(layer, x: FVArray, W: np.ndarray, b: np.ndarray, ctx: TraceContext) -> FVArray:
    """x @ W + b over the last axis of `x` (shape (..., n_in) -> (..., n_out)), in accum_t as hls4ml does.

    The result is not yet converted to the layer's result type.  The layer's record (mode, accumulator
    span) goes to `ctx.checks`.
    """
    check_product(layer)
    n_in, n_out = W.shape
    if x.shape[-1] != n_in:
        raise Unsupported(layer.name, layer.class_name, f"input shape {x.shape} for a {n_in}x{n_out} matrix")
    if not np.array_equal(W.astype(np.float32), W):
        raise Unsupported(layer.name, layer.class_name, "weights not exactly representable in float32 (CMVM)")
    problems, record = accumulator_problems(layer, x, W, b)
    lead = x.shape[:-1]
    rows = np.asarray(x).reshape(-1, n_in)
    if problems:
        check_constants(layer, weights=W)
        acc = precision_spec(layer.get_attr("accum_t").precision)
        out = np.array([_row_per_product(layer, list(r), W, b, acc, x.hwconf) for r in rows], dtype=object)
        y = fv_array(out.reshape(*lead, n_out), x)
        record.update(mode="per-product accum_t conversion", not_exact_because=problems)
    else:
        rows_fv = fv_array(rows, x)
        y = (rows_fv @ W + b).reshape(*lead, n_out)  # alkaid CMVM (exact, full-width adders)
        record.update(mode="exact accumulation (CMVM)")
    ctx.checks[layer.name] = record
    return y
