"""hls4ml's Softmax layer (nnet::softmax / softmax_multidim, io_parallel), every implementation:

* latency   e_i = Q_acc(exp_table[top bits of x_i]);  S = Q_inv_inp(reduce_add<accum_t>(e));
            y_i = Q_res(e_i * inv_table[top bits of S])
* stable    as latency, indexed by d_i = Q_inp_norm(max(x) - x_i) into a table of exp(-d)
* legacy    E_i = sum_j (j == i ? 1 : exp_table[clip(int((x_j - x_i) * N / 16) + N / 2)]) in table_t;
            y_i = Q_res(inv_table[clip(int(E_i * N / 64))])
* argmax    y = Q_res(1) at the first maximum, 0 elsewhere

The layer's numbers and types are read from the C++ configuration hls4ml wrote for it (`config_cpp`): table
sizes and types can be set per layer, and the template derives some of them itself (`inp_norm_t`, the stable
exp table size).  Tables: `trigger.rtl.layers.tables`.
"""

from __future__ import annotations

import re
from math import floor, log2

import numpy as np
from alkaid.trace import FVariable, FVArray

from trigger.fixed import hls_quantize_np, precision_spec
from trigger.rtl.alkaid_fixes import var_mul
from trigger.rtl.apfixed import quantize_var
from trigger.rtl.layers import tables
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles, output_precision, single

ACTIV_CONFIG_TABLE_T = "ap_fixed<18,8>"  # nnet::activ_config::table_t, the legacy tables' type


def cpp_config(layer) -> tuple[dict[str, str], dict[str, str]]:
    """The layer's C++ config struct: its constants and its typedefs (alias -> type)."""
    cfg = layer.get_attr("config_cpp") or ""
    if "softmax_config" not in cfg:
        raise Unsupported(layer.name, layer.class_name, "no softmax configuration from hls4ml")
    consts = dict(re.findall(r"static\s+(?:const|constexpr)\s+[\w:]+(?:\s+[\w:]+)*?\s+(\w+)\s*=\s*([^;]+);", cfg))
    typedefs = {alias: target.strip() for target, alias in re.findall(r"typedef\s+(.+?)\s+(\w+)\s*;", cfg)}
    return consts, typedefs


def type_spec(layer, typedefs: dict[str, str], alias: str, default: str | None = None) -> dict:
    """precision_spec of the type a config typedef names: one of the layer's named types, or a literal type."""
    target = typedefs.get(alias, default)
    if target is None:
        raise Unsupported(layer.name, layer.class_name, f"no {alias} in hls4ml's softmax configuration")
    for named in layer.types.values():
        if named.name == target:
            return precision_spec(named.precision)
    return precision_spec(layer.model.config.backend.convert_precision_string(target))


def reduce_tree(xs: list, op):
    """nnet::reduce: the balanced tree hls4ml sums (or maxes) with (left part pow2(floorlog2(N - 1)))."""
    n = len(xs)
    if n == 1:
        return xs[0]
    if n == 2:
        return op(xs[0], xs[1])
    left = 2 ** floor(log2(n - 1))
    return op(reduce_tree(xs[:left], op), reduce_tree(xs[left:], op))


def _const(value: float, like: FVariable) -> FVariable:
    return FVariable.from_const(float(value), hwconf=like.hwconf)


def _exp_inv(layer, xs: list[FVariable], consts: dict, typedefs: dict, res: dict, stable: bool) -> list[FVariable]:
    """softmax_latency / softmax_stable on one slice."""
    data = precision_spec(layer.get_input_variable().type.precision)
    exp_t, inv_t = type_spec(layer, typedefs, "exp_table_t"), type_spec(layer, typedefs, "inv_table_t")
    acc, inv_inp = type_spec(layer, typedefs, "accum_t"), type_spec(layer, typedefs, "inv_inp_t")
    exp_size, inv_size = int(consts["exp_table_size"]), int(consts["inv_table_size"])
    scale = float(np.float32(float(consts.get("exp_scale", "1.0").rstrip("f"))))
    xs = [quantize_var(x, data) for x in xs]
    if stable:
        norm = type_spec(layer, typedefs, "inp_norm_t")
        x_max = reduce_tree(xs, lambda a, b: a.max_of(b))
        keys, key_spec = [quantize_var(x_max - x, norm) for x in xs], norm
    else:
        keys, key_spec = xs, data
    # exp_res[i] = exp_table[idx] is an accum_t: fold that conversion into the table
    exp_tab = tables.to_type(tables.exp_table(exp_size, key_spec, exp_t, scale, negative=stable), acc)
    exps = []
    for key in keys:
        cut, codes, qint = tables.top_bits(layer, key, key_spec, exp_size)
        exps.append(tables.lookup(cut, tables.checked_table(layer, "exp table", exp_tab[codes]), qint))
    total = reduce_tree(exps, lambda a, b: quantize_var(a + b, acc))
    s = quantize_var(total, inv_inp)
    inv_tab = tables.invert_table(inv_size, inv_inp, inv_t)
    cut, codes, qint = tables.top_bits(layer, s, inv_inp, inv_size)
    inv = tables.lookup(cut, tables.checked_table(layer, "inverse table", inv_tab[codes]), qint)
    return [quantize_var(var_mul(e, inv), res) for e in exps]


