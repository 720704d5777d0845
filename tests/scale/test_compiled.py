"""The firmware model compiled to C gives alkaid's interpreter's numbers exactly, on every op it translates, and a
wrong translation is caught (before a run, and chunk by chunk)."""

from __future__ import annotations

import collections

import numpy as np
import pytest
from alkaid.trace import FVArrayInput, HWConfig, trace
from alkaid.trace.fixed_variable import FVariable, LookupTable

from trigger.errors import CheckFailed, InputError
from trigger.scale import compiled
from trigger.scale.firmware import COMB, FirmwareModel


def _program():
    """A small alkaid program with every op the translation covers (sums, relu, quantize that wraps, msb-mux,
    product, negation, constant add, constant, table lookup)."""
    rng = np.random.default_rng(0)
    inp = FVArrayInput((6,), hwconf=HWConfig(1, -1, -1))
    x = inp.quantize(1, 3, 5)
    h = (x @ rng.integers(-64, 64, (6, 8)) / 16 + rng.integers(-8, 8, 8) / 4).relu(i=4, f=3)
    y = np.asarray(h.quantize(1, 2, 4))  # narrower than h: wraps
    table = LookupTable(np.tanh(np.arange(-32, 32) / 16))
    const = FVariable.from_const(1.25, hwconf=HWConfig(1, -1, -1))
    out = [y[0].max_of(y[1]), y[2] * y[3], -y[4], y[5].lookup(table), y[6] + 0.375, y[7], const]
    return trace(np.ravel(np.asarray(inp)), np.array(out, dtype=object))


@pytest.fixture(scope="module")
def program():
    return _program()


