"""Physics data the examples train on, generated here (no download): Pythia 8 (`pythia8mc`) and fastjet.

Both are GPL: they are the optional extra `pip install .[physics]`, and nothing outside trigger.data
imports this package.
"""

from __future__ import annotations

from trigger.errors import InputError

EXTRA = "pip install -e '.[physics]'"


def require_physics() -> None:
    """InputError naming the missing package and the extra that provides it."""
    for module in ("pythia8mc", "fastjet", "awkward"):
        try:
            __import__(module)
        except ImportError:
            raise InputError(f"the physics data generators need {module} (GPL, optional): {EXTRA}") from None
