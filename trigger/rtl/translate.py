"""Rebuild the fixed-point arithmetic of an hls4ml ModelGraph with da4ml's numpy tracing API.

`trace_hls_model(hls_model, upto_layer)` walks the converted, precision-inferred hls4ml graph from
its Input layer to `upto_layer` and emits the same arithmetic as hls4ml's C++ (io_parallel):

* Input:      the input bus lanes carry raw `input_t` words.
* Dense:      y = Q_res(Q_acc(b) + sum_j Q_acc(x_j * W_jk)).  When accum_t holds every product, the
              bias and every partial sum exactly (checked with da4ml's intervals) the Q_acc vanish and
              da4ml's CMVM builds the product; otherwise each product is converted on its own (WRAP
              accumulators; saturating ones only if they cannot saturate).  Weights/biases take the
              path hls4ml's C simulation uses (text with `precision_fmt` -> double -> weight_t(double)).
* BatchNormalization (not folded into a Dense) and ApplyAlpha (a scale/bias after a MatMul, from
  ONNX): y = Q_res(x * scale + bias)   (nnet::normalize).
* Activation: relu -> Q_res(max(x, 0)), linear -> Q_res(x)   (nnet::relu / nnet::linear).

A layer outside this list raises `Unsupported` ("<layer> <type> not supported (<why>)").
"""

from __future__ import annotations

import time

import numpy as np
from da4ml.cmvm.types import CombLogic, _minimal_kif
from da4ml.trace import FixedVariable, FixedVariableArray, FixedVariableArrayInput, HWConfig, comb_trace

from trigger.fixed import hls_quantize_np, int_bounds, precision_spec
from trigger.rtl.apfixed import quantize_array, quantize_var


class Unsupported(NotImplementedError):
    """A layer the RTL translation cannot take; str() is "<layer> <type> not supported (<why>)"."""

    def __init__(self, layer: str, cls: str, why: str):
        self.layer, self.cls, self.why = layer, cls, why
        super().__init__(f"{layer} {cls} not supported ({why})")


def _fmt_roundtrip(values: np.ndarray, weight_var) -> np.ndarray:
    """Values as hls4ml's C simulation sees them: printed with precision_fmt, read as double."""
    fmt = getattr(weight_var, "precision_fmt", None)
    flat = np.asarray(values, dtype=np.float64).ravel()
    if fmt:
        flat = np.array([float(fmt.format(v)) for v in flat])
    return flat.reshape(np.shape(values))


def hls_weight_values(weight_var) -> np.ndarray:
    """Exact fixed-point values of an hls4ml WeightVariable as used by the C simulation."""
    return hls_quantize_np(_fmt_roundtrip(weight_var.data, weight_var), weight_var.type.precision)


def _const_f(v: float) -> int:
    """Fractional bits needed to hold the constant v exactly."""
    f = 0
    while v * 2.0**f != np.floor(v * 2.0**f):
        f += 1
        if f > 64:
            raise ValueError(f"{v} is not a dyadic fraction")
    return f


def accumulator_problems(layer, x: FixedVariableArray, W: np.ndarray, b: np.ndarray) -> tuple[list[str], dict]:
    """Why accum_t would not hold every product, the bias and every partial sum exactly (any order).

    Ranges use da4ml's (rigorous) intervals of the actual input variables.  Returns the problems
    (empty when the accumulation is exact) and a record for the report.
    """
    acc = precision_spec(layer.get_attr("accum_t").precision)
    lo_t, hi_t = (np.array(int_bounds(acc), dtype=np.float64) * 2.0 ** -acc["f"]).tolist()
    xs = x._vars.ravel()
    xlo = np.array([float(v.low) for v in xs])
    xhi = np.array([float(v.high) for v in xs])
    xf = np.array([v.kif[2] if v.low != v.high else _const_f(float(v.low)) for v in xs])
    pmin = np.minimum(xlo[:, None] * W, xhi[:, None] * W)  # (n_in, n_out)
    pmax = np.maximum(xlo[:, None] * W, xhi[:, None] * W)
    lo = np.minimum(b, 0) + np.minimum(pmin, 0).sum(0)  # lowest any subset sum (+bias) can go
    hi = np.maximum(b, 0) + np.maximum(pmax, 0).sum(0)
    wf = np.vectorize(_const_f)(W)
    need_f = max(int(np.max(np.where(W != 0, xf[:, None] + wf, 0))), max(_const_f(float(v)) for v in b))
    problems = []
    if need_f > acc["f"]:
        problems.append(f"products/bias need {need_f} fractional bits, accum_t has {acc['f']}")
    if lo.min() < lo_t or hi.max() > hi_t:
        problems.append(f"partial sums span [{lo.min()}, {hi.max()}], accum_t holds [{lo_t}, {hi_t}]")
    record = dict(
        accum=str(layer.get_attr("accum_t").precision), need_f=need_f, span=(float(lo.min()), float(hi.max()))
    )
    return problems, record


