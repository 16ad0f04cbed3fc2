"""HTML mockups of the forms: what an operator's user would fill in, generated from the XSDs.

``html_mockups/{CODE}/{version}.html`` per form version and ``html_mockups/index.html``. The output
depends only on the catalogue files (no clock, stable order), so a test can regenerate it in memory
and compare it with the committed files.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ._field_views import field_views, templates_loader
from ._model import FormField, form_model
from ._versions import Form, FormVersion

if TYPE_CHECKING:
    from ._catalogue import Catalogue

INDEX = "index.html"


@cache
def _environment() -> Environment:
    # The portal's settings (gateway/web/_templates.py), so that the shared fields template draws alike.
    return Environment(
        loader=templates_loader(),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def build_mockups(catalogue: Catalogue) -> dict[str, str]:
    """Every mockup page, keyed by its path relative to the mockups folder (``/`` separators)."""
    pages = {INDEX: _index(catalogue)}
    for form in catalogue.forms():
        for version in form.versions:
            model = form_model(catalogue.xsd_path(form.code, version.version))
            pages[f"{form.code}/{version.version}.html"] = _form_page(catalogue, form, version, model)
    return pages


def render_mockups(catalogue: Catalogue, out_dir: Path) -> list[Path]:
    """Write every mockup under ``out_dir``, remove stale ``.html`` files there, return written paths."""
    pages = build_mockups(catalogue)
    for stale in _existing_pages(out_dir) - pages.keys():
        (out_dir / stale).unlink()
    written = []
    for relative, text in pages.items():
        path = out_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    return written


def check_mockups(catalogue: Catalogue, out_dir: Path) -> list[str]:
    """What is not up to date under ``out_dir``, one French line per file (empty: all fresh)."""
    pages = build_mockups(catalogue)
    existing = _existing_pages(out_dir)
    problems = [f"{relative} : maquette absente" for relative in pages if relative not in existing]
    problems += [
        f"{relative} : maquette périmée"
        for relative, text in pages.items()
        if relative in existing and (out_dir / relative).read_text(encoding="utf-8") != text
    ]
    problems += [f"{relative} : maquette sans formulaire" for relative in sorted(existing - pages.keys())]
    return problems


def _existing_pages(out_dir: Path) -> set[str]:
    if not out_dir.is_dir():
        return set()
    return {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.html")}


def _dates(version: FormVersion) -> str:
    text = f"en production le {version.date_production:%d/%m/%Y}"
    if version.date_fin_cohabitation is not None:
        text += f", acceptée jusqu'au {version.date_fin_cohabitation:%d/%m/%Y} inclus"
    return text


def _render(template: str, **context: object) -> str:
    text = _environment().get_template(f"catalogue/maquettes/{template}").render(dates=_dates, **context)
    return text.rstrip("\n") + "\n"


def _index(catalogue: Catalogue) -> str:
    return _render("index.html", forms=catalogue.forms())


def _form_page(catalogue: Catalogue, form: Form, version: FormVersion, model: FormField) -> str:
    fields = field_views(catalogue, model, _help)
    return _render("formulaire.html", form=form, version=version, root=model, fields=fields)


def _occurrences(field: FormField) -> str | None:
    high = "sans limite" if field.max_occurs is None else str(field.max_occurs)
    if field.max_occurs == 1:
        return None
    return f"De {field.min_occurs} à {high} occurrences."


def _help(field: FormField) -> Markup:
    """Constraints spelled out for the reader (a pattern attribute alone is invisible); a group's
    help says how often it may occur."""
    if field.children:
        return Markup(escape(_occurrences(field) or ""))
    notes = [f"Élément <code>{escape(field.name)}</code>."]
    if field.nomenclature:
        notes.append(f"Liste de codes <code>{escape(field.nomenclature)}</code>.")
    for pattern in field.patterns:
        notes.append(f"Format : <code>{escape(pattern)}</code>.")
    if field.min_length is not None and field.max_length is not None:
        notes.append(f"De {field.min_length} à {field.max_length} caractères.")
    elif field.max_length is not None:
        notes.append(f"{field.max_length} caractères au plus.")
    elif field.min_length is not None:
        notes.append(f"{field.min_length} caractères au moins.")
    if field.primitive == "decimal" and (field.min_value is not None or field.max_value is not None):
        low = field.min_value if field.min_value is not None else "−∞"
        high = field.max_value if field.max_value is not None else "+∞"
        notes.append(f"Nombre {'entier ' if field.integer else ''}de {low} à {high}.")
    if field.primitive == "dateTime":
        notes.append("Date et heure avec fuseau, par exemple <code>2026-11-22T14:30:00+01:00</code>.")
    occurrences = _occurrences(field)
    if occurrences:
        notes.append(occurrences)
    return Markup(" ".join(notes))
