"""tests/rtl/*.py share the RTL layer checks of tests/rtl/layers/layer_check.py."""

from __future__ import annotations

import sys
from pathlib import Path

LAYERS = str(Path(__file__).parent / "layers")
if LAYERS not in sys.path:
    sys.path.insert(0, LAYERS)