def _tree_sum(terms: list):
    """Balanced sum (shallow adder tree) of da4ml variables."""
    while len(terms) > 1:
        terms = [terms[k] + terms[k + 1] if k + 1 < len(terms) else terms[k] for k in range(0, len(terms), 2)]
    return terms[0]


def _dense_per_product(layer, x: FixedVariableArray, W: np.ndarray, b: np.ndarray) -> FixedVariableArray:
    """nnet::dense_latency when accum_t is not exact: every product and the bias are converted to
    accum_t (its rounding and overflow mode, product by product), then summed in accum_t.

    A WRAP accumulator is modular, so wrapping once after the exact sum equals hls4ml's
    step-by-step wrapping in any order.  A saturating accumulator depends on the order of the
    additions; it is accepted only when no partial sum can reach its limits.
    """
    acc = precision_spec(layer.get_attr("accum_t").precision)
    lo_t, hi_t = (np.array(int_bounds(acc), dtype=np.float64) * 2.0 ** -acc["f"]).tolist()
    xs = x._vars.ravel()
    outs = []
    for j in range(W.shape[1]):
        terms = [quantize_var(xs[i] * float(W[i, j]), acc) for i in range(W.shape[0]) if W[i, j] != 0]
        bias = float(hls_quantize_np(b[j], acc))
        if acc["sat"] != "WRAP":
            lo = bias + sum(min(float(t.low), 0.0) for t in terms)
            hi = bias + sum(max(float(t.high), 0.0) for t in terms)
            if lo < lo_t or hi > hi_t:
                raise Unsupported(
                    layer.name,
                    "Dense",
                    f"accumulator {layer.get_attr('accum_t').precision} saturates inside the sum "
                    f"(partial sums span [{lo}, {hi}]); the result depends on hls4ml's addition order",
                )
        if not terms:
            outs.append(FixedVariable.from_const(bias, hwconf=xs[0].hwconf))
            continue
        total = _tree_sum(terms) + bias
        outs.append(quantize_var(total, acc) if acc["sat"] == "WRAP" else total)
    return FixedVariableArray(np.array(outs), x.solver_options)


def _dense(layer, x: FixedVariableArray, checks: dict) -> FixedVariableArray:
    """nnet::dense_latency: y = Q_res(Q_acc(b) + sum_j Q_acc(x_j W_jk)).

    When accum_t holds everything exactly (QAT models with hls4ml's precision inference) the Q_acc
    are identities and da4ml's CMVM builds the whole matrix product with shared adders; otherwise
    each product is built and converted on its own (`_dense_per_product`).
    """
    _check_product(layer, "Dense")
    if x.ndim != 1:
        raise Unsupported(layer.name, "Dense", f"only 1-D inputs, got shape {x.shape}")
    W = hls_weight_values(layer.weights["weight"])
    n_in, n_out = int(layer.get_attr("n_in")), int(layer.get_attr("n_out"))
    # hls4ml's Resource strategy stores the matrix transposed (passes/resource_strategy.py)
    W = W.reshape(n_out, n_in).T if layer.get_attr("_weights_transposed", False) else W.reshape(n_in, n_out)
    if "bias" in layer.weights and layer.weights["bias"] is not None:
        b = hls_weight_values(layer.weights["bias"]).reshape(n_out)
    else:
        b = np.zeros(n_out)
    if not np.array_equal(W.astype(np.float32), W):
        raise Unsupported(layer.name, "Dense", "weights not exactly representable in float32 (da4ml CMVM)")
    problems, record = accumulator_problems(layer, x, W, b)
    if problems:
        y = _dense_per_product(layer, x, W, b)
        record.update(mode="per-product accum_t conversion", not_exact_because=problems)
    else:
        y = x @ W + b  # da4ml CMVM (exact, full-width adders)
        record.update(mode="exact accumulation (CMVM)")
    checks[layer.name] = record
    return quantize_array(y, layer.get_output_variable().type.precision)


def _check_product(layer, cls: str) -> None:
    cfg = layer.get_attr("config_cpp") or ""
    if "product::mult<" not in cfg and "product" in cfg:
        raise Unsupported(layer.name, cls, "only nnet::product::mult products are supported")


