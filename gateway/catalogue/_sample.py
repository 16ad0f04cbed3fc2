"""A valid instance of a form version, built from its schema (every field, once)."""

from __future__ import annotations

import re
import re._parser as sre_parse  # the standard library's regex parser: walks a pattern's structure
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from lxml import etree

from ._model import FormField, form_model

if TYPE_CHECKING:
    from ._catalogue import Catalogue

# Fixed values keep samples identical from run to run.
_DATE_TIME = "2026-01-05T09:30:00+01:00"
_VALUES_BY_PRIMITIVE = {
    "dateTime": _DATE_TIME,
    "date": "2026-01-05",
    "time": "09:30:00",
    "boolean": "true",
    "anyURI": "https://example.fr/",
}


def sample(catalogue: Catalogue, code: str, version: str) -> bytes:
    """An instance of form ``code`` version ``version`` with every field once, valid by construction.

    Values: the first value of each code list, a string matching each pattern, the field's French
    label as free text (cut or padded to the allowed length), the smallest allowed number.
    """
    model = form_model(catalogue.xsd_path(code, version))
    namespace = catalogue.form(code).namespace
    root = _build(model, namespace, None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _build(field: FormField, namespace: str, parent: etree._Element | None) -> etree._Element:
    tag = f"{{{namespace}}}{field.name}"
    element = etree.Element(tag, nsmap={None: namespace}) if parent is None else etree.SubElement(parent, tag)
    if field.children:
        for child in field.children:
            _build(child, namespace, element)
    else:
        element.text = sample_value(field)
    return element


def sample_value(field: FormField) -> str:
    """A value that satisfies the simple field's constraints."""
    if field.enumeration:
        return field.enumeration[0]
    if field.patterns:
        return _matching(field.patterns[0], field.min_length or 0)
    if field.primitive == "decimal":
        return str(_number(field))
    if field.primitive in _VALUES_BY_PRIMITIVE:
        return _VALUES_BY_PRIMITIVE[field.primitive]
    text = field.label
    if field.min_length is not None and len(text) < field.min_length:
        text = text.ljust(field.min_length, ".")
    if field.max_length is not None:
        text = text[: field.max_length]
    return text


def _number(field: FormField) -> Decimal:
    value = field.min_value if field.min_value is not None else Decimal(1)
    return min(value, field.max_value) if field.max_value is not None else value


def _matching(xsd_pattern: str, min_length: int) -> str:
    """The shortest string matching an XSD pattern, repeated units stretched to ``min_length``."""
    from elementpath.regex import translate_pattern  # xmlschema's engine, imported by the tools only

    python = translate_pattern(xsd_pattern, back_references=False, lazy_quantifiers=False, anchors=False)
    text = _generate(sre_parse.parse(python), min_length)
    if re.fullmatch(python, text) is None:  # a construct _generate does not know: say so loudly
        raise ValueError(f"no sample value for pattern {xsd_pattern!r}")
    return text


def _generate(parsed: Any, min_length: int = 0) -> str:
    out = []
    for op, arg in parsed:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "IN":
            out.append(_in_class(arg))
        elif name == "ANY":
            out.append("a")
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, sub = arg
            count = max(low, 1) if high > 0 else 0
            out.append(_generate(sub) * count)
        elif name == "SUBPATTERN":
            out.append(_generate(arg[-1]))
        elif name == "BRANCH":
            out.append(_generate(arg[1][0]))
        elif name == "CATEGORY":
            out.append(_category(str(arg)))
        elif name not in ("AT", "ASSERT", "ASSERT_NOT"):  # anchors and look-arounds add no character
            raise ValueError(f"unsupported regex construct {name}")
    text = "".join(out)
    return text + "a" * max(0, min_length - len(text)) if min_length > len(text) else text


def _in_class(items: list[tuple[Any, Any]]) -> str:
    negate = any(str(op) == "NEGATE" for op, _ in items)
    if not negate:
        # A range gives a more telling sample than a punctuation literal ("0000-0", not "0000--").
        op, arg = next(((op, arg) for op, arg in items if str(op) == "RANGE"), items[0])
        if str(op) == "LITERAL":
            return chr(arg)
        if str(op) == "RANGE":
            return chr(arg[0])
        return _category(str(arg))
    for candidate in "aA0":
        if re.fullmatch(_class_regex(items), candidate):
            return candidate
    raise ValueError("no sample character for a negated class")


def _class_regex(items: list[tuple[Any, Any]]) -> str:
    parts = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            parts.append(re.escape(chr(arg)))
        elif name == "RANGE":
            parts.append(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
        elif name == "CATEGORY":
            parts.append({"CATEGORY_SPACE": r"\s", "CATEGORY_DIGIT": r"\d", "CATEGORY_WORD": r"\w"}[str(arg)])
    return "[^" + "".join(parts) + "]"


def _category(name: str) -> str:
    return {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a"}.get(name, "a")
