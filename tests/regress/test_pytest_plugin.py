"""The pytest plugin in a user's repository (tests/regress/sample_repo), run with pytester: pass and failure."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_check import change_one_weight_by_one_lsb

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).parent / "sample_repo"


@pytest.fixture
def user_repo(tiny_plain, pytester, tiny_files, compile_cli) -> Path:
    """The sample repository with its model compiled and golden vectors recorded.

    `tiny_plain` (a session compile) comes first so that hls4ml and its stack are imported before
    pytester snapshots sys.modules: its teardown would otherwise unload them between the two tests.
    """
    from trigger.cli import regress_main

    root = pytester.path
    shutil.copytree(SAMPLE, root, dirs_exist_ok=True)
    (root / "models").mkdir()
    shutil.copy(tiny_files.h5, root / "models" / "tiny.h5")
    args = ["--target", "xcvu9p", "-o", root / "models" / "tiny_prj", "--no-cosim", "--no-synth", "--n-vectors", 50]
    assert compile_cli(root / "models" / "tiny.h5", *args).code == 0
    assert regress_main(["record", str(root / "models" / "tiny_prj")]) == 0
    return root


def test_plugin_passes_on_unchanged_model(user_repo, pytester):
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_plugin_fails_readably_after_a_one_lsb_change(user_repo, pytester, tiny_files, compile_cli):
    model = user_repo / "models" / "tiny.h5"
    change_one_weight_by_one_lsb(tiny_files.model, model)
    project = user_repo / "models" / "tiny_prj"
    assert compile_cli(model, "--target", "xcvu9p", "-o", project, "--force", "--no-cosim", "--no-synth").code == 0
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*emulation (C simulation) differs from the golden outputs*",
            "*first differing: vector *, lane *",
            "| vector | lane | expected raw | got raw | expected | got |",
        ]
    )
    assert "Traceback" not in result.stdout.str()  # a failure message, not a stack dump
