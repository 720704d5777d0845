"""alkaid's ALIR program compiled to C: the firmware model's integer operations as straight-line code.

alkaid runs a project's `CombLogic` (`rtl/model/comb.json.gz`) in a C++ interpreter, one op at a time; its own
C++ export (`alkaid.codegen.hls.HLSModel`) uses ap_fixed and runs ~1k events/s, its Verilator model
(`RTLModel`) takes minutes to build and is barely faster than the interpreter (measured: docs/emulate.md).
Here every op becomes one C statement on the op's raw integer (value x 2^f, f its fractional bits), with
alkaid's semantics: sums and products exact, relu/quantize/msb-mux truncate (TRN) and wrap to the op's bits,
tables indexed from the key's minimum.  Each statement runs over a block of `W` events (one int64 per event),
which the compiler turns into vector instructions for this machine (`-march=native`; the library is cached per
source, compiler and CPU).  The statements are split into functions of `SEGMENT` ops: the compiler's time grows
faster than linearly with a function's size.

The C is not trusted on its own: `FirmwareModel` checks it equal to alkaid's interpreter on the compile's
vectors before a run and on the first rows of every chunk (`firmware.py`).  A program this code cannot
express exactly (an op wider than 62 bits, a bit-op, a masked table, input shifts) raises `NotCompilable`.
"""

from __future__ import annotations

import ctypes
import hashlib
import math
import os
import platform
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np

from trigger.cache_root import cache_dir

SEGMENT = 500
W = 16  # events per block
CFLAGS = ("-O2", "-shared", "-fPIC")
NATIVE = ("-march=native",)  # dropped when the compiler refuses it
MAX_BITS = 62
INPUT_LIMIT = 2.0**52  # |input x 2^f| below this: converted in C (exact); above: wrapped in numpy first


class NotCompilable(Exception):
    """The program uses something the C translation does not express exactly (the message says what)."""


