"""The deposit page's form: the catalogue's field views, drawn by the template the HTML mockups use
(``catalogue/_champs.html``), and back to XML.

Field names are the fields' paths in the form (``/signalisationCuivre/defaut/codeDefaut``) and ids
are built as the mockups build them, so a schema error's ``chemin`` names its field directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from gateway.catalogue import Catalogue, FieldView, FormField, field_views, form_model
from gateway.domain.clock import parse_instant
from gateway.domain.xml_text import first_non_xml_char
from gateway.errors import ErrorDetail
from gateway.services import non_xml_problem

from ._hints import pattern_hint

__all__ = ["FormPage", "build_form_xml", "errors_by_field", "form_page", "refused_characters"]

_LOCAL_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")
_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class FormPage:
    code: str
    version: str
    titre: str
    namespace: str
    root: FormField
    fields: tuple[FieldView, ...]


@lru_cache(maxsize=64)
def _model(xsd_path: Path) -> FormField:
    # xmlschema takes milliseconds to read a form: once per file and process is enough.
    return form_model(xsd_path)


def form_page(catalogue: Catalogue, code: str, version: str) -> FormPage:
    form = catalogue.form(code)
    root = _model(catalogue.xsd_path(code, version))
    return FormPage(code, version, form.titre, form.namespace, root, field_views(catalogue, root, _help))


def _help(field: FormField) -> str:
    """A field's hint in words (the mockups spell out the schema's constraints instead)."""
    if field.children:
        return ""
    notes = []
    if field.patterns:
        notes.append(pattern_hint(field.patterns[0]))  # in words: a regular expression helps nobody
    if field.max_length is not None:
        notes.append(f"{field.max_length} caractères au plus.")
    if field.primitive == "dateTime":
        notes.append("Date et heure de Paris.")
    return " ".join(notes)


def build_form_xml(page: FormPage, values: dict[str, str]) -> tuple[etree._Element, list[str]]:
    """The form instance from the submitted values, and the paths of mandatory fields left empty.

    Empty fields are left out; an optional group is written only when one of its fields is filled.
    A ``datetime-local`` value (no offset) is read as Paris time.
    """
    missing: list[str] = []
    root = etree.Element(f"{{{page.namespace}}}{page.root.name}", nsmap={None: page.namespace})
    for child in page.root.children:
        _fill(root, child, values, page.namespace, missing, parent_present=True)
    return root, missing


def _filled(field: FormField, values: dict[str, str]) -> bool:
    if field.children:
        return any(_filled(child, values) for child in field.children)
    return bool(values.get(field.path, "").strip())


def _fill(
    parent: etree._Element,
    field: FormField,
    values: dict[str, str],
    namespace: str,
    missing: list[str],
    *,
    parent_present: bool,
) -> None:
    present = _filled(field, values)
    if not present:
        if field.mandatory and parent_present:
            missing.extend(f.path for f in field.walk() if f.simple and (f.mandatory or f is field))
        return
    element = etree.SubElement(parent, f"{{{namespace}}}{field.name}")
    if field.children:
        for child in field.children:
            _fill(element, child, values, namespace, missing, parent_present=True)
        return
    element.text = _wire_value(field, values[field.path].strip())


def _wire_value(field: FormField, value: str) -> str:
    if field.primitive == "dateTime" and _LOCAL_DATETIME.match(value):
        instant = parse_instant(value)
        return instant.isoformat(timespec="seconds")
    return value


def refused_characters(page: FormPage, values: dict[str, str]) -> dict[str, list[str]]:
    """The form's fields whose value holds a character XML cannot carry, each with its message naming
    the field by its label: such a value cannot even be put into the form's XML."""
    labels = {f.path: f.label for f in page.root.walk()}
    errors: dict[str, list[str]] = {}
    for path, value in values.items():
        bad = first_non_xml_char(value) if path in labels else None
        if bad is not None:
            errors[path] = [non_xml_problem(labels[path] or path, bad)]
    return errors


def errors_by_field(page: FormPage, details: tuple[ErrorDetail, ...], missing: list[str]) -> dict[str, list[str]]:
    """Each problem under the path of its field; what no field matches goes under ``""``."""
    known = {f.path for f in page.root.walk()}
    errors: dict[str, list[str]] = {path: ["Champ obligatoire."] for path in missing}
    for detail in details:
        path = _INDEX.sub("", detail.chemin)
        if path in known and path not in errors:
            errors.setdefault(path, []).append(detail.libelle)
        elif path not in errors and not detail.libelle.startswith("élément obligatoire manquant"):
            errors.setdefault("", []).append(f"{detail.chemin} : {detail.libelle}")
    return errors
