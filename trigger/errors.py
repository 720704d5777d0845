"""Exceptions that map onto the command-line exit codes."""


class TriggerError(Exception):
    """Base class; `exit_code` is what the command line returns."""

    exit_code = 1


class InputError(TriggerError):
    """Bad usage or bad input: names the file, node/layer and reason (exit code 2)."""

    exit_code = 2


class CheckFailed(TriggerError):
    """A verification check failed: mismatch, over budget, does not fit (exit code 3).

    Raised by `trigger.compile` after the project was written: `project` is the `trigger.Project`
    and `report` its report.json (None where no project exists, e.g. `trigger-regress check`).
    """

    exit_code = 3

    def __init__(self, message: str, project=None):
        super().__init__(message)
        self.project = project

    @property
    def report(self) -> dict | None:
        return None if self.project is None else self.project.report
