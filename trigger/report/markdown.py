"""report.md: a summary a person reads in a minute, rendered from a firmware_templates/ template."""

from __future__ import annotations

from trigger.templates import environment


def _fmt(value, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.3g}%"


def render_markdown(report: dict) -> str:
    """Render report.md from report.json's content."""
    env = environment()
    env.filters["fmt"] = _fmt
    env.filters["pct"] = _pct
    return env.get_template("report.md.j2").render(r=report)
