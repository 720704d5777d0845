"""Max / average pooling, windowed and global (nnet_pooling.h, io_parallel, channels last).

What the C++ computes for one output (`pool_op<data_T, N, op, accum_t>`, then `res = accum`):

* Max:     Q_res(Q_acc(max(window)))  the max is taken in data_T; a padded cell ('same') holds
           `pad_val<data_T, Max>`: data_T with only its top bit set, the most negative value of a signed
           type but +2**(I-1) of an unsigned one (so an unsigned 'same' max pool reads at least that
           at the borders: rebuilt as hls4ml has it).
* Average: y = 0; y = Q_acc(y + x) cell by cell in window order (padded cells add 0, which is exact);
           y /= length (an `unsigned`, so ap_fixed's integer division: the raw word divided and
           truncated towards zero, on accum_t's grid); Q_res(y).  length is the number of cells inside
           the image (or the whole window when `count_pad`); global pooling divides by every cell.

The division by a constant length N is rebuilt exactly as floor((V + n*(N-1) + K*N) * M / 2**s) - K on
the raw accumulator word V (n its sign bit, K*N a shift making the dividend non-negative, M = ceil(2**s/N)
with s large enough that the product is exact over the dividend's whole range).
"""

from __future__ import annotations

from math import ceil

import numpy as np
from alkaid.trace import FVariable, FVArray

from trigger.fixed import int_bounds, precision_spec
from trigger.rtl.apfixed import quantize_var
from trigger.rtl.registry import TraceContext, Unsupported, fv_array, handles, output_precision, output_shape, single

CONST_BITS = 24  # alkaid finds a constant's grid in float32 precision (trigger.rtl.checks)

Window = tuple[list[tuple[int, int]], int]  # the window's cells (row, column) inside the image, in order; pads


def _axis_windows(n_in: int, pool: int, stride: int, pad_lo: int, pad_hi: int) -> list[tuple[list[int], int]]:
    """pooling*_cl's loop over one axis: per output, the input indices in the window and the padded cells."""
    full = n_in + pad_lo + pad_hi
    if full < pool or stride < 1:
        raise ValueError(f"window {pool} (stride {stride}) over {n_in} cells padded by {pad_lo}+{pad_hi}")
    restricted = (full - pool) // stride * stride + 1
    out = []
    for start in range(0, restricted, stride):
        cells = [p - pad_lo for p in range(start, start + pool) if pad_lo <= p < n_in + pad_lo]
        out.append((cells, pool - len(cells)))
    return out


def _windows(layer, shape: tuple[int, ...]) -> tuple[list[list[Window]], int]:
    """Output grid (rows x columns) of windows over an image of `shape` (rows, columns), and the window size,
    for Pooling2D and Pooling1D (one row)."""
    a = layer.get_attr
    if layer.class_name == "Pooling1D":
        rows = [([0], 0)]
        cols = _axis_windows(shape[1], a("pool_width"), a("stride_width"), a("pad_left"), a("pad_right"))
        size = a("pool_width")
    else:
        rows = _axis_windows(shape[0], a("pool_height"), a("stride_height"), a("pad_top"), a("pad_bottom"))
        cols = _axis_windows(shape[1], a("pool_width"), a("stride_width"), a("pad_left"), a("pad_right"))
        size = a("pool_height") * a("pool_width")
    grid = [
        [([(r, c) for r in rcells for c in ccells], size - len(rcells) * len(ccells)) for ccells, _ in cols]
        for rcells, _ in rows
    ]
    return grid, size


def _pad_value(precision) -> float:
    """pad_val<data_T, Max>(): data_T with only its top bit set."""
    spec = precision_spec(precision)
    top = 2.0 ** (spec["width"] - 1 - spec["f"])
    return -top if spec["signed"] else top


def _tree(terms: list[FVariable], pair) -> FVariable:
    """Reduce with `pair` in a balanced tree."""
    while len(terms) > 1:
        terms = [pair(terms[k], terms[k + 1]) if k + 1 < len(terms) else terms[k] for k in range(0, len(terms), 2)]
    return terms[0]