def compiler() -> str | None:
    """The C compiler: `$CC`, else gcc, else cc; None when there is none."""
    for name in (os.environ.get("CC"), "gcc", "cc"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _kif(op, i: int) -> tuple[int, int, int]:
    k, n_int, f = (int(v) for v in op.qint.kif)
    if op.qint.step != 2.0**-f:
        raise NotCompilable(f"op {i}: step {op.qint.step} is not 2^-{f}")
    if k + n_int + f > MAX_BITS:
        raise NotCompilable(f"op {i}: {k + n_int + f} bits (at most {MAX_BITS})")
    return k, n_int, f


def _shift(expr: str, n: int) -> str:
    """expr x 2^n; for n < 0 an arithmetic shift right, i.e. floor (TRN)."""
    if n == 0:
        return expr
    return f"(({expr}) * {1 << n}LL)" if n > 0 else f"(({expr}) >> {-n})"


def _wrap(expr: str, signed: int, bits: int) -> str:
    """expr wrapped into `bits` bits (two's complement when signed)."""
    if bits <= 0:
        return "0LL"
    mask = (1 << bits) - 1
    if not signed:
        return f"(({expr}) & {mask}LL)"
    bias = 1 << (bits - 1)
    return f"(((({expr}) + {bias}LL) & {mask}LL) - {bias}LL)"


def _fits(comb, a: int, lshift: int, signed: int, bits: int) -> bool:
    """Whether op a's raw values x 2^lshift (floored) lie in `bits` bits: then a wrap to them changes nothing."""
    q = comb.ops[a].qint
    lo, hi = (np.floor(v / q.step * 2.0**lshift) for v in (q.min, q.max))
    top = 2.0 ** (bits - 1) if signed else 2.0**bits
    return (-top if signed else 0.0) <= lo and hi <= top - 1


def _table(comb, op, i: int, f: int) -> np.ndarray:
    """The op's table as raw integers at its fractional bits."""
    table = comb.lookup_tables[op.data[0]]
    if table.mask is not None and np.any(table.mask):
        raise NotCompilable(f"op {i}: a lookup table with masked entries")
    raw = table.float_table * 2.0**f
    if not np.array_equal(raw, np.round(raw)):
        raise NotCompilable(f"op {i}: table values off the op's grid")
    return raw.astype(np.int64)


def _statement(comb, kifs: list, i: int, tables: list) -> str:
    """One op as a C assignment to v[i]."""
    op = comb.ops[i]
    k, n_int, f = kifs[i]

    widths = [k + n_int + f]  # every intermediate's bits: all must fit in int64 with room for the sums

    def v(a: int) -> str:
        return f"v[{a * W} + j]"

    def at(a: int, extra: int = 0) -> int:  # left shift that puts op a's raw (x 2^extra) at this op's bits
        n = extra + f - kifs[a][2]
        widths.append(sum(kifs[a]) + max(n, 0))
        return n

    def exact_sum(terms: list[tuple[str, int, int, int, bool]]) -> str:
        """The sum of +/-(expr x 2^shift) over terms (expr, its bits, its fractional bits, shift, plus), exact at
        the finest scale of the terms, then put on this op's grid: an exact shift, as alkaid's interval says the
        sum lies on that grid even where a term alone does not (2 x v, for v on a finer grid)."""
        fine = max([f] + [tf - sh for _, _, tf, sh, _ in terms])
        parts = []
        for expr, bits, tf, sh, plus in terms:
            widths.append(bits + sh + fine - tf)
            parts.append(f"{'+' if plus else '-'} {_shift(expr, sh + fine - tf)}")
        return " ".join(parts) if fine == f else f"(({' '.join(parts)}) >> {fine - f})"

    def truncate_wrap(expr: str, a: int, n: int, signed: int, bits: int) -> str:
        """expr (op a's value, or a function of it within its range) x 2^n, floored, wrapped to `bits` bits; the
        wrap is left out where op a's range already fits."""
        return _shift(expr, n) if _fits(comb, a, n, signed, bits) else _wrap(_shift(expr, n), signed, bits)

    def term(a: int, shift: int = 0, plus: bool = True) -> tuple:
        return v(a), sum(kifs[a]), kifs[a][2], shift, plus

    code = op.opcode
    if code == -1:
        e = f"in[{op.data[0] * W} + j]"
    elif code == -2:
        e = exact_sum([term(op.addr[0], plus=False)])
    elif code in (0, 1):
        a, b = op.addr
        e = exact_sum([term(a), term(b, op.data[0], code == 0)])
    elif code == 11:
        e = exact_sum([term(a, op.data[2 * t + 1], bool(op.data[2 * t])) for t, a in enumerate(op.addr)])
    elif code == 2:  # relu, TRN to f, wrap to i + f unsigned bits
        a = op.addr[0]
        e = truncate_wrap(f"({v(a)} > 0 ? {v(a)} : 0LL)", a, at(a), 0, n_int + f)
    elif code == 3:  # quantize(x * 2^shift), TRN, WRAP
        a = op.addr[0]
        e = truncate_wrap(v(a), a, at(a, op.data[0]), k, k + n_int + f)
    elif code == 4:  # + constant data[0] x 2^-data[1]
        a, (c, cf) = op.addr[0], op.data
        e = exact_sum([term(a), (f"{c}LL", abs(int(c)).bit_length() + 1, int(cf), 0, True)])
    elif code == 5:
        e = f"{op.data[0]}LL"
    elif code == 6:  # msb(cond) ? a : b x 2^shift, quantized TRN/WRAP to the op
        a, b, c = op.addr
        kc, ic, fc = kifs[c]
        if comb.ops[c].qint.min < 0:
            cond = f"{v(c)} < 0"
        elif ic - 1 + fc >= 0:
            cond = f"{v(c)} >= {1 << (ic - 1 + fc)}LL"
        else:
            raise NotCompilable(f"op {i}: msb-mux condition without an integer msb")
        e = _wrap(f"({cond} ? {_shift(v(a), at(a))} : {_shift(v(b), at(b, op.data[0]))})", k, k + n_int + f)
    elif code == 7:
        a, b = op.addr
        e = exact_sum([(f"({v(a)} * {v(b)})", sum(kifs[a]) + sum(kifs[b]), kifs[a][2] + kifs[b][2], 0, True)])
    elif code == 8:
        a = op.addr[0]
        key = comb.ops[a].qint
        tables.append(_table(comb, op, i, f))
        e = f"lut(t{len(tables) - 1}, {len(tables[-1])}, {v(a)} - ({round(key.min / key.step)}LL), err)"
    else:
        raise NotCompilable(f"op {i}: opcode {code} (bit operations) is not translated")
    need = max(widths) + math.ceil(math.log2(max(len(op.addr), 1)))
    if need > MAX_BITS:
        raise NotCompilable(f"op {i}: an intermediate of {need} bits (at most {MAX_BITS})")
    return f"for (int j = 0; j < W; j++) v[{i * W} + j] = {e};"


def c_source(comb) -> str:
    """C for `int run(const double *x, double *out, int64_t n)`: inputs (n, n_in), each truncated and wrapped
    to its input op's type as alkaid's `predict` does (|x| x 2^f < INPUT_LIMIT), to outputs (n, n_out) as
    `predict` gives them; returns nonzero when a table index fell outside its table."""
    if any(int(s) != 0 for s in comb.inp_shifts):
        raise NotCompilable("input shifts")
    kifs = [_kif(op, i) for i, op in enumerate(comb.ops)]
    live = comb.ref_count
    tables: list[np.ndarray] = []
    body = [_statement(comb, kifs, i, tables) for i, op in enumerate(comb.ops) if live[i] or op.opcode == -1]
    n_in, n_out = comb.shape
    segments = [body[a : a + SEGMENT] for a in range(0, len(body), SEGMENT)]
    funcs = [
        f"static void seg{s}(int64_t *restrict v, const int64_t *restrict in, int *err) {{\n    "
        + "\n    ".join(lines)
        + "\n}"
        for s, lines in enumerate(segments)
    ]
    reads = []
    for lane, q in enumerate(comb.inp_qint):
        k, n_int, f = (int(t) for t in q.kif)
        raw = f"(int64_t)floor(x[(e + j) * {n_in} + {lane}] * {2.0**f!r})"
        reads.append(f"for (int j = 0; j < m; j++) in[{lane * W} + j] = {_wrap(raw, k, k + n_int + f)};")
    outs = []
    for o, (idx, shift, neg) in enumerate(zip(comb.out_idxs, comb.out_shifts, comb.out_negs, strict=True)):
        value = "0.0"
        if idx >= 0 and sum(kifs[idx]) > 53:
            raise NotCompilable(f"output {o}: {sum(kifs[idx])} bits do not fit a double exactly")
        if idx >= 0:
            value = f"(double)v[{idx * W} + j] * {2.0 ** (int(shift) - kifs[idx][2]) * (-1.0 if neg else 1.0)!r}"
        outs.append(f"for (int j = 0; j < m; j++) out[(e + j) * {n_out} + {o}] = {value};")
    tabs = [
        f"static const int64_t t{n}[{len(t)}] = {{{','.join(map(str, t.tolist()))}}};" for n, t in enumerate(tables)
    ]
    calls = " ".join(f"seg{s}(v, in, &err);" for s in range(len(funcs)))
    nl, indent = "\n", "\n        "
    return f"""/* generated by trigger.scale.compiled from an alkaid CombLogic: {len(comb.ops)} ops */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#define W {W}
{nl.join(tabs)}
static inline int64_t lut(const int64_t *t, int64_t n, int64_t i, int *err) {{
    if (i < 0 || i >= n) {{ *err = 1; return 0; }}
    return t[i];
}}
{nl.join(funcs)}
int run(const double *x, double *out, int64_t n) {{
    int err = 0;
    int64_t *v = calloc({max(len(comb.ops), 1) * W}, sizeof(int64_t));
    int64_t *in = calloc({max(n_in, 1) * W}, sizeof(int64_t));
    if (!v || !in) {{ free(v); free(in); return 2; }}
    for (int64_t e = 0; e < n; e += W) {{
        const int m = n - e < W ? (int)(n - e) : W;  /* the last block: rows m..W-1 hold the previous block's */
        {indent.join(reads)}
        {calls}
        {indent.join(outs)}
    }}
    free(v);
    free(in);
    return err;
}}
"""


def raw_inputs(comb, x: np.ndarray) -> np.ndarray:
    """(n, n_in) values -> int64 raw integers at each input op's bits, truncated and wrapped as alkaid's
    `predict` does with its inputs."""
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    out = np.empty(x.shape, dtype=np.int64)
    for j, q in enumerate(comb.inp_qint):
        k, i, f = (int(v) for v in q.kif)
        bits = k + i + f
        bias = 2.0 ** (bits - 1) * k
        out[:, j] = np.mod(np.floor(x[:, j] * 2.0**f) + bias, 2.0**bits) - bias
    return out


def _machine() -> str:
    """What `-march=native` depends on: the CPU's architecture, model and feature flags."""
    lines = []
    try:
        text = Path("/proc/cpuinfo").read_text()
        lines = [ln for ln in text.splitlines() if ln.startswith(("model name", "flags", "Features"))][:2]
    except OSError:
        pass
    return "\n".join([platform.machine(), platform.processor(), *lines])


def build(comb, cache: Path | None = None) -> Path:
    """The compiled library for `comb` on this machine, built once per source, compiler and CPU (cached; written
    atomically).  Raises NotCompilable (the program, or no C compiler) and RuntimeError (the compiler failed)."""
    cc = compiler()
    if cc is None:
        raise NotCompilable("no C compiler (gcc, cc or $CC) on PATH")
    src = c_source(comb)
    version = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
    key = hashlib.sha256("\n".join([src, *version, *CFLAGS, *NATIVE, _machine()]).encode()).hexdigest()[:20]
    where = (cache or cache_dir() / "emulate") / f"comb-{key}.so"
    if where.is_file():
        return where
    where.parent.mkdir(parents=True, exist_ok=True)
    c_file = where.with_name(f".{where.stem}-{os.getpid()}.c")
    tmp = where.with_name(f".{where.name}.{os.getpid()}.tmp")
    c_file.write_text(src)
    try:
        for flags in ((*CFLAGS, *NATIVE), CFLAGS):
            done = subprocess.run([cc, *flags, "-o", str(tmp), str(c_file), "-lm"], capture_output=True, text=True)
            if done.returncode == 0:
                break
        else:
            raise RuntimeError(f"{cc} failed on the generated C: {done.stderr.strip()[-2000:]}")
        os.replace(tmp, where)
    finally:
        c_file.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return where


@lru_cache(maxsize=4)
def _library(path: str):
    lib = ctypes.CDLL(path)
    lib.run.restype = ctypes.c_int
    lib.run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64]
    return lib


def predict(library: Path, comb, x: np.ndarray) -> np.ndarray:
    """Outputs (n, n_out) of the compiled program, as alkaid's `CombLogic.predict(x)` gives them."""
    x = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(len(x), -1))
    fracs = np.array([int(q.kif[2]) for q in comb.inp_qint], dtype=np.float64)
    if not (np.abs(x) * 2.0**fracs < INPUT_LIMIT).all():  # far outside the input types: wrap here, exactly
        x = np.ascontiguousarray(raw_inputs(comb, x) * 2.0**-fracs)
    out = np.empty((len(x), comb.shape[1]), dtype=np.float64)
    err = _library(str(library)).run(x.ctypes.data, out.ctypes.data, len(x))
    if err == 1:
        raise RuntimeError(f"{library}: a lookup-table index fell outside its table")
    if err:
        raise MemoryError(f"{library}: could not allocate its value buffer")
    return out
