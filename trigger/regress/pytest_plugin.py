"""pytest plugin (entry point `pytest11: trigger`): check golden vectors from a user's own test suite.

    def test_jet_tagger(trigger_golden):
        trigger_golden("models/jet_tagger")   # a trigger-compile project with vectors/golden.*

Project and model paths are taken relative to the test file. The check rebuilds the emulation from the
project's model file and configuration and fails with the mismatch table when any raw output differs.
`pytest --trigger-cosim` also co-simulates the rebuilt RTL in every check.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("trigger", "trigger golden-vector checks")
    group.addoption(
        "--trigger-cosim", action="store_true", help="trigger_golden: also co-simulate the rebuilt RTL (slower)"
    )


@pytest.fixture
def trigger_golden(request: pytest.FixtureRequest):
    """`trigger_golden(project, cosim=None, model=None)`: assert the project's golden vectors still hold."""
    default_cosim = bool(request.config.getoption("--trigger-cosim"))
    here = Path(request.path).parent

    def check_project(project: str | Path, cosim: bool | None = None, model: str | Path | None = None):
        from trigger.errors import TriggerError
        from trigger.regress.check import check

        def near(p: str | Path) -> Path:
            return Path(p) if Path(p).is_absolute() else here / p

        path = near(project)
        use_cosim = default_cosim if cosim is None else cosim
        try:
            result = check(path, use_cosim, model=near(model) if model is not None else None)
        except TriggerError as exc:
            pytest.fail(f"trigger golden check of {path}: {exc}", pytrace=False)
        if not result.passed:
            pytest.fail(result.message(), pytrace=False)
        return result

    return check_project
