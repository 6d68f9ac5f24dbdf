"""The Jinja2 environment every HTML page and report is rendered with: one folder, escaping, no silent gaps."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from jinja2 import Environment


def template_environment(folder: Path, *, finalize: Callable[[Any], Any] | None = None,
                         filters: dict[str, Callable[..., Any]] | None = None,
                         globals_: dict[str, Any] | None = None) -> Environment:
    """Return a Jinja2 environment loading the templates of ``folder``.

    Parameters
    ----------
    folder:
        The templates folder.
    finalize:
        Optional function applied to every printed value before escaping.
    filters, globals_:
        Extra filters and globals; the filter ``fmt`` (Python's ``format(value, spec)``) is always there.

    Returns
    -------
    jinja2.Environment
        Autoescapes every printed value and raises ``jinja2.UndefinedError`` on a missing variable.
    """
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    options: dict[str, Any] = {"finalize": finalize} if finalize is not None else {}
    env = Environment(loader=FileSystemLoader(folder), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, **options)
    env.filters["fmt"] = format
    env.filters.update(filters or {})
    env.globals.update(globals_ or {})
    return env
