"""Fuzzing trigger-compile in-process: seeded mutants of small corpus models and of the command line.

Each mutant (tests/fuzz/mutants.py) is written into its own temporary directory, which is also the cwd,
and compiled with `--stop-after hls`.  The oracle (`mutants.judge`): exit code 0, 2 or 3 (argparse's
SystemExit(2) counts as 2; exit 1 is an internal error); no traceback; no staging directory left; after
exit 2 nothing created or removed; the input files unchanged; a model with NaN/Inf parameters, or an
input invalid beyond doubt, never accepted with exit 0.  benchmarks/fuzz.py runs more of them, each in
a subprocess.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mutants import FINDING_CLASSES, KINDS, VALID_16, Finding, Mutant, generate, judge, run_in_process, snapshot

SEED = 0
N_MUTANTS = 273  # three walks over the 91 (kind, variant) pairs
MUTANTS = generate(N_MUTANTS, SEED)


def _run(m: Mutant, root: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture) -> list[Finding]:
    root.mkdir()
    argv = m.materialise(root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("TRIGGER_DEBUG", raising=False)  # tracebacks are printed on request only
    before = snapshot(root)
    try:
        code, escaped = run_in_process(argv)
        after = snapshot(root)
    finally:
        m.restore_modes(root)
    out, err = capfd.readouterr()
    return judge(m, code, out + err + escaped, before, after)


@pytest.mark.parametrize("m", MUTANTS, ids=[m.id for m in MUTANTS])
def test_mutant(m: Mutant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture) -> None:
    if m.needs_nonroot and os.geteuid() == 0:
        pytest.skip("running as root: directory permissions are not enforced")
    findings = _run(m, tmp_path / "case", monkeypatch, capfd)
    assert not findings, f"{m.id} ({m.description}):\n" + "\n".join(f"  [{f.cls}] {f.message}" for f in findings)


@pytest.mark.parametrize("name", VALID_16)
def test_unmutated_source_compiles(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture
) -> None:
    """The control: the sources themselves compile with exit 0, so a rejection is the mutation's doing."""
    from mutants import _argv, _valid_files

    files, rel = _valid_files(name)
    m = Mutant(id=name, kind="control", description="unmutated", files=files, argv=_argv(rel))
    root = tmp_path / "case"
    root.mkdir()
    argv = m.materialise(root)
    monkeypatch.chdir(root)
    code, escaped = run_in_process(argv)
    out, err = capfd.readouterr()
    assert code == 0, out + err + escaped
    assert (root / "proj" / "report.json").is_file()


def test_generator_is_seeded_and_covers_every_kind() -> None:
    again = generate(N_MUTANTS, SEED)
    assert [(m.id, m.files, m.argv) for m in again] == [(m.id, m.files, m.argv) for m in MUTANTS]
    assert generate(10, SEED) == MUTANTS[:10]  # mutant i does not depend on n
    assert generate(10, SEED + 1) != MUTANTS[:10]
    assert {m.kind for m in MUTANTS} == {kind for kind, _, _ in KINDS}
    assert len({m.id for m in MUTANTS}) == len(MUTANTS)


def test_oracle_flags_what_it_should(tmp_path: Path) -> None:
    """The oracle is not vacuous: each finding class fires on a made-up run."""
    m = Mutant(id="x", kind="x", description="d", files={"m.onnx": b"1"}, argv=(), nonfinite=True, must_reject=False)
    (tmp_path / "m.onnx").write_bytes(b"1")
    before = snapshot(tmp_path)
    assert judge(m, 2, "", before, before) == []
    (tmp_path / "m.onnx").write_bytes(b"2")
    (tmp_path / ".p.partial-1").mkdir()
    found = judge(m, 0, "Traceback (most recent call last):\n  boom", before, snapshot(tmp_path))
    assert {f.cls for f in found} == {"traceback", "leftover", "input-changed", "nonfinite-accepted"}
    (tmp_path / ".p.partial-1").rmdir()
    (tmp_path / "m.onnx").write_bytes(b"1")
    (tmp_path / "a").mkdir()
    found = judge(m, 2, "", before, snapshot(tmp_path))
    assert [f.cls for f in found] == ["leftover"]
    assert [f.cls for f in judge(m, 1, "", before, before)] == ["crash"]
    assert [f.cls for f in judge(m, -11, "", before, before)] == ["crash"]
    invalid = Mutant(id="y", kind="y", description="d", files={}, argv=(), must_reject=True)
    assert [f.cls for f in judge(invalid, 0, "", before, before)] == ["accepted-invalid"]
    assert set(FINDING_CLASSES) >= {"crash", "traceback", "leftover", "nonfinite-accepted", "input-changed"}