def max_value(cells: list[FVariable], pad: float | None) -> FVariable:
    """nnet::max over the cells (and the padding value): the exact maximum, taken in data_T."""
    terms = list(cells)
    if pad is not None:
        terms.append(FVariable.from_const(pad, hwconf=cells[0].hwconf))
    return _tree(terms, lambda a, b: a.max_of(b))


def accumulate(cells: list[FVariable], acc: dict) -> tuple[FVariable, str]:
    """y = 0; y = Q_acc(y + x) for x in cells, and how it was built: one adder tree when every partial sum
    is exact in accum_t (or only wraps, which commutes with the sum), else the conversions one by one in
    hls4ml's order."""
    s = 2.0 ** -acc["f"]
    lo_t, hi_t = (np.array(int_bounds(acc), dtype=np.float64) * s).tolist()
    on_grid = all((v.low == v.high and (float(v.low) / s).is_integer()) or v.step >= s for v in cells)
    lo = sum(min(float(v.low), 0.0) for v in cells)
    hi = sum(max(float(v.high), 0.0) for v in cells)
    if on_grid and lo_t <= lo and hi <= hi_t:
        return _tree(list(cells), lambda a, b: a + b), "exact accumulation"
    if on_grid and acc["sat"] == "WRAP":
        return quantize_var(_tree(list(cells), lambda a, b: a + b), acc), "exact sum, wrapped once"
    y = quantize_var(cells[0], acc)
    for v in cells[1:]:
        y = quantize_var(y + v, acc)
    return y, "accum_t conversion after every addition"


