"""hls4ml's lookup-table activations (nnet_activation.h, io_parallel): the tables as its C++ builds them, the
indices as its C++ takes them, and the sigmoid and tanh handlers (softmax: `trigger.rtl.layers.softmax`).

Tables.  hls4ml fills each table once, at run time, in `float` arithmetic through the C library, then converts
each value to the table's ap_fixed type (the `ap_fixed(double)` constructor, with that type's rounding and
overflow modes).  The same libm functions (`expf`, `tanhf`) are called here through ctypes: numpy's own float32
`exp` differs from glibc's `expf` in the last bit for a third of all inputs, and one bit can move a table entry.
`+inf` (1/0 in the inverse table) converts to the largest value under SAT, to 0 under WRAP (ap_fixed_base(double)
shifts the mantissa out).

Indices.
* softmax (`softmax_idx_from_real_val`): the top N = ceillog2(size) bits of the input's word, read unsigned.
* sigmoid / tanh / legacy softmax: `int(x * size / R) + offset` clipped to [0, size - 1]: R = 16 and offset
  8 * size / 16 for sigmoid and the legacy exponential, R = 8 and offset 4 * size / 8 for tanh, R = 64 and no
  offset for the legacy inverse (unsigned C arithmetic; the ap_fixed division and the int conversion both
  truncate towards zero).

In alkaid a table is indexed by the value of a traced variable (`FVariable.lookup`): entry j belongs to the
j-th value of the variable's range.  The tables here are laid out over the full range of the indexing word
(`original_qint`), and alkaid keeps the part the variable can reach.  alkaid stores a table as int32 at the
float32 grid of its values (`LookupTable.to_spec`): a table whose values need more than 24 significant bits or
31 bits of word is `Unsupported`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from math import ceil, log2

import numpy as np
from alkaid.trace import FVariable, FVArray
from alkaid.trace.fixed_variable import LookupTable

from trigger.fixed import hls_quantize_np, int_bounds, precision_spec
from trigger.rtl.apfixed import quantize_var
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles_activation, output_precision, single

_LIBM = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
for _name in ("expf", "tanhf"):
    getattr(_LIBM, _name).restype = ctypes.c_float
    getattr(_LIBM, _name).argtypes = [ctypes.c_float]


def _libm(name: str, x: np.ndarray) -> np.ndarray:
    """float32 `name(x)` of the C library, element by element (what `std::exp(float)` / `tanh(float)` call)."""
    fn = getattr(_LIBM, name)
    return np.array([fn(float(v)) for v in np.asarray(x, dtype=np.float32).ravel()], dtype=np.float32)


def ceillog2(x: int) -> int:
    """nnet::ceillog2 (1 for x <= 2)."""
    return 1 if x <= 2 else 1 + ceillog2((x + 1) // 2)


def to_type(values: np.ndarray, spec: dict) -> np.ndarray:
    """`T(double)` for every value (float64), `+-inf` included (ap_fixed_base(double) semantics)."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    out = np.zeros_like(values)
    out[finite] = hls_quantize_np(values[finite], spec)
    if (~finite).any():
        lo, hi = (np.array(int_bounds(spec), dtype=np.float64) * 2.0 ** -spec["f"]).tolist()
        if spec["sat"] == "SAT_SYM" and spec["signed"]:
            lo = -hi
        if spec["sat"] in ("SAT", "SAT_SYM"):
            out[~finite] = np.where(values[~finite] > 0, hi, lo)
        # WRAP: the mantissa is shifted out entirely (0); SAT_ZERO: an overflow is 0
    return out


def word_values(spec: dict, n_bits: int) -> np.ndarray:
    """`softmax_real_val_from_idx`: the value of type `spec` whose top `n_bits` bits are i, for each index i."""
    width = spec["width"]
    raw = np.arange(2**n_bits, dtype=np.int64) << (width - n_bits)
    if spec["signed"]:
        raw = np.where(raw >= 2 ** (width - 1), raw - 2**width, raw)
    return raw.astype(np.float64) * 2.0 ** -spec["f"]


