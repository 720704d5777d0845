"""Jinja2 templates from firmware_templates/: Verilog wrappers, simulator control files, report markdown."""

from __future__ import annotations

from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parents[1] / "firmware_templates"


def environment() -> jinja2.Environment:
    """Jinja2 environment over firmware_templates/ (undefined names are errors)."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context) -> str:
    """Render one template with `context`."""
    return environment().get_template(name).render(**context)
