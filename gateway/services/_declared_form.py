"""The declared fault: a ticket's stored form read back through the catalogue's form model.

Each field comes out with its French label (the XSD's annotation, as on the deposit page and the
mockups) and its value in words: a code of a nomenclature becomes its label, a boolean "Oui"/"Non",
an instant the Paris date and time. The provider's staff pages, the operator's ticket page and
``esav sav afficher`` all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from lxml import etree

from gateway.catalogue import Catalogue, FormField, form_model
from gateway.domain.clock import to_paris
from gateway.errors import EsavError
from gateway.store import TicketRecord

__all__ = ["DeclaredField", "declared_form"]

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass(frozen=True)
class DeclaredField:
    """One line of the declared form: a group heading (``value`` None) or a field and its value.

    ``code`` is the raw value when ``value`` is a nomenclature's label for it (None otherwise).
    """

    path: str
    label: str
    depth: int
    value: str | None = None
    code: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"chemin": self.path, "libelle": self.label, "valeur": self.value, "code": self.code}


@lru_cache(maxsize=64)
def _model(xsd_path: Path) -> FormField:
    # xmlschema takes milliseconds to read a form: once per file and process is enough.
    return form_model(xsd_path)


def declared_form(catalogue: Catalogue, ticket: TicketRecord) -> list[DeclaredField]:
    """The ticket's form as labelled lines, in document order; empty if the ticket has no form."""
    if not ticket.form_xml:
        return []
    root = etree.fromstring(ticket.form_xml.encode(), _PARSER)
    try:
        model: FormField | None = _model(catalogue.xsd_path(ticket.form_code, ticket.form_version))
    except EsavError:  # a form version no longer in the catalogue: show the element names instead
        model = None
    lines: list[DeclaredField] = []
    _walk(catalogue, root, model, f"/{etree.QName(root).localname}", 0, lines)
    return lines


def _walk(
    catalogue: Catalogue,
    element: etree._Element,
    field: FormField | None,
    path: str,
    depth: int,
    lines: list[DeclaredField],
) -> None:
    children = [c for c in element if isinstance(c.tag, str)]
    counts: dict[str, int] = {}
    for child in children:
        name = etree.QName(child).localname
        counts[name] = counts.get(name, 0) + 1
    seen: dict[str, int] = {}
    for child in children:
        name = etree.QName(child).localname
        seen[name] = seen.get(name, 0) + 1
        sub = next((f for f in field.children if f.name == name), None) if field is not None else None
        label = sub.label if sub is not None and sub.label else name
        if counts[name] > 1:
            label = f"{label} n° {seen[name]}"
        child_path = f"{path}/{name}" + (f"[{seen[name]}]" if counts[name] > 1 else "")
        if len([c for c in child if isinstance(c.tag, str)]) or (sub is not None and sub.children):
            lines.append(DeclaredField(child_path, label, depth))
            _walk(catalogue, child, sub, child_path, depth + 1, lines)
        else:
            text = (child.text or "").strip()
            value, code = _in_words(catalogue, sub, text)
            lines.append(DeclaredField(child_path, label, depth, value, code))


def _in_words(catalogue: Catalogue, field: FormField | None, text: str) -> tuple[str, str | None]:
    if field is None:
        return text, None
    if field.nomenclature:
        try:
            label = catalogue.nomenclature(field.nomenclature).libelle_of(text)
        except EsavError:  # a code list since removed: the code itself
            label = None
        return (label, text) if label else (text, None)
    if field.primitive == "boolean":
        return ("Oui" if text in ("true", "1") else "Non"), None
    if field.primitive == "dateTime":
        try:
            instant = datetime.fromisoformat(text)
        except ValueError:
            return text, None
        if instant.tzinfo is None:
            return f"{instant:%d/%m/%Y %H:%M}", None
        return f"{to_paris(instant):%d/%m/%Y %H:%M}", None
    if field.primitive == "date":
        try:
            return f"{date.fromisoformat(text[:10]):%d/%m/%Y}", None
        except ValueError:
            return text, None
    return text, None
