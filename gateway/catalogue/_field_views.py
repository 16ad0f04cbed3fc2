"""How a form's fields are drawn in HTML, for the mockups and the portal's deposit page alike.

:func:`field_views` turns the field tree (:func:`form_model`) into what the shared Jinja2 template
``catalogue/_champs.html`` draws: one control per simple field (a ``select`` for a code list or a
boolean, a number, a text area for long text, an input otherwise), a ``fieldset`` per group. Ids
are ``f`` and the field's path with ``-`` for ``/``, names are the paths, so a schema error's
``chemin`` names its control. The template lives here, not in the portal, so that the catalogue's
mockups can use it without importing the portal; the portal loads it under the same name
(:func:`templates_loader`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import BaseLoader, FileSystemLoader, PrefixLoader
from markupsafe import Markup

from ._model import FormField

if TYPE_CHECKING:
    from ._catalogue import Catalogue

__all__ = ["TEMPLATES_DIR", "FieldView", "field_views", "templates_loader"]

#: The catalogue's templates, loaded under the prefix ``catalogue/``.
TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

#: A field's help text, as the page that draws it words it (plain text, or markup it built safely).
HelpText = Callable[[FormField], "str | Markup"]


@dataclass(frozen=True)
class FieldView:
    """One field as the template draws it."""

    field: FormField
    id: str
    control: str  # group, select, number, textarea, input
    input_type: str  # for input: text, date, time, datetime-local
    options: tuple[tuple[str, str], ...]  # (value, label) for select
    help: str | Markup
    children: tuple[FieldView, ...]


def field_views(catalogue: Catalogue, root: FormField, help_text: HelpText) -> tuple[FieldView, ...]:
    """The views of ``root``'s fields (the form's root element itself is the page's ``form``)."""
    return tuple(_view(catalogue, child, help_text) for child in root.children)


def templates_loader() -> BaseLoader:
    """A Jinja2 loader of the catalogue's templates under ``catalogue/`` (``catalogue/_champs.html``)."""
    return PrefixLoader({"catalogue": FileSystemLoader(str(TEMPLATES_DIR))})


def _view(catalogue: Catalogue, field: FormField, help_text: HelpText) -> FieldView:
    field_id = "f" + field.path.replace("/", "-")
    children = tuple(_view(catalogue, child, help_text) for child in field.children)
    options: tuple[tuple[str, str], ...] = ()
    input_type = "text"
    if field.children:
        control = "group"
    elif field.enumeration:
        control = "select"
        labels = catalogue.nomenclature(field.nomenclature) if field.nomenclature else None
        options = tuple(
            (value, f"{(labels.libelle_of(value) if labels else None) or value} ({value})")
            for value in field.enumeration
        )
    elif field.primitive == "boolean":
        control, options = "select", (("true", "Oui"), ("false", "Non"))
    elif field.primitive == "decimal":
        control = "number"
    else:
        input_type = {"dateTime": "datetime-local", "date": "date", "time": "time"}.get(field.primitive or "", "text")
        long_text = input_type == "text" and field.max_length is not None and field.max_length > 200
        control = "textarea" if long_text else "input"
    return FieldView(field, field_id, control, input_type, options, help_text(field), children)
