"""Reading catalogue files: one hardened lxml parser, errors that name the file and the line."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from gateway.errors import CatalogueError, ErrorDetail

CATALOGUE_NS = "urn:esav:catalogue"
NOMENCLATURE_NS = "urn:esav:nomenclature"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
FORM_NS_PREFIX = "urn:esav:formulaire:"


def form_namespace(code: str) -> str:
    """The target namespace of every version of form ``code``."""
    return FORM_NS_PREFIX + code


def catalogue_error(source: Path | str, line: int | None, message: str) -> CatalogueError:
    """A CatalogueError reading ``file:line: message`` that also carries them apart, in ``chemin`` and
    its single detail (``ligne``), so that tools such as the linter need not parse the text."""
    where = f"{source}:{line}" if line else f"{source}"
    return CatalogueError(
        f"{where}: {message}",
        chemin=str(source),
        details=(ErrorDetail(chemin=str(source), libelle=message, ligne=line or None),),
    )


def hardened_parser() -> etree.XMLParser:
    """A parser that loads nothing from outside the file: no DTD, no entities, no network.

    A new one per use: lxml parsers must not be shared between threads.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def parse_bytes(data: bytes, source: Path | str) -> etree._ElementTree:
    """Parse catalogue XML; refuse a DOCTYPE; raise CatalogueError naming ``source`` and the line."""
    try:
        tree = etree.ElementTree(etree.fromstring(data, hardened_parser()))
    except etree.XMLSyntaxError as exc:
        raise catalogue_error(source, exc.lineno, f"XML mal formé : {exc.msg}") from exc
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise catalogue_error(source, 1, "DOCTYPE interdit dans un fichier du catalogue")
    return tree


def read_bytes(path: Path) -> bytes:
    """A catalogue file's bytes, or CatalogueError naming the missing file."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise catalogue_error(path, None, f"fichier illisible ({exc.strerror})") from exc


def parse_file(path: Path) -> etree._ElementTree:
    """Read and parse one catalogue file (see :func:`parse_bytes`)."""
    return parse_bytes(read_bytes(path), path)


def compile_schema(tree: etree._ElementTree, source: Path | str) -> etree.XMLSchema:
    """Compile an XSD; a bad schema raises CatalogueError naming ``source`` and the line."""
    try:
        return etree.XMLSchema(tree)
    except etree.XMLSchemaParseError as exc:
        err = exc.error_log.last_error if exc.error_log else None
        line = err.line if err is not None else None
        message = err.message if err is not None else str(exc)
        raise catalogue_error(source, line, f"schéma XSD invalide : {message}") from exc


def check_against(schema: etree.XMLSchema, tree: etree._ElementTree, source: Path | str) -> None:
    """Validate a catalogue file against its format; the first error names the file and line."""
    if not schema.validate(tree):
        err = schema.error_log[0]
        raise catalogue_error(source, err.line, err.message)


def check_form_xsd(code: str, tree: etree._ElementTree) -> tuple[str | None, str]:
    """(problem or None, root element name) for a form XSD: the target namespace must be
    ``urn:esav:formulaire:{code}``, there must be exactly one global element, and the XSD must be
    self-contained (libxml2 would fetch an imported or included schema itself, outside our parser)."""
    schema = tree.getroot()
    for directive in ("import", "include", "redefine"):
        if schema.find(f"{{{XSD_NS}}}{directive}") is not None:
            return f"un formulaire est autonome : xs:{directive} interdit", ""
    expected_ns = form_namespace(code)
    if schema.get("targetNamespace") != expected_ns:
        found = schema.get("targetNamespace")
        return f"l'espace de noms cible doit être {expected_ns} (trouvé : {found})", ""
    elements = schema.findall(f"{{{XSD_NS}}}element")
    if len(elements) != 1:
        return f"un formulaire déclare exactement un élément global ({len(elements)} trouvés)", ""
    return None, str(elements[0].get("name"))