def _batchnorm(layer, x: FixedVariableArray, checks: dict) -> FixedVariableArray:
    """nnet::normalize: y = Q_res(x * scale + bias), product and sum at full precision."""
    _check_product(layer, "BatchNormalization")
    if int(layer.get_attr("n_filt", -1)) != -1 or x.ndim != 1:
        raise Unsupported(layer.name, layer.class_name, f"only 1-D inputs, got shape {x.shape}")
    scale = hls_weight_values(layer.weights["scale"]).reshape(x.shape)
    bias = hls_weight_values(layer.weights["bias"]).reshape(x.shape)
    return quantize_array(x * scale + bias, layer.get_output_variable().type.precision)


def _activation(layer, x: FixedVariableArray, checks: dict) -> FixedVariableArray:
    act = str(layer.get_attr("activation", "")).lower()
    if act == "relu":
        x = FixedVariableArray(np.array([v.relu() for v in x._vars.ravel()]).reshape(x.shape), x.solver_options)
    elif act != "linear":
        raise Unsupported(layer.name, layer.class_name, f"activation {act!r}; relu and linear are")
    return quantize_array(x, layer.get_output_variable().type.precision)


HANDLERS = {"Dense": _dense, "BatchNormalization": _batchnorm, "ApplyAlpha": _batchnorm, "Activation": _activation}


def trace_hls_model(
    hls_model,
    upto_layer: str,
    hwconf: HWConfig | tuple[int, int, int] = (1, -1, -1),
    solver_options: dict | None = None,
) -> tuple[CombLogic, dict]:
    """Trace the hls4ml graph from the inputs up to `upto_layer` (inclusive) into a da4ml CombLogic.

    Returns (comb, info): `info` has the per-layer record, accumulator checks, the input/output
    lane formats and the trace time.
    """
    t0 = time.perf_counter()
    hwconf = HWConfig(*hwconf)
    solver_options = {"hard_dc": 2} if solver_options is None else solver_options
    tensors: dict[str, FixedVariableArray] = {}
    raw_inputs: list[FixedVariableArrayInput] = []
    input_layers: list[str] = []
    checks: dict = {}
    record = []
    found = False
    for layer in hls_model.get_layers():
        cls = layer.class_name
        prec = layer.get_output_variable().type.precision
        if cls == "Input":
            shape = tuple(int(s) for s in layer.get_output_variable().shape)
            spec = precision_spec(prec)
            inp = FixedVariableArrayInput(shape, hwconf=hwconf, solver_options=solver_options)
            raw_inputs.append(inp)
            input_layers.append(layer.name)
            y = inp.quantize(spec["k"], spec["i"], spec["f"])  # lanes carry raw input_t words
        else:
            srcs = [tensors[n] for n in layer.inputs]
            if len(srcs) != 1:
                raise Unsupported(layer.name, cls, f"{len(srcs)} inputs")
            handler = HANDLERS.get(cls)
            if handler is None:
                raise Unsupported(layer.name, cls, f"supported: {', '.join(['Input', *HANDLERS])}")
            try:
                y = handler(layer, srcs[0], checks)
            except Unsupported:
                raise
            except NotImplementedError as exc:  # a precision type/mode apfixed cannot express
                raise Unsupported(layer.name, cls, str(exc)) from exc
        for out_name in layer.outputs:
            tensors[out_name] = y
        levels = max(float(v.latency) for v in np.ravel(y._vars))  # da4ml latency model: adder levels
        record.append(
            dict(
                name=layer.name, cls=cls, result=str(prec), activation=layer.get_attr("activation"), adder_levels=levels
            )
        )
        if layer.name == upto_layer:
            found = True
            out = y
            break
    if not found:
        raise KeyError(f"layer {upto_layer!r} not found in the hls4ml model")

    inp_all = np.concatenate([np.ravel(i._vars) for i in raw_inputs])
    comb = comb_trace(inp_all, np.ravel(out._vars), keep_dead_inputs=True)
    t1 = time.perf_counter()
    in_types = [precision_spec(hls_model.graph[n].get_output_variable().type.precision) for n in input_layers]
    info = dict(
        layers=record,
        accumulators=checks,
        input_layers=input_layers,
        input_types=[str(hls_model.graph[n].get_output_variable().type.precision) for n in input_layers],
        input_needs_prequantize=any(s["rnd"] != "TRN" or s["sat"] != "WRAP" for s in in_types),
        output_layer=upto_layer,
        output_type=str(prec),
        trace_seconds=t1 - t0,
        inp_kifs=[tuple(int(v) for v in _minimal_kif(q)) for q in comb.inp_qint],
        out_kifs=[tuple(int(v) for v in _minimal_kif(q)) for q in comb.out_qint],
    )
    return comb, info
