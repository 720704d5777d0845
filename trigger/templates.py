"""Jinja2 templates shipped as package data (trigger/firmware_templates, a link to the top-level
firmware_templates/ in git): Verilog wrappers, simulator control files, report markdown."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from importlib.resources.abc import Traversable

import jinja2

PACKAGE = "trigger"
DIRECTORY = "firmware_templates"


def template_root() -> Traversable:
    """The template directory as an importlib resource (a plain directory, or inside an archive)."""
    return resources.files(PACKAGE) / DIRECTORY


class ResourceLoader(jinja2.BaseLoader):
    """Jinja2 loader over a resource directory (works wherever importlib.resources finds the package)."""

    def __init__(self, root: Traversable) -> None:
        self.root = root

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, Callable[[], bool]]:
        node = self.root
        for part in template.split("/"):
            if part in ("", ".", ".."):
                raise jinja2.TemplateNotFound(template)
            node = node / part
        if not node.is_file():
            raise jinja2.TemplateNotFound(template)
        return node.read_text(encoding="utf-8"), str(node), lambda: True  # installed templates do not change

    def list_templates(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_file() and p.name.endswith(".j2"))


def environment() -> jinja2.Environment:
    """Jinja2 environment over the packaged templates (undefined names are errors)."""
    return jinja2.Environment(
        loader=ResourceLoader(template_root()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context) -> str:
    """Render one template with `context`."""
    return environment().get_template(name).render(**context)
