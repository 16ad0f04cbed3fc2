"""Reading a request body safely, before spyne sees a byte (contract §8: hostile XML).

No DTD (hence no entity, internal or external), no network, bounded size and depth.
"""

from __future__ import annotations

import threading

from lxml import etree

from gateway.errors import InvalidRequestError, quote_values_in

__all__ = ["PARSED_DOCUMENT", "check_request_xml", "check_soap_body"]

#: The WSGI environ key under which the host hands its hardened parse to the protocol, so that a
#: request is parsed once (``EsavSoap11.create_in_document`` reads it).
PARSED_DOCUMENT = "esav.parsed_document"

_local = threading.local()
_SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


def _parser() -> etree.XMLParser:
    # lxml parsers are not shared across threads. Besides the hardening, the same options as spyne's
    # own parser (comments, processing instructions and CDATA markers dropped), since spyne reads
    # this very tree.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=True,
            remove_pis=True,
            strip_cdata=True,
        )
    return parser


def check_request_xml(body: bytes, *, max_depth: int) -> etree._Element:
    """Parse a SOAP request, refusing DTDs, entities, bad encodings and excessive nesting."""
    if not body.strip():
        raise InvalidRequestError("Requête vide : une enveloppe SOAP est attendue.")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "Excessive depth" in message:
            raise InvalidRequestError(f"Document XML trop imbriqué (plus de {max_depth} niveaux).") from None
        raise InvalidRequestError(f"XML mal formé : {quote_values_in(message)}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise InvalidRequestError("Les DTD et les entités sont interdites dans les requêtes (DOCTYPE refusé).")
    if _deeper_than(max_depth)(root):
        raise InvalidRequestError(f"Document XML trop imbriqué (plus de {max_depth} niveaux).")
    return root


def _deeper_than(max_depth: int) -> etree.XPath:
    """True for a document holding an element below ``max_depth`` levels (the root is the first):
    ``/*/*…`` one step more, walked by libxml2 (a quarter of a walk of the tree in Python). One per
    thread and bound, as the parser."""
    cache: dict[int, etree.XPath] | None = getattr(_local, "deeper_than", None)
    if cache is None:
        cache = _local.deeper_than = {}
    found = cache.get(max_depth)
    if found is None:
        found = cache[max_depth] = etree.XPath("boolean(" + "/*" * (max_depth + 1) + ")")
    return found


def check_soap_body(root: etree._Element) -> None:
    """Refuse a SOAP 1.1 envelope whose Body is missing, empty or holds only text: document/literal
    wants the operation's element there (spyne itself would fail on it with an internal error).
    Another root element is left to spyne, which answers it with REQUETE_INVALIDE."""
    if root.tag != f"{{{_SOAP_ENV}}}Envelope":
        return
    body = root.find(f"{{{_SOAP_ENV}}}Body")
    if body is None:
        raise InvalidRequestError("Enveloppe SOAP sans soap:Body : l'élément de l'opération y est attendu.")
    if not any(isinstance(child.tag, str) for child in body):
        raise InvalidRequestError(
            "soap:Body ne contient aucun élément : l'élément de l'opération y est attendu.", chemin="Body"
        )
