"""Hot-path validation of a deposited form: compiled lxml schemas, one per thread, French errors.

An lxml ``XMLSchema`` keeps its ``error_log`` on the object, so two threads validating with the same
object would read each other's errors: each thread compiles its own copy of a form version's schema
on first use (about a millisecond, once) and keeps it in a ``threading.local``.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lxml import etree

from gateway.errors import ErrorDetail, quote, quote_values_in

from ._xml import compile_schema, parse_bytes

SchemaKey = tuple[str, str]  # (form code, version)


class SchemaPool:
    """Compiled schemas of every form version, compiled lazily once per thread."""

    def __init__(self) -> None:
        self._sources: dict[SchemaKey, tuple[bytes, Path]] = {}
        self._local = threading.local()

    def add(self, key: SchemaKey, xsd: bytes, path: Path) -> etree.XMLSchema:
        """Register a form version's XSD, compile it now (a bad XSD fails the load) and return it."""
        self._sources[key] = (xsd, path)
        schema = compile_schema(parse_bytes(xsd, path), path)
        self._cache()[key] = schema
        return schema

    def get(self, key: SchemaKey) -> etree.XMLSchema:
        """This thread's compiled schema for ``key``."""
        cache = self._cache()
        schema = cache.get(key)
        if schema is None:
            xsd, path = self._sources[key]
            schema = cache[key] = compile_schema(parse_bytes(xsd, path), path)
        return schema

    def _cache(self) -> dict[SchemaKey, etree.XMLSchema]:
        cache: dict[SchemaKey, etree.XMLSchema] | None = getattr(self._local, "schemas", None)
        if cache is None:
            cache = self._local.schemas = {}
        return cache


def schema_errors(schema: etree.XMLSchema, payload: etree._Element) -> list[ErrorDetail]:
    """Every error of ``payload`` against ``schema`` (empty when valid), with readable paths."""
    if schema.validate(payload):
        return []
    return [
        ErrorDetail(chemin=readable_path(payload, err.path), libelle=french_message(err), ligne=err.line or None)
        for err in schema.error_log
    ]


_STEP = re.compile(r"^(?:[^:\[\]]+:)?(?P<name>[^:\[\]]+)(?:\[(?P<index>\d+)\])?$")


def readable_path(payload: etree._Element, lxml_path: str | None) -> str:
    """``/signalisationFtth/contactSite/telephone`` for libxml2's ``/*/*[4]/*[2]``.

    libxml2 writes steps as ``*[n]`` (n-th child element) or ``prefix:name[n]``; we walk them from
    the payload and name each element by its local name, with ``[n]`` only where siblings repeat it.
    """
    if not lxml_path or not lxml_path.startswith("/"):
        return "/" + etree.QName(payload).localname
    element = payload
    for step in lxml_path.split("/")[2:]:  # ["", root step, children...]
        match = _STEP.match(step)
        if match is None:
            return _strip_prefixes(lxml_path)
        children = [c for c in element if isinstance(c.tag, str)]
        if match["name"] != "*":
            children = [c for c in children if etree.QName(c).localname == match["name"]]
        index = int(match["index"] or 1) - 1
        if not 0 <= index < len(children):
            return _strip_prefixes(lxml_path)
        element = children[index]
    return _path_of(payload, element)


def _path_of(payload: etree._Element, element: etree._Element) -> str:
    steps = []
    while element is not None and element is not payload:
        parent = element.getparent()
        name = etree.QName(element).localname
        same = [c for c in parent if isinstance(c.tag, str) and etree.QName(c).localname == name]
        steps.append(f"{name}[{same.index(element) + 1}]" if len(same) > 1 else name)
        element = parent
    steps.append(etree.QName(payload).localname)
    return "/" + "/".join(reversed(steps))


def _strip_prefixes(path: str) -> str:
    return re.sub(r"[^/:\[\]]+:", "", path)


# "{urn:...}name": a namespace URI has a colon, a pattern's "{8}" or an enumeration's "{'A', 'B'}" has not.
_NS_NAME = re.compile(r"\{[^}'\s:]+:[^}'\s]*\}")
_ELEMENT_PREFIX = re.compile(r"^Element '[^']*'(?:, attribute '[^']*')?: ")
# libxml2's English messages (after the "Element 'x': " prefix) and their French wording.
_TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), french)
    for pattern, french in (
        (
            r"^\[facet 'enumeration'\] The value '(?P<v>.*)' is not an element of the set \{(?P<set>.*)\}\.$",
            "la valeur « {v} » n'appartient pas à la liste autorisée ({set})",
        ),
        (
            r"^\[facet 'pattern'\] The value '(?P<v>.*)' is not accepted by the pattern '(?P<p>.*)'\.$",
            "la valeur « {v} » ne respecte pas le format attendu ({p})",
        ),
        (
            r"^\[facet 'maxLength'\] The value has a length of '(?P<n>\d+)'; this exceeds the allowed "
            r"maximum length of '(?P<max>\d+)'\.$",
            "valeur trop longue : {n} caractères pour {max} au plus",
        ),
        (
            r"^\[facet 'minLength'\] The value has a length of '(?P<n>\d+)'; this underruns the allowed "
            r"minimum length of '(?P<min>\d+)'\.$",
            "valeur trop courte : {n} caractères pour {min} au moins",
        ),
        (
            r"^\[facet 'maxInclusive'\] The value '(?P<v>.*)' is greater than the maximum value allowed "
            r"\('(?P<max>.*)'\)\.$",
            "la valeur {v} dépasse le maximum autorisé ({max})",
        ),
        (
            r"^\[facet 'minInclusive'\] The value '(?P<v>.*)' is less than the minimum value allowed "
            r"\('(?P<min>.*)'\)\.$",
            "la valeur {v} est inférieure au minimum autorisé ({min})",
        ),
        (
            r"^'(?P<v>.*)' is not a valid value of the "
            r"(?:atomic|local atomic|list|union) type '(?P<t>.*)'\.$",
            "la valeur « {v} » n'est pas du type attendu ({t})",
        ),
        (
            r"^Missing child element\(s\)\. Expected is(?: one of)? \( (?P<e>.*) \)\.$",
            "élément obligatoire manquant : {e}",
        ),
        (
            r"^This element is not expected\. Expected is(?: one of)? \( (?P<e>.*) \)\.$",
            "élément inattendu à cet endroit ; attendu : {e}",
        ),
        (r"^This element is not expected\.$", "élément inattendu à cet endroit"),
        (r"^The attribute '(?P<a>.*)' is not allowed\.$", "attribut « {a} » non autorisé"),
        (
            r"^Character content other than whitespace is not allowed because the content type is "
            r"'element-only'\.$",
            "texte non autorisé : cet élément ne contient que des éléments",
        ),
    )
)


def french_message(error: etree._LogEntry) -> str:
    """libxml2's message for ``error`` in French, without namespace URIs; English if unknown. A value
    it quotes is cut to its first characters (``gateway.errors.quote``)."""
    message = _NS_NAME.sub("", _ELEMENT_PREFIX.sub("", error.message.strip()))
    for pattern, french in _TRANSLATIONS:
        match = pattern.match(message)
        if match is not None:
            groups = match.groupdict()
            if "set" in groups:
                groups["set"] = groups["set"].replace("'", "")
            if "v" in groups:
                groups["v"] = quote(groups["v"])  # the value as the form sent it: at most its start
            return french.format(**groups)
    return quote_values_in(message)