def _magic(n: int, u_max: int) -> tuple[int, int]:
    """(M, s) with floor(u * M / 2**s) == u // n for every integer 0 <= u <= u_max, M odd or s = 0."""
    s = 0
    while True:
        m = -(-(1 << s) // n)
        if (m * n - (1 << s)) * u_max < (1 << s):
            while m % 2 == 0 and s > 0:
                m, s = m // 2, s - 1
            return m, s
        s += 1


def _csd(m: int) -> list[tuple[int, int]]:
    """Canonical signed digits of m > 0: [(+-1, exponent)] with m = sum d * 2**e (shifts and adds)."""
    digits, e = [], 0
    while m:
        if m & 1:
            d = 2 - (m & 3)  # +1 when m = 1 mod 4, -1 when m = 3 mod 4
            digits.append((d, e))
            m -= d
        m >>= 1
        e += 1
    return digits


def _times(v: FVariable, m: int, shift: int = 0) -> FVariable:
    """v * m / 2**shift for an integer m > 0, as shifts and adds (exact)."""
    return _tree([v * (d * 2.0 ** (e - shift)) for d, e in _csd(m)], lambda a, b: a + b)


def divide(layer, y: FVariable, n: int, acc: dict) -> FVariable:
    """ap_fixed `y /= n` (n unsigned): the raw word of y (accum_t) divided by n, truncated towards zero."""
    if n == 1:
        return y
    s = 2.0 ** -acc["f"]
    if y.low == y.high:
        raw = int(float(y.low) / s)
        q = abs(raw) // n * (1 if raw >= 0 else -1)
        return FVariable.from_const(q * s, hwconf=y.hwconf)
    u = y
    if y.low < 0:  # towards zero: a negative dividend gets n - 1 added before the floor division
        u = y + _times(y.is_negative(), n - 1) * s
    k = ceil(-float(u.low) / (n * s)) if u.low < 0 else 0
    u = u + k * n * s
    m, shift = _magic(n, round(float(u.high) / s))
    if m.bit_length() > CONST_BITS:
        raise Unsupported(
            layer.name,
            layer.class_name,
            f"the division by {n} of accum_t {layer.get_attr('accum_t').precision} needs a {m.bit_length()}-bit "
            f"reciprocal constant; alkaid holds constants of at most {CONST_BITS} significant bits",
        )
    p = _times(u, m, shift)
    pk, pi, _ = p.kif
    q = p.quantize(pk, pi, acc["f"], "WRAP", "TRN")  # floor onto accum_t's grid
    return q - k * s


def _pool(layer, cells: list[FVariable], pads: int, length: int, data_precision, modes: set) -> FVariable:
    """One output of pool_op<..., accum_t>, before the conversion to result_t (`modes` collects how the
    average's sums were built)."""
    acc = precision_spec(layer.get_attr("accum_t").precision)
    if layer.get_attr("pool_op") == "Max":
        pad = _pad_value(data_precision) if pads else None
        return quantize_var(max_value(cells, pad), acc)
    y, mode = accumulate(cells, acc)  # Average (_check_format)
    modes.add(f"{mode}, / {length}")
    return divide(layer, y, length, acc)


def _record(layer, ctx: TraceContext, modes: set) -> None:
    """The average's accumulator record for the report (`rtl.accumulators`)."""
    if modes:
        ctx.checks[layer.name] = dict(accum=str(layer.get_attr("accum_t").precision), mode="; ".join(sorted(modes)))


def _check_format(layer) -> None:
    fmt = layer.get_attr("data_format", "channels_last")
    if fmt != "channels_last":
        raise Unsupported(layer.name, layer.class_name, f"data_format {fmt}; the RTL path takes channels_last")
    op = layer.get_attr("pool_op")
    if op not in ("Max", "Average"):
        raise Unsupported(layer.name, layer.class_name, f"pool_op {op!r}; supported: Max, Average")


@handles("Pooling1D", "Pooling2D")
def pooling(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    _check_format(layer)
    data = np.asarray(x)
    if layer.class_name == "Pooling1D":
        data = data[None]  # one row
    try:
        grid, size = _windows(layer, data.shape[:2])
    except ValueError as exc:
        raise Unsupported(layer.name, layer.class_name, str(exc)) from exc
    want = output_shape(layer)
    got = (len(grid), len(grid[0]), data.shape[-1])
    got = got[1:] if layer.class_name == "Pooling1D" else got
    if got != want:
        raise Unsupported(
            layer.name, layer.class_name, f"nnet::pooling's loops give {got} outputs, hls4ml's variable is {want}"
        )
    count_pad = bool(layer.get_attr("count_pad", False))
    prec = layer.get_input_variable().type.precision
    res = precision_spec(output_precision(layer))
    out = np.empty((len(grid), len(grid[0]), data.shape[-1]), dtype=object)
    modes: set[str] = set()
    for r, row in enumerate(grid):
        for c, (cells, pads) in enumerate(row):
            length = size if count_pad else len(cells)
            for ch in range(data.shape[-1]):
                vals = [data[i, j, ch] for i, j in cells]
                out[r, c, ch] = quantize_var(_pool(layer, vals, pads, length, prec, modes), res)
    _record(layer, ctx, modes)
    return fv_array(out.reshape(want), x)


@handles("GlobalPooling1D", "GlobalPooling2D")
def global_pooling(layer, inputs: list[FVArray], ctx: TraceContext) -> FVArray:
    x = single(layer, inputs)
    _check_format(layer)
    data = np.asarray(x)
    n_filt = data.shape[-1]
    want = output_shape(layer)
    if int(np.prod(want)) != n_filt:
        raise Unsupported(layer.name, layer.class_name, f"output {want} for {n_filt} channels")
    cells = data.reshape(-1, n_filt)  # row-major over the image: hls4ml's order
    prec = layer.get_input_variable().type.precision
    res = precision_spec(output_precision(layer))
    modes: set[str] = set()
    out = np.array(
        [quantize_var(_pool(layer, list(cells[:, ch]), 0, len(cells), prec, modes), res) for ch in range(n_filt)],
        dtype=object,
    )
    _record(layer, ctx, modes)
    return fv_array(out.reshape(want), x)
