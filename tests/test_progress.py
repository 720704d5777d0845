"""Stage lines and a long stage's progress on the terminal."""

from __future__ import annotations

from trigger.progress import StageClock


def test_progress_lines_without_a_terminal(capsys, monkeypatch):
    clock = StageClock(["rtl", "synth"])
    monkeypatch.setattr(StageClock, "PROGRESS_EVERY_S", 0.0)
    with clock.stage("synth"):
        clock.progress("yosys   1 s: ABC (17.42)")
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "[2/2] synth    ..." and lines[1] == "    yosys   1 s: ABC (17.42)"
    assert lines[2].startswith("[2/2] synth    ...") and lines[2].endswith(" s") and "synth" in clock.seconds


def test_progress_is_rate_limited_in_a_log(capsys):
    clock = StageClock(["synth"])
    with clock.stage("synth"):
        clock.progress("first")  # within PROGRESS_EVERY_S of the stage's start: not printed
    assert "first" not in capsys.readouterr().out
