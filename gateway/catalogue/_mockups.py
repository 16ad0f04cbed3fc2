"""HTML mockups of the forms: what an operator's user would fill in, generated from the XSDs.

``html_mockups/{CODE}/{version}.html`` per form version and ``html_mockups/index.html``. The output
depends only on the catalogue files (no clock, stable order), so a test can regenerate it in memory
and compare it with the committed files.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from ._model import FormField, form_model
from ._versions import Form, FormVersion

if TYPE_CHECKING:
    from ._catalogue import Catalogue

INDEX = "index.html"

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 52rem; line-height: 1.5; }
fieldset { border: 1px solid #8a8a8a; border-radius: .4rem; margin: 1rem 0; padding: .5rem 1rem 1rem; }
legend { font-weight: 600; padding: 0 .3rem; }
.champ { margin: .8rem 0; }
label { display: block; font-weight: 500; }
input, select, textarea { font: inherit; padding: .3rem; min-width: 20rem; max-width: 100%; }
.obligatoire { color: #b00020; text-decoration: none; font-weight: 700; }
.aide { color: #4a4a4a; font-size: .9rem; margin: .2rem 0 0; }
code { background: #f2f2f2; padding: 0 .2rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #8a8a8a; padding: .3rem .5rem; text-align: left; vertical-align: top; }
""".strip()


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


def _page(title: str, body: list[str]) -> str:
    head = [
        "<!DOCTYPE html>",
        '<html lang="fr">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
    ]
    return "\n".join([*head, *body, "</body>", "</html>"]) + "\n"


def _dates(version: FormVersion) -> str:
    text = f"en production le {version.date_production:%d/%m/%Y}"
    if version.date_fin_cohabitation is not None:
        text += f", acceptée jusqu'au {version.date_fin_cohabitation:%d/%m/%Y} inclus"
    return text


def _index(catalogue: Catalogue) -> str:
    body = [
        "<header>",
        "<h1>Maquettes des formulaires de signalisation e-SAV</h1>",
        "<p>Pages générées à partir des schémas du catalogue ; elles montrent les champs de chaque "
        "version de formulaire, leurs listes de codes et leurs contraintes.</p>",
        "</header>",
        "<main>",
        "<table>",
        "<caption>Formulaires et versions</caption>",
        '<thead><tr><th scope="col">Formulaire</th><th scope="col">Offres</th>'
        '<th scope="col">Versions</th></tr></thead>',
        "<tbody>",
    ]
    for form in catalogue.forms():
        versions = "<br>".join(
            f'<a href="{form.code}/{v.version}.html">version {v.version}</a> ({_dates(v)})' for v in form.versions
        )
        body.append(
            f'<tr><th scope="row"><code>{form.code}</code><br>{escape(form.titre)}</th>'
            f"<td>{', '.join(f'<code>{o}</code>' for o in form.offres)}</td><td>{versions}</td></tr>"
        )
    body += ["</tbody>", "</table>", "</main>"]
    return _page("Maquettes des formulaires e-SAV", body)


def _form_page(catalogue: Catalogue, form: Form, version: FormVersion, model: FormField) -> str:
    title = f"{form.code} version {version.version} — {form.titre}"
    body = [
        "<header>",
        f"<h1>{escape(form.titre)}</h1>",
        f"<p>Formulaire <code>{form.code}</code> version {version.version}, {_dates(version)}. "
        f"Offres : {', '.join(f'<code>{o}</code>' for o in form.offres)}. Élément racine "
        f"<code>{model.name}</code> dans l'espace de noms <code>{escape(form.namespace)}</code>.</p>",
        '<p>Les champs marqués <abbr class="obligatoire" title="obligatoire">*</abbr> sont obligatoires.</p>',
        '<p><a href="../index.html">Tous les formulaires</a></p>',
        "</header>",
        "<main>",
        f'<form aria-label="{escape(model.label, quote=True)}">',
    ]
    for child in model.children:
        body += _field_html(catalogue, child)
    body += ["</form>", "</main>"]
    return _page(title, body)


def _mark(field: FormField) -> str:
    return ' <abbr class="obligatoire" title="obligatoire">*</abbr>' if field.mandatory else ""


def _occurrences(field: FormField) -> str | None:
    high = "sans limite" if field.max_occurs is None else str(field.max_occurs)
    if field.max_occurs == 1:
        return None
    return f"De {field.min_occurs} à {high} occurrences."


def _field_html(catalogue: Catalogue, field: FormField) -> list[str]:
    field_id = "f" + field.path.replace("/", "-")
    if field.children:
        lines = ["<fieldset>", f"<legend>{escape(field.label)}{_mark(field)}</legend>"]
        occurrences = _occurrences(field)
        if occurrences:
            lines.append(f'<p class="aide">{occurrences}</p>')
        for child in field.children:
            lines += _field_html(catalogue, child)
        return [*lines, "</fieldset>"]
    help_lines = _help(catalogue, field)
    described = f' aria-describedby="{field_id}-aide"' if help_lines else ""
    attributes = f'id="{field_id}" name="{field.path}"{" required" if field.mandatory else ""}{described}'
    lines = [
        '<div class="champ">',
        f'<label for="{field_id}">{escape(field.label)}{_mark(field)}</label>',
        *_control(catalogue, field, attributes),
    ]
    if help_lines:
        lines.append(f'<p class="aide" id="{field_id}-aide">{" ".join(help_lines)}</p>')
    return [*lines, "</div>"]


def _control(catalogue: Catalogue, field: FormField, attributes: str) -> list[str]:
    if field.enumeration:
        labels = catalogue.nomenclature(field.nomenclature) if field.nomenclature else None
        options = ['<option value="">— choisir —</option>']
        for value in field.enumeration:
            label = (labels.libelle_of(value) if labels else None) or value
            options.append(f'<option value="{escape(value)}">{escape(label)} ({escape(value)})</option>')
        return [f"<select {attributes}>", *options, "</select>"]
    if field.primitive == "boolean":
        return [
            f"<select {attributes}>",
            '<option value="">— choisir —</option>',
            '<option value="true">Oui</option>',
            '<option value="false">Non</option>',
            "</select>",
        ]
    if field.primitive == "decimal":
        bounds = "".join(
            f' {name}="{value}"'
            for name, value in (("min", field.min_value), ("max", field.max_value))
            if value is not None
        )
        step = ' step="1"' if field.integer else ' step="any"'
        return [f'<input type="number" {attributes}{bounds}{step}>']
    kind = {"dateTime": "datetime-local", "date": "date", "time": "time"}.get(field.primitive or "", "text")
    lengths = "".join(
        f' {name}="{value}"'
        for name, value in (("minlength", field.min_length), ("maxlength", field.max_length))
        if value is not None
    )
    if kind == "text" and field.max_length is not None and field.max_length > 200:
        return [f'<textarea {attributes}{lengths} rows="4"></textarea>']
    pattern = f' pattern="{escape(field.patterns[0], quote=True)}"' if field.patterns else ""
    return [f'<input type="{kind}" {attributes}{lengths}{pattern}>']


def _help(catalogue: Catalogue, field: FormField) -> list[str]:
    """Constraints spelled out for the reader (a pattern attribute alone is invisible)."""
    notes = [f"Élément <code>{field.name}</code>."]
    if field.nomenclature:
        notes.append(f"Liste de codes <code>{field.nomenclature}</code>.")
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
    return notes
