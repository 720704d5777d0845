"""trigger-cosim's handling of bad input (no simulator needed)."""

from __future__ import annotations

import pytest


def test_not_a_project_is_exit_code_2(tmp_path, capsys):
    from trigger.cli import cosim_main

    assert cosim_main([str(tmp_path)]) == 2
    assert f"{tmp_path}: no report.json" in capsys.readouterr().err


def test_project_without_rtl_is_exit_code_2(tmp_path, capsys):
    from trigger.cli import cosim_main

    (tmp_path / "report.json").write_text("{}")
    assert cosim_main([str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no rtl/design.json" in err and "RTL stage" in err and "Traceback" not in err


def test_idle_fraction_of_one_is_refused(tmp_path, capsys):
    from trigger.cli import cosim_main

    with pytest.raises(SystemExit) as exc:
        cosim_main([str(tmp_path), "--idle-fraction", "1"])
    assert exc.value.code == 2 and "must be below 1" in capsys.readouterr().err
