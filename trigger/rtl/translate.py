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

Exactness of da4ml's own bookkeeping.  A da4ml `FixedVariable` keeps its bounds, step, added
constants and the power-of-two scale of its hardware word (`_factor`) as `decimal.Decimal`, in the
thread's decimal context: 28 significant digits by default.  Every multiplication by a constant
multiplies `_factor` by the lowest power of two of the constant's CSD digits (2**-10 per layer for
ap_fixed<16,6> weights), and quantization keeps it, so after a few layers the factor is 2**-70 or
smaller, which 28 digits cannot hold (2**-n needs ~0.7 n significant digits).  da4ml then rounds
the constant of a bias addition when it stores it in units of the step (`int(data / step)` in
`da4ml.trace.tracer`), and the emitted adder adds the bias one LSB short: deep post-training
quantized MLPs came out one LSB off the C simulation.  So the whole trace runs in
`exact_decimals()`, with `decimal.Inexact` trapped: a trace that would round is retried with more
digits (`DECIMAL_DIGITS`; a larger context slows some decimal operations down) and reported
`Unsupported` if even the most would round, never silently changed.

da4ml also finds the fractional bits of a constant only up to 32 (`_const_f` in
`da4ml.trace.fixed_variable`): it decomposes a finer multiplier wrongly (per-product weights and
BatchNormalization scales that need more are `Unsupported`) and could store a finer added constant
truncated (every constant addition of the trace is checked to be a whole number of steps).  The same
search, between 2**-32 and 2**31, gives the grid of a constant operand of a mux, which da4ml stores in
units of its `_factor`: its own SAT/SAT_SYM quantization clips with limits at the clipped word's factor,
so at a factor of 2**-33 a limit of +-1 became +-2**33 on a grid of 2**31 and the mux (Verilog and
`comb.predict` alike) read it four times too large (FINN TFC-w2a2: the third BatchNormalization's
ap_fixed<2,2,AP_RND_CONV,AP_SAT_SYM> outputs stuck at 0 in some channels).  `apfixed` builds the limits
as odd-integer words at their own scale (`scaled_const`), and every constant of the trace is checked to
be one da4ml emits exactly.
"""

from __future__ import annotations

import decimal
import time
from contextlib import contextmanager

import numpy as np
from da4ml.cmvm.types import CombLogic, _minimal_kif
from da4ml.trace import FixedVariable, FixedVariableArray, FixedVariableArrayInput, HWConfig, comb_trace
from da4ml.trace.tracer import gather_variables

from trigger.fixed import hls_quantize_np, int_bounds, precision_spec
from trigger.rtl.apfixed import odd_exponent, quantize_array, quantize_var


class Unsupported(NotImplementedError):
    """A layer the RTL translation cannot take; str() is "<layer> <type> not supported (<why>)"."""

    def __init__(self, layer: str, cls: str, why: str):
        self.layer, self.cls, self.why = layer, cls, why
        super().__init__(f"{layer} {cls} not supported ({why})")


DECIMAL_DIGITS = (600, 6_000, 60_000)  # tried in turn; 2**-n needs ~0.7 n significant digits
DA4ML_CONST_F_MAX = 32  # da4ml.trace.fixed_variable._const_f searches f in (-32, 32]


@contextmanager
def exact_decimals(digits: int = DECIMAL_DIGITS[0]):
    """Decimal context for da4ml tracing: `digits` significant digits and `decimal.Inexact` trapped.

    da4ml's FixedVariable arithmetic (bounds, steps, constants, the accumulated power-of-two
    `_factor`) is exact only if no Decimal operation rounds; the default 28 digits do round once
    `_factor` reaches about 2**-40 (a few layers of constant multiplications).
    """
    with decimal.localcontext() as ctx:
        ctx.prec = digits
        ctx.traps[decimal.Inexact] = True
        yield ctx


def _check_constants(layer, cls: str, **arrays: np.ndarray) -> None:
    """A variable times a constant with more than 32 fractional bits is decomposed wrongly by da4ml
    (`_const_f`).  (da4ml's CMVM takes them; added constants are checked by `_check_added_constants`.)"""
    for what, values in arrays.items():
        flat = np.asarray(values, dtype=np.float64).ravel()
        need = max((_const_f(float(v)) for v in flat), default=0)
        if need > DA4ML_CONST_F_MAX:
            raise Unsupported(
                layer.name,
                cls,
                f"{what} values need {need} fractional bits; da4ml's constants take at most {DA4ML_CONST_F_MAX}",
            )


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
    _check_constants(layer, "Dense", weights=W)
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
    _check_constants(layer, layer.class_name, scales=scale)
    return quantize_array(x * scale + bias, layer.get_output_variable().type.precision)


def _activation(layer, x: FixedVariableArray, checks: dict) -> FixedVariableArray:
    act = str(layer.get_attr("activation", "")).lower()
    if act == "relu":
        x = FixedVariableArray(np.array([v.relu() for v in x._vars.ravel()]).reshape(x.shape), x.solver_options)
    elif act != "linear":
        raise Unsupported(layer.name, layer.class_name, f"activation {act!r}; relu and linear are")
    return quantize_array(x, layer.get_output_variable().type.precision)


def _reshape(layer, x: FixedVariableArray, checks: dict) -> FixedVariableArray:
    """Reshape / Flatten: the same words in row-major order (an io_parallel array is flat); a result
    type other than the input's is a conversion."""
    shape = tuple(int(s) for s in layer.get_output_variable().shape)
    if int(np.prod(shape)) != x.size:
        raise Unsupported(layer.name, layer.class_name, f"{x.shape} -> {shape} changes the number of values")
    y = FixedVariableArray(x._vars.reshape(shape), x.solver_options)
    src = layer.get_input_variable().type.precision
    dst = layer.get_output_variable().type.precision
    return y if str(src) == str(dst) else quantize_array(y, dst)


HANDLERS = {
    "Dense": _dense,
    "BatchNormalization": _batchnorm,
    "ApplyAlpha": _batchnorm,
    "Activation": _activation,
    "Reshape": _reshape,
}


def _trace_layers(hls_model, upto_layer: str, hwconf: HWConfig, solver_options: dict):
    """Build the da4ml variables layer by layer up to `upto_layer` (call inside `exact_decimals()`)."""
    tensors: dict[str, FixedVariableArray] = {}
    raw_inputs: list[FixedVariableArrayInput] = []
    input_layers: list[str] = []
    checks: dict = {}
    record = []
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
            names = [n for n in layer.inputs if n]  # hls4ml keeps '' for a constant input it consumed
            missing = [n for n in names if n not in tensors]
            if missing:
                raise Unsupported(layer.name, cls, f"input {missing[0]!r} is not produced by a traced layer")
            srcs = [tensors[n] for n in names]
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
            except decimal.Inexact as exc:
                raise _Rounded(layer.name, cls) from exc
        for out_name in layer.outputs:
            tensors[out_name] = y
        levels = max(float(v.latency) for v in np.ravel(y._vars))  # da4ml latency model: adder levels
        record.append(
            dict(
                name=layer.name, cls=cls, result=str(prec), activation=layer.get_attr("activation"), adder_levels=levels
            )
        )
        if layer.name == upto_layer:
            return raw_inputs, input_layers, y, record, checks
    raise KeyError(f"layer {upto_layer!r} not found in the hls4ml model")


def _check_added_constants(inputs, outputs, upto_layer: str, layer) -> None:
    """Every constant addition must be a whole number of its result's steps: da4ml's tracer stores it
    as `int(constant / step)`, which would drop a finer remainder without a trace.  Every constant
    operand (of a mux) must be one da4ml's tracer emits exactly: it stores the constant in units of its
    `_factor` on the grid `_const_f` finds, which is right only between 2**-32 and 2**31 (and for
    integers a float holds); a coarser constant comes out on a finer grid than the mux result it feeds,
    which then reads it shifted (`trigger.rtl.apfixed.scaled_const` builds the saturation limits so)."""
    for v in gather_variables(list(inputs), list(outputs))[0]:
        if v.opr == "cadd" and (v._data / (v.step / abs(v._factor))) % 1:
            raise Unsupported(
                upto_layer, layer.class_name, f"da4ml would truncate the added constant {v._data * v._factor}"
            )
        if v.opr == "const" and v.low != 0:
            u = v.low / v._factor
            f = -odd_exponent(u)  # u * 2**f is an odd integer
            if not -DA4ML_CONST_F_MAX < f <= DA4ML_CONST_F_MAX or abs(u * decimal.Decimal(2) ** f) >= 2**53:
                raise Unsupported(
                    upto_layer,
                    layer.class_name,
                    f"da4ml would emit the constant {v.low} (at scale {v._factor}) on a wrong grid",
                )


class _Rounded(Exception):
    """A decimal operation of da4ml's tracing would have rounded (in layer `layer`)."""

    def __init__(self, layer: str, cls: str):
        self.layer, self.cls = layer, cls
        super().__init__(layer, cls)


def trace_hls_model(
    hls_model,
    upto_layer: str,
    hwconf: HWConfig | tuple[int, int, int] = (1, -1, -1),
    solver_options: dict | None = None,
) -> tuple[CombLogic, dict]:
    """Trace the hls4ml graph from the inputs up to `upto_layer` (inclusive) into a da4ml CombLogic.

    Returns (comb, info): `info` has the per-layer record, accumulator checks, the input/output
    lane formats and the trace time.  The trace runs with exact decimals (see the module doc).
    """
    t0 = time.perf_counter()
    hwconf = HWConfig(*hwconf)
    solver_options = {"hard_dc": 2} if solver_options is None else solver_options
    for digits in DECIMAL_DIGITS:
        try:
            with exact_decimals(digits):
                raw_inputs, input_layers, out, record, checks = _trace_layers(
                    hls_model, upto_layer, hwconf, solver_options
                )
                inp_all = np.concatenate([np.ravel(i._vars) for i in raw_inputs])
                comb = comb_trace(inp_all, np.ravel(out._vars), keep_dead_inputs=True)
                _check_added_constants(inp_all, np.ravel(out._vars), upto_layer, hls_model.graph[upto_layer])
            break
        except (_Rounded, decimal.Inexact) as exc:
            if digits == DECIMAL_DIGITS[-1]:
                last = hls_model.graph[upto_layer]
                where = exc if isinstance(exc, _Rounded) else _Rounded(upto_layer, last.class_name)
                why = f"da4ml's decimal bookkeeping of the trace would round even with {digits} digits"
                raise Unsupported(where.layer, where.cls, why) from exc
    t1 = time.perf_counter()
    prec = hls_model.graph[upto_layer].get_output_variable().type.precision
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
