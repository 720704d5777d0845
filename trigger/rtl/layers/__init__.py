"""Handlers of hls4ml layer classes for the RTL translation: each module registers its own (see
`trigger.rtl.registry`); importing this package imports them all."""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
