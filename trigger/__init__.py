"""trigger: compile quantized neural networks into Level-1 trigger firmware.

Example (the command line `trigger-compile` does the same)::

    >>> import trigger
    >>> project = trigger.compile("jet_tagger.onnx", target="xcvu9p", out="build/jet_tagger")
    >>> project.report["latency"], project.emulate(x).raw
"""

__version__ = "0.1.0"

from trigger.api import Emulated, Project, compile  # noqa: E402
from trigger.errors import CheckFailed, InputError, TriggerError  # noqa: E402
from trigger.options import CompileOptions  # noqa: E402

__all__ = ["CheckFailed", "CompileOptions", "Emulated", "InputError", "Project", "TriggerError", "compile"]
