"""Server-side templates (Jinja2), HTML-escaped by default: operator-supplied text is never markup."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from gateway.catalogue import templates_loader
from gateway.domain.clock import to_paris

__all__ = ["STATIC_DIR", "Templates"]

_HERE = Path(__file__).resolve().parent
TEMPLATES_DIR = _HERE / "templates"
STATIC_DIR = _HERE / "static"


_DAYS = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")


def _paris(instant: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """An instant as a user in France reads it (Paris time; ``%a`` is the French day, whatever the locale)."""
    if instant is None:
        return ""
    local = to_paris(instant)
    return local.strftime(fmt.replace("%a", _DAYS[local.weekday()]))


class Templates:
    """The page templates of the portal."""

    def __init__(self) -> None:
        self._env = Environment(
            # The catalogue's templates too, under catalogue/: the form fields the mockups draw alike.
            loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES_DIR)), templates_loader()]),
            autoescape=select_autoescape(["html"], default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.filters["paris"] = _paris

    def render(self, name: str, **context: Any) -> bytes:
        return self._env.get_template(name).render(**context).encode("utf-8")
