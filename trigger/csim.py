"""hls4ml's C simulation, run in a forked child so that native code that aborts cannot take trigger down.

`ModelGraph.trace` writes the project, builds it with g++, loads the library with ctypes and calls the
top function once per vector.  The writing and building stay in this process (their errors are ordinary
Python exceptions); loading and running the library happen in a child made by `os.fork`, which sends
the traced arrays back through a pipe (pickle protocol 5, streamed: hundreds of MB are fine).  The child
only runs ctypes and numpy code (never TensorFlow, whose threads do not survive a fork) and leaves by
`os._exit`, so no atexit handler of the parent runs twice.  Its garbage collector is off: a collection in
the child would finalise the parent's cyclic garbage, and a TensorFlow object finalised there (a resource
variable's `__del__` runs an eager op) kills the child with SIGSEGV -- seen in CI, depending on what earlier
tests in the same process left behind.
"""

from __future__ import annotations

import ctypes
import faulthandler
import gc
import os
import pickle
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from trigger.errors import InputError

Trace = tuple[np.ndarray, dict[str, np.ndarray]]


class CsimCrashed(InputError):
    """The C simulation's process was killed by a signal (an assertion in ap_fixed, a segfault, ...)."""

    def __init__(self, signal_name: str, description: str, last_words: str = ""):
        self.signal_name = signal_name
        said = f"; its last words on stderr: {last_words[:400]!r}" if last_words else ""
        super().__init__(f"hls4ml's C simulation of the model crashed ({signal_name}: {description}){said}")


def run_csim(hls_model, x: np.ndarray) -> Trace:
    """What `hls_model.trace(x)` returns, with the native part run in a child process.

    Raises `CsimCrashed` (an InputError) when the child dies by a signal, and the child's own exception
    when the trace raises; build errors (g++) are raised here as hls4ml raises them.
    """
    library = _build(hls_model)
    return _in_child(lambda: _trace(hls_model, library, x))


def _build(hls_model) -> str | None:
    """Write the traced project and build its library (g++) in this process; None for a test double."""
    from hls4ml.model.graph import ModelGraph

    if not isinstance(hls_model, ModelGraph):
        return None
    hls_model.config.trace_output = True
    hls_model.write()
    library = hls_model.config.backend.compile(hls_model)
    if hls_model._top_function_lib is not None:  # a library of this path loaded earlier would be reused by dlopen
        _dlclose(hls_model._top_function_lib)
        hls_model._top_function_lib = None
    return library


def _dlclose(lib: ctypes.CDLL) -> None:
    dlclose = ctypes.CDLL(None).dlclose
    dlclose.argtypes = [ctypes.c_void_p]
    dlclose.restype = ctypes.c_int
    dlclose(lib._handle)


def _trace(hls_model, library: str | None, x: np.ndarray) -> Trace:
    """In the child: load the built library and run hls4ml's own trace loop (its compile step done)."""
    if library is not None:

        def load() -> None:
            hls_model._top_function_lib = ctypes.cdll.LoadLibrary(library)

        hls_model.compile = load  # the parent wrote and built the project
    return hls_model.trace(x)


def _in_child(fn: Callable[[], Any]) -> Any:
    """Run `fn` in a forked child and return its result (or raise its exception, or CsimCrashed).

    The child's stderr goes to a temporary file, copied to this process's stderr (the stage log)
    afterwards, so that its last line (an ap_fixed assertion, say) can be quoted when it crashes.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    with tempfile.TemporaryFile() as err:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            gc.disable()  # never finalise the parent's garbage here (see the module docstring)
            os.close(read_fd)
            os.dup2(err.fileno(), 2)
            _child(fn, write_fd)
        os.close(write_fd)
        payload, status = _receive(pid, read_fd)
        err.seek(0)
        said = err.read()
    os.write(2, said)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        last = next((line for line in reversed(said.decode(errors="replace").splitlines()) if line.strip()), "")
        raise CsimCrashed(signal.Signals(sig).name, signal.strsignal(sig) or "killed", last.strip())
    if payload is None:
        raise RuntimeError(f"the C simulation's process exited with status {os.waitstatus_to_exitcode(status)}")
    kind, value = payload
    if kind == "error":
        raise value
    return value


def _receive(pid: int, read_fd: int) -> tuple[Any, int]:
    """The child's pickled payload (None when it died first) and its wait status; the child is always reaped."""
    reaped = False
    try:
        with os.fdopen(read_fd, "rb") as pipe:
            try:
                payload = pickle.load(pipe)
            except Exception:  # noqa: BLE001 - EOF or a truncated pickle: the child died while sending
                payload = None
        _, status = os.waitpid(pid, 0)
        reaped = True
    finally:
        if not reaped:  # interrupted in this process: do not leave the child running
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return payload, status


def _child(fn: Callable[[], Any], write_fd: int) -> None:
    """Run `fn`, send ("ok", result) or ("error", exception) through `write_fd`, and _exit."""
    code = 0
    faulthandler.disable()  # a crash here is reported by the parent; a Python traceback of it says nothing
    try:
        try:
            payload = ("ok", fn())
        except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
            payload = ("error", _picklable(exc))
        with os.fdopen(write_fd, "wb") as pipe:
            pickle.dump(payload, pipe, protocol=5)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        ctypes.CDLL(None).fflush(None)  # the library's C/C++ output, into the (captured) log
        os._exit(code)


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any exception that does not survive pickling
        return RuntimeError(f"{type(exc).__name__}: {exc}")