def exp_table(size: int, index_spec: dict, table_spec: dict, exp_scale: float, negative: bool) -> np.ndarray:
    """nnet::init_exp_table: exp(+-x * exp_scale) in float for x read from the top bits of `index_spec`."""
    x = word_values(index_spec, ceillog2(size))[:size].astype(np.float32) * np.float32(exp_scale)
    if negative:
        x = -x
    return to_type(_libm("expf", x).astype(np.float64), table_spec)


def invert_table(size: int, index_spec: dict, table_spec: dict) -> np.ndarray:
    """nnet::init_invert_table: 1 / x in float for x read from the top bits of `index_spec` (1/0 = +inf)."""
    x = word_values(index_spec, ceillog2(size))[:size].astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.float32(1) / x
    return to_type(inv.astype(np.float64), table_spec)


def _grid(size: int, half_range: float) -> np.ndarray:
    """`float in_val = 2 * R * (ii - float(N) / 2.0) / float(N)` (double arithmetic, stored as float)."""
    ii = np.arange(size, dtype=np.float64)
    return (2 * half_range * (ii - np.float64(np.float32(size)) / 2.0) / np.float64(np.float32(size))).astype(
        np.float32
    )


def sigmoid_table(size: int, table_spec: dict) -> np.ndarray:
    """nnet::init_sigmoid_table: 1.0 / (1 + expf(-x)) (a float sum, a double quotient returned as float)."""
    x = _grid(size, 8.0)
    denom = np.float32(1) + _libm("expf", -x)
    return to_type((1.0 / denom.astype(np.float64)).astype(np.float32).astype(np.float64), table_spec)


def tanh_table(size: int, table_spec: dict) -> np.ndarray:
    """nnet::init_tanh_table: tanh of a float, which resolves to the C library's `tanhf` in the C simulation."""
    return to_type(_libm("tanhf", _grid(size, 4.0)).astype(np.float64), table_spec)


def exp_table_legacy(size: int, table_spec: dict) -> np.ndarray:
    """nnet::init_exp_table_legacy: expf of the sigmoid grid over [-8, 8)."""
    return to_type(_libm("expf", _grid(size, 8.0)).astype(np.float64), table_spec)


def invert_table_legacy(size: int, table_spec: dict) -> np.ndarray:
    """nnet::init_invert_table_legacy: 1.0 / x (double) for x = float(64.0 * ii / float(N)), 0 at x = 0."""
    x = (64.0 * np.arange(size, dtype=np.float64) / np.float64(np.float32(size))).astype(np.float32)
    x = x.astype(np.float64)
    with np.errstate(divide="ignore"):
        inv = np.where(x > 0, 1.0 / np.where(x > 0, x, 1.0), 0.0)
    return to_type(inv, table_spec)


# --- traced indices and lookups ---------------------------------------------------------------------------


def checked_table(layer, what: str, values: np.ndarray) -> np.ndarray:
    """`values` if alkaid stores them exactly (its int32 words at the float32 grid of the values), else Unsupported."""
    values = np.asarray(values, dtype=np.float64)
    if not np.array_equal(values.astype(np.float32).astype(np.float64), values):
        raise Unsupported(layer.name, layer.class_name, f"{what} values need more than 24 significant bits")
    if np.ptp(values) > 0:
        stored = LookupTable(values).float_table
        if not np.array_equal(stored, values):
            raise Unsupported(layer.name, layer.class_name, f"{what} values do not fit alkaid's 32-bit table words")
    return values


def lookup(v: FVariable, table: np.ndarray, qint: tuple[float, float, float]) -> FVariable:
    """alkaid lookup of `table`, laid out over the values `qint` = (min, max, step) that `v` may take."""
    table = np.asarray(table, dtype=np.float64)
    if v.low == v.high:  # a constant key reads one entry
        return FVariable.from_const(float(table[round((float(v.low) - qint[0]) / qint[2])]), hwconf=v.hwconf)
    return v.lookup(table, original_qint=qint)


