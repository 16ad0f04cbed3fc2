"""A form version as a tree of fields, read with xmlschema: what mockups, samples and diffs work on.

xmlschema is the tooling side (about 100 times slower than lxml to validate, but it exposes the
schema's components); it reads an lxml tree from our hardened parser, so that every component keeps
its source line, and runs sandboxed (no access outside the form's folder, no network).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._xml import NOMENCLATURE_NS, XSD_NS, catalogue_error, parse_file

if TYPE_CHECKING:
    import xmlschema


@dataclass(frozen=True)
class FormField:
    """One element of a form: where it is, its French label, how often, and what it may hold.

    ``children`` is empty for a field with simple content; the constraint attributes are then set
    from the schema's facets (``primitive`` is the XSD primitive type: string, decimal, boolean,
    dateTime...; ``integer`` tells a whole number from a decimal).
    """

    path: str
    name: str
    label: str
    min_occurs: int
    max_occurs: int | None
    line: int | None = None
    children: tuple[FormField, ...] = ()
    type_name: str | None = None
    primitive: str | None = None
    integer: bool = False
    enumeration: tuple[str, ...] = ()
    nomenclature: str | None = None
    patterns: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    min_value: Decimal | None = None
    max_value: Decimal | None = None

    @property
    def mandatory(self) -> bool:
        """Whether the field must be present."""
        return self.min_occurs > 0

    @property
    def simple(self) -> bool:
        """Whether the field holds a value rather than other fields."""
        return not self.children

    def walk(self) -> Iterator[FormField]:
        """This field and all fields under it, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()


def open_schema(path: Path) -> xmlschema.XMLSchema10:
    """Load a form XSD with xmlschema, sandboxed; CatalogueError naming the file on failure."""
    import xmlschema  # the tools' library (0.2 s to import): a gateway that only serves never loads it

    tree = parse_file(path)
    try:
        return xmlschema.XMLSchema10(tree, base_url=str(path.resolve().parent), allow="sandbox", defuse="always")
    except (xmlschema.XMLSchemaException, ValueError) as exc:
        line = getattr(getattr(exc, "elem", None), "sourceline", None)
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
        raise catalogue_error(path, line, f"schéma refusé par xmlschema : {message}") from exc


def form_model(path: Path) -> FormField:
    """The field tree of the form XSD at ``path``, from its (single) global element."""
    schema = open_schema(path)
    root = next(iter(schema.elements.values()))
    return _field(root, "")


def _field(element: Any, parent_path: str) -> FormField:
    name = element.local_name
    path = f"{parent_path}/{name}"
    common: dict[str, Any] = {
        "path": path,
        "name": name,
        "label": _documentation(element.annotation) or name,
        "min_occurs": element.min_occurs,
        "max_occurs": element.max_occurs,
        "line": getattr(element.elem, "sourceline", None),
    }
    xsd_type = element.type
    if not xsd_type.is_simple():
        children = tuple(_field(child, path) for child in xsd_type.content.iter_elements())
        return FormField(**common, children=children)
    return FormField(**common, **_simple_constraints(xsd_type))


def _simple_constraints(xsd_type: Any) -> dict[str, Any]:
    primitive = xsd_type.primitive_type.local_name
    builtin_names = {t.local_name for t in _ancestors(xsd_type) if t.target_namespace == XSD_NS}
    facets = {
        "type_name": xsd_type.local_name,
        "primitive": primitive,
        "integer": "integer" in builtin_names,
        "enumeration": tuple(xsd_type.enumeration or ()),
        "nomenclature": _nomenclature_ref(xsd_type),
        "patterns": tuple(xsd_type.patterns.regexps) if xsd_type.patterns else (),
        "min_length": getattr(xsd_type, "min_length", None),
        "max_length": getattr(xsd_type, "max_length", None),
    }
    if primitive == "decimal":
        facets["min_value"] = _decimal(xsd_type.min_value)
        facets["max_value"] = _decimal(xsd_type.max_value)
    return facets


def _ancestors(xsd_type: Any) -> Iterator[Any]:
    while xsd_type is not None:
        yield xsd_type
        xsd_type = getattr(xsd_type, "base_type", None)


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _documentation(annotation: Any) -> str | None:
    if annotation is None or not annotation.documentation:
        return None
    text = annotation.documentation[0].text
    return " ".join(text.split()) if text else None


def _nomenclature_ref(xsd_type: Any) -> str | None:
    """The code list named in ``xs:appinfo/nom:nomenclature`` of the type or one of its bases."""
    for candidate in _ancestors(xsd_type):
        annotation = getattr(candidate, "annotation", None)
        for appinfo in annotation.appinfo if annotation is not None else ():
            for child in appinfo:
                if child.tag == f"{{{NOMENCLATURE_NS}}}nomenclature" and child.text:
                    return str(child.text.strip())
    return None
