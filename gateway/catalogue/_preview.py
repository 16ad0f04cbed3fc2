"""A stored deposit checked against another version of its form, and a valid example built from it.

Before a new form version goes live, the provider replays operators' real deposits against it
(``gateway.services`` streams them from the store). The rules are a deposit's: the form must serve
the ticket's offer, the content must be the form's root element and valid against the version's XSD
(which copies the code lists). The version's status is not checked: the point is to try a version
that is not in production yet.

A stored form keeps the namespace of the version it was deposited with. Every version of a form has
the target namespace ``urn:esav:formulaire:{CODE}`` (the loader enforces it), so today the content
is validated as it is; should that ever differ, the content is moved to the new version's namespace
first (:func:`as_version`), as if the operator had declared the new version.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from lxml import etree

from gateway.errors import CatalogueError, ErrorDetail, quote

from ._catalogue import Catalogue
from ._model import FormField, form_model
from ._sample import sample_value
from ._xml import hardened_parser

__all__ = ["ExampleMark", "RepairedExample", "as_version", "check_stored_form", "repaired_example"]


def _parse(form_xml: str) -> etree._Element | None:
    try:
        return etree.fromstring(form_xml.encode("utf-8"), hardened_parser())
    except etree.XMLSyntaxError:
        return None


def as_version(payload: etree._Element, namespace: str) -> etree._Element:
    """``payload`` with every element of its own namespace moved to ``namespace`` (a copy when needed)."""
    old = etree.QName(payload).namespace
    if old == namespace:
        return payload
    moved = copy.deepcopy(payload)
    for element in moved.iter():
        if isinstance(element.tag, str) and etree.QName(element).namespace == old:
            element.tag = f"{{{namespace}}}{etree.QName(element).localname}"
    etree.cleanup_namespaces(moved, top_nsmap={None: namespace})
    return moved


def check_stored_form(catalogue: Catalogue, code: str, version: str, offer: str, form_xml: str) -> list[ErrorDetail]:
    """Every reason a deposit of ``form_xml`` on ``offer`` would be refused with form ``code`` version
    ``version`` (empty when it would pass). Raises UnknownCodeError for an unknown form or version."""
    form = catalogue.form(code)
    if offer not in form.offres:
        return [ErrorDetail("codeOffre", f"le formulaire {code} ne sert pas l'offre {quote(offer)}")]
    payload = _parse(form_xml)
    if payload is None:
        return [ErrorDetail("/", "formulaire stocké illisible (XML mal formé)")]
    try:
        catalogue.validate(code, version, as_version(payload, form.namespace))
    except CatalogueError as error:
        if error.details:
            return list(error.details)
        return [ErrorDetail(error.chemin or "/" + form.racine, error.libelle)]
    return []


@dataclass(frozen=True)
class ExampleMark:
    """One change made to the operator's deposit so that the new version accepts it."""

    path: str
    label: str  # the field's French label
    change: str  # what was done, in French


@dataclass(frozen=True)
class RepairedExample:
    """The operator's deposit turned into a valid instance of the new version, changes marked."""

    xml: str
    marks: tuple[ExampleMark, ...]
    valid: bool


def repaired_example(catalogue: Catalogue, code: str, version: str, form_xml: str) -> RepairedExample | None:
    """The deposit ``form_xml`` made valid against ``code`` ``version``: fields the version requires and
    the deposit lacks are added (sample values), values it no longer accepts are replaced, elements it
    no longer knows are left out; each change is an XML comment before the field and an ``ExampleMark``.
    None when the stored form cannot be read."""
    payload = _parse(form_xml)
    if payload is None:
        return None
    form = catalogue.form(code)
    namespace = form.namespace
    payload = as_version(payload, namespace)
    model = form_model(catalogue.xsd_path(code, version))
    marks: list[ExampleMark] = []
    root = etree.Element(f"{{{namespace}}}{model.name}", nsmap={None: namespace})
    _merge(model, payload, root, namespace, marks, version)
    # Values the merge could not judge (patterns, lengths, bounds): replaced by a sample value.
    for _ in range(3):
        errors = check_stored_form(catalogue, code, version, form.offres[0], etree.tostring(root, encoding="unicode"))
        if not errors:
            break
        fields = {f.path: f for f in model.walk()}
        fixed = False
        for error in errors:
            element = _find(root, error.chemin)
            field = fields.get(_model_path(error.chemin))
            if element is None or field is None or not field.simple:
                continue
            old = element.text or ""
            element.text = sample_value(field)
            _mark(element, marks, field, f"valeur « {quote(old)} » refusée ({error.libelle}) : remplacée", version)
            fixed = True
        if not fixed:
            break
    text = etree.tostring(root, encoding="unicode", pretty_print=True)
    valid = not check_stored_form(catalogue, code, version, form.offres[0], text)
    return RepairedExample(text, tuple(marks), valid)


def _merge(
    field: FormField,
    source: etree._Element,
    target: etree._Element,
    namespace: str,
    marks: list[ExampleMark],
    version: str,
) -> None:
    """Fill ``target`` (the element of ``field``) from ``source`` following the version's model."""
    if field.simple:
        value = source.text or ""
        target.text = value
        if field.enumeration and value.strip() not in field.enumeration:
            target.text = field.enumeration[0]
            _mark(target, marks, field, f"valeur « {quote(value)} » retirée de la liste : remplacée", version)
        return
    known = {child.name for child in field.children}
    for child_field in field.children:
        present = [c for c in source if isinstance(c.tag, str) and etree.QName(c).localname == child_field.name]
        if not present and child_field.mandatory:
            added = etree.SubElement(target, f"{{{namespace}}}{child_field.name}")
            _fill_sample(child_field, added, namespace)
            _mark(added, marks, child_field, "champ obligatoire absent : ajouté", version)
            continue
        limit = child_field.max_occurs if child_field.max_occurs is not None else len(present)
        for element in present[:limit]:
            child = etree.SubElement(target, f"{{{namespace}}}{child_field.name}")
            _merge(child_field, element, child, namespace, marks, version)
    for element in source:
        if isinstance(element.tag, str) and etree.QName(element).localname not in known:
            name = etree.QName(element).localname
            path = f"{field.path}/{name}"
            marks.append(ExampleMark(path, name, "champ inconnu de cette version : retiré"))
            target.append(etree.Comment(f" {name} : champ inconnu de la version {version}, retiré "))


def _fill_sample(field: FormField, element: etree._Element, namespace: str) -> None:
    if field.simple:
        element.text = sample_value(field)
        return
    for child in field.children:
        if child.mandatory:
            _fill_sample(child, etree.SubElement(element, f"{{{namespace}}}{child.name}"), namespace)


def _mark(element: etree._Element, marks: list[ExampleMark], field: FormField, change: str, version: str) -> None:
    marks.append(ExampleMark(field.path, field.label, change))
    comment = f" À CORRIGER pour la version {version} — {field.label} : {change} ".replace("--", "—")
    element.addprevious(etree.Comment(comment))


def _model_path(chemin: str) -> str:
    """``/a/b[2]/c`` → ``/a/b/c`` (the model's paths have no index)."""
    return "/".join(step.split("[")[0] for step in chemin.split("/"))


def _find(root: etree._Element, chemin: str) -> etree._Element | None:
    steps = [s for s in chemin.split("/") if s][1:]
    element = root
    for step in steps:
        name, _, index = step.partition("[")
        same = [c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name]
        position = int(index.rstrip("]") or 1) - 1 if index else 0
        if not 0 <= position < len(same):
            return None
        element = same[position]
    return element