def _legacy(layer, xs: list[FVariable], consts: dict, typedefs: dict, res: dict) -> list[FVariable]:
    """softmax_legacy on one slice."""
    data = precision_spec(layer.get_input_variable().type.precision)
    table_t = type_spec(layer, typedefs, "table_t", ACTIV_CONFIG_TABLE_T)
    exp_size, inv_size = int(consts["exp_table_size"]), int(consts["inv_table_size"])
    exp_tab = tables.checked_table(layer, "exp table", tables.exp_table_legacy(exp_size, table_t))
    inv_tab = tables.to_type(tables.invert_table_legacy(inv_size, table_t), res)  # (res_T) invert_table[...]
    inv_tab = tables.checked_table(layer, "inverse table", inv_tab)
    xs = [quantize_var(x, data) for x in xs]
    one = float(hls_quantize_np(1.0, table_t))
    out = []
    for i, xi in enumerate(xs):
        acc = _const(0.0, xi)
        for j, xj in enumerate(xs):
            term = (
                _const(one, xi) if i == j else tables.indexed(layer, xj - xi, exp_tab, exp_size, 16, 8 * exp_size // 16)
            )
            acc = quantize_var(acc + term, table_t)
        out.append(tables.indexed(layer, acc, inv_tab, inv_size, 64, 0))
    return out


def _argmax(layer, xs: list[FVariable], res: dict) -> list[FVariable]:
    """softmax_argmax on one slice: Q_res(1) at the first maximum (a strict `>` scan), 0 elsewhere."""
    data = precision_spec(layer.get_input_variable().type.precision)
    xs = [quantize_var(x, data) for x in xs]
    one, zero = float(hls_quantize_np(1.0, res)), float(hls_quantize_np(0.0, res))
    step = 2.0 ** -data["f"]
    out = []
    for i, xi in enumerate(xs):
        y = _const(one, xi)
        for j, xj in enumerate(xs):
            if j != i:  # x_i > x_j for j < i, x_i >= x_j for j > i:  (x_j - x_i [- step]) < 0
                key = xj - xi if j < i else xj - xi - step
                y = (
                    key.msb_mux(y, _const(zero, xi))
                    if key.low < 0 <= key.high
                    else (y if key.high < 0 else _const(zero, xi))
                )
        out.append(y)
    return out


@handles("Softmax")
def softmax(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    consts, typedefs = cpp_config(layer)
    impl = consts.get("implementation", "").rsplit("::", 1)[-1]
    n_outer, n_slice, n_inner = (int(consts[k]) for k in ("n_outer", "n_slice", "n_inner"))
    flat = np.asarray(x).ravel()
    if flat.size != n_outer * n_slice * n_inner:
        raise Unsupported(layer.name, layer.class_name, f"{flat.size} inputs for {n_outer}x{n_slice}x{n_inner} slices")
    res = precision_spec(output_precision(layer))
    out = np.empty(flat.size, dtype=object)
    for o in range(n_outer):  # softmax_multidim: data[o * n_slice * n_inner + j * n_inner + k], j in the slice
        for k in range(n_inner):
            pos = [o * n_slice * n_inner + j * n_inner + k for j in range(n_slice)]
            xs = list(flat[pos])
            if impl in ("latency", "stable"):
                ys = _exp_inv(layer, xs, consts, typedefs, res, stable=impl == "stable")
            elif impl == "legacy":
                ys = _legacy(layer, xs, consts, typedefs, res)
            elif impl == "argmax":
                ys = _argmax(layer, xs, res)
            else:
                raise Unsupported(layer.name, layer.class_name, f"softmax implementation {impl!r}")
            out[pos] = ys
    return fv_array(out.reshape(x.shape), x)