def top_bits(layer, v: FVariable, spec: dict, size: int) -> tuple[FVariable, np.ndarray, tuple[float, float, float]]:
    """`softmax_idx_from_real_val<T, size>(v)`: v (a value of type `spec`) cut to its top N bits, and for
    each value of that cut word (in increasing order) the table index the C++ reads (its N bits, unsigned)."""
    n = ceillog2(size)
    if size != 2**n:
        raise Unsupported(layer.name, layer.class_name, f"table size {size} is not a power of two")
    if n > spec["width"]:
        raise Unsupported(layer.name, layer.class_name, f"a {size}-entry table indexed by a {spec['width']}-bit word")
    f_cut = spec["f"] - (spec["width"] - n)
    cut = quantize_var(v, dict(spec, f=f_cut, width=n, rnd="TRN", sat="WRAP"))
    step = 2.0**-f_cut
    first = -(2 ** (n - 1)) if spec["signed"] else 0
    codes = np.arange(first, first + 2**n)
    qint = (float(codes[0] * step), float(codes[-1] * step), step)
    return cut, codes % 2**n, qint


def clipped_index(layer, v: FVariable, size: int, r: int, offset: int) -> FVariable:
    """`index = int(v * size / R) + offset` clipped to [0, size - 1] (the ap_fixed product is exact, its division
    by R and the int conversion truncate towards zero: together int(v * size / R) = trunc(v * size / R))."""
    scale = size / r
    if max(abs(float(v.low)), abs(float(v.high))) * scale >= 2.0**30:
        raise Unsupported(layer.name, layer.class_name, f"inputs up to {max(-v.low, v.high)} overflow the int index")
    y = v * scale if scale != 1 else v
    if y.low == y.high:
        t = FVariable.from_const(float(np.trunc(float(y.low))), hwconf=v.hwconf)
    else:
        bits = ceil(log2(max(abs(float(y.low)), abs(float(y.high))) + 1)) + 1
        trunc = dict(k=1, i=bits, f=0, width=bits + 1, rnd="TRN_ZERO", sat="WRAP", signed=True)
        t = quantize_var(y, trunc)
    t = t + offset if offset else t
    n = ceillog2(size)
    idx = quantize_var(t, dict(k=0, i=n, f=0, width=n, rnd="TRN", sat="SAT", signed=False))
    return idx.min_of(size - 1) if size != 2**n else idx


def indexed(layer, v: FVariable, table: np.ndarray, size: int, r: int, offset: int) -> FVariable:
    """table[clipped_index(v)]."""
    return lookup(clipped_index(layer, v, size, r, offset), table, (0.0, float(size - 1), 1.0))


# --- sigmoid, tanh -----------------------------------------------------------------------------------------


def _table_activation(layer, inputs: list[FVArray], build, r: int) -> FVArray:
    """(res_T) table[clip(int(x * N / R) + (R / 2) * N / R)] per element (nnet::sigmoid, nnet::tanh)."""
    x = single(layer, inputs)
    size = int(layer.get_attr("table_size"))
    table_spec = precision_spec(layer.get_attr("table_t").precision)
    res_spec = precision_spec(output_precision(layer))
    in_spec = precision_spec(layer.get_input_variable().type.precision)
    table = checked_table(layer, "table", to_type(build(size, table_spec), res_spec))  # (res_T)table[index]
    out = np.empty(x.shape, dtype=object)
    for pos, v in np.ndenumerate(np.asarray(x)):
        out[pos] = indexed(layer, quantize_var(v, in_spec), table, size, r, (r // 2) * size // r)
    return fv_array(out, x)


@handles_activation("sigmoid")
def sigmoid(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    """nnet::sigmoid: (res_T) sigmoid_table[clip(int(x * N / 16) + N / 2)]."""
    return _table_activation(layer, inputs, sigmoid_table, 16)


@handles_activation("tanh")
def tanh(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    """nnet::tanh: (res_T) tanh_table[clip(int(x * N / 8) + N / 2)]."""
    return _table_activation(layer, inputs, tanh_table, 8)