def _inputs(n: int = 20_000) -> np.ndarray:
    """On the grid and far off it (the program truncates and wraps its inputs, as alkaid's predict does)."""
    rng = np.random.default_rng(1)
    return np.concatenate([rng.normal(0, 3, (n // 2, 6)), rng.uniform(-300, 300, (n // 2, 6))])


def test_every_op_equals_the_interpreter(program, tmp_path):
    codes = collections.Counter(op.opcode for op in program.ops)
    assert {-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8} <= set(codes), codes
    library = compiled.build(program, cache=tmp_path)
    x = _inputs()
    np.testing.assert_array_equal(compiled.predict(library, program, x), program.predict(x, n_threads=1))


def test_a_sum_on_a_coarser_grid_than_its_terms(program, tmp_path):
    """v + v lies on a grid twice as coarse as v's (alkaid's solver writes such sums): summed at v's scale,
    then shifted exactly onto the op's grid."""
    from alkaid.types import Op, QInterval

    a = next(i for i, op in enumerate(program.ops) if op.opcode == 0 and op.qint.step < 1)
    q = program.ops[a].qint
    double = Op((a, a), 11, (1, 0, 1, 0), QInterval(2 * q.min, 2 * q.max, 2 * q.step), 0.0, 0.0)
    comb = program._replace(
        shape=(program.shape[0], program.shape[1] + 1),
        ops=[*program.ops, double],
        out_idxs=[*program.out_idxs, len(program.ops)],
        out_shifts=[*program.out_shifts, 0],
        out_negs=[*program.out_negs, False],
    )
    line = next(ln for ln in compiled.c_source(comb).splitlines() if f"v[{len(program.ops) * compiled.W} + j] =" in ln)
    assert line.endswith(") >> 1);"), line
    x = _inputs()
    np.testing.assert_array_equal(
        compiled.predict(compiled.build(comb, cache=tmp_path), comb, x), comb.predict(x, n_threads=1)
    )


def test_the_build_is_cached(program, tmp_path):
    first = compiled.build(program, cache=tmp_path)
    mtime = first.stat().st_mtime_ns
    assert compiled.build(program, cache=tmp_path) == first and first.stat().st_mtime_ns == mtime
    assert [p.name for p in tmp_path.iterdir()] == [first.name]  # no C file or partial library left behind


def _no_truncation(monkeypatch):
    """A deliberately wrong translation: quantize/relu keep the fractional bits they should drop."""
    shift = compiled._shift
    monkeypatch.setattr(compiled, "_shift", lambda expr, n: expr if n < 0 else shift(expr, n))


def test_a_wrong_translation_is_seen(program, tmp_path, monkeypatch):
    _no_truncation(monkeypatch)
    library = compiled.build(program, cache=tmp_path)
    x = _inputs()
    assert not np.array_equal(compiled.predict(library, program, x), program.predict(x, n_threads=1))


def test_what_cannot_be_translated_says_why(program, monkeypatch):
    monkeypatch.setattr(compiled, "MAX_BITS", 8)
    with pytest.raises(compiled.NotCompilable, match=r"op \d+: \d+ bits \(at most 8\)"):
        compiled.c_source(program)
    monkeypatch.setattr(compiled, "compiler", lambda: None)
    with pytest.raises(compiled.NotCompilable, match="no C compiler"):
        compiled.build(program)


def test_a_table_index_outside_its_table_is_an_error(tmp_path, monkeypatch):
    inp = FVArrayInput((1,), hwconf=HWConfig(1, -1, -1))
    prog = trace(np.ravel(np.asarray(inp)), np.array([inp.quantize(1, 2, 2)[0].lookup(LookupTable(np.arange(32) / 8))]))
    source = compiled.c_source(prog).replace("if (i < 0 || i >= n)", "if (i < 0 || i >= n - 4)")  # a shorter table
    monkeypatch.setattr(compiled, "c_source", lambda comb: source)
    library = compiled.build(prog, cache=tmp_path)
    with pytest.raises(RuntimeError, match="lookup-table index fell outside"):
        compiled.predict(library, prog, np.array([[3.75]]))


@pytest.mark.slow
def test_a_project_runs_compiled_after_the_check(tiny_plain):
    model = FirmwareModel.open(tiny_plain)
    assert model.backend == "compiled" and "equal to its interpreter" in model.backend_note
    raw, _ = model.run(np.load(tiny_plain / "vectors" / "inputs.npy"))
    expected = np.load(tiny_plain / "vectors" / "rtl_expected_raw.npy")
    np.testing.assert_array_equal(raw, expected.reshape(len(expected), -1))
    assert FirmwareModel.open(tiny_plain, backend="interpreter").backend == "interpreter"
    with pytest.raises(InputError, match="--backend fast: choose one of auto, compiled, interpreter"):
        FirmwareModel.open(tiny_plain, backend="fast")


@pytest.mark.slow
def test_a_translation_unequal_on_the_vectors_is_refused(tiny_plain, monkeypatch):
    _no_truncation(monkeypatch)
    with pytest.raises(CheckFailed, match="differs from alkaid's interpreter on the compile's"):
        FirmwareModel.open(tiny_plain, backend="compiled")
    model = FirmwareModel.open(tiny_plain)  # auto: the interpreter, saying why
    assert model.backend == "interpreter" and "differs from alkaid's interpreter" in model.backend_note


@pytest.mark.slow
def test_a_program_it_cannot_translate_runs_on_the_interpreter(tiny_plain, monkeypatch):
    monkeypatch.setattr(compiled, "MAX_BITS", 4)
    with pytest.raises(InputError, match=r"comb\.json\.gz: cannot be compiled to C: op \d+"):
        FirmwareModel.open(tiny_plain, backend="compiled")
    model = FirmwareModel.open(tiny_plain)
    assert model.backend == "interpreter" and model.backend_note.startswith("not compiled to C: op ")


@pytest.mark.slow
def test_every_chunk_is_checked_against_the_interpreter(tiny_plain, tmp_path, monkeypatch):
    """A library of a different program (the project's with one constant changed) is caught on the chunk."""
    from alkaid.types import CombLogic

    from trigger.scale import firmware

    model = FirmwareModel.open(tiny_plain)
    comb = CombLogic.load(str(tiny_plain / COMB))
    k = next(i for i, op in enumerate(comb.ops) if op.opcode == 4 and comb.ref_count[i])
    ops = list(comb.ops)
    ops[k] = ops[k]._replace(data=(ops[k].data[0] + 1, ops[k].data[1]))
    other = compiled.build(comb._replace(ops=ops), cache=tmp_path)
    x = np.load(tiny_plain / "vectors" / "inputs.npy")
    monkeypatch.setattr(firmware, "_library", lambda comb_path: other)
    with pytest.raises(CheckFailed, match="differs from alkaid's interpreter on this chunk's first rows"):
        model.run(x)
    monkeypatch.undo()
    raw, _ = model.run(x)  # the project's own library passes
    np.testing.assert_array_equal(raw, np.load(tiny_plain / "vectors" / "rtl_expected_raw.npy").reshape(len(x), -1))


@pytest.mark.slow
def test_trigger_emulate_refuses_an_unequal_translation_with_exit_3(tiny_plain, tmp_path, monkeypatch, capsys):
    from trigger.scale.emulate_cli import main

    _no_truncation(monkeypatch)
    out = tmp_path / "o.npz"
    x = tiny_plain / "vectors" / "inputs.npy"
    assert main([str(tiny_plain), str(x), "--out", str(out), "--backend", "compiled", "--workers", "1"]) == 3
    assert "differs from alkaid's interpreter on the compile's 50 vectors" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written, no staging left
