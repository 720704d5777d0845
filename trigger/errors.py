"""Exceptions that map onto the command-line exit codes."""


class TriggerError(Exception):
    """Base class; `exit_code` is what the command line returns."""

    exit_code = 1


class InputError(TriggerError):
    """Bad usage or bad input: names the file, node/layer and reason (exit code 2)."""

    exit_code = 2


class CheckFailed(TriggerError):
    """A verification check failed: mismatch, over budget, does not fit (exit code 3)."""

    exit_code = 3
