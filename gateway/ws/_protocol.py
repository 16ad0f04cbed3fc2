"""SOAP 1.1 as the gateway speaks it: spyne's protocol with a true ``xs:any`` on the way out, and
every fault, spyne's own included, sent as the typed ``erreurEsav`` fault of the WSDL."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from lxml import etree
from spyne import AnyXml, Application, Unicode
from spyne.const.xml import XSD
from spyne.model.fault import Fault
from spyne.protocol.soap import Soap11
from spyne.protocol.xml import SchemaValidationError

from gateway.domain.clock import paris_if_naive
from gateway.errors import EsavError, InvalidRequestError, quote_values_in

from ._base import CALL_INFO, CALL_REQUEST_ID
from ._faults import FaultTypes, to_fault
from ._hardening import PARSED_DOCUMENT
from ._text import wire_text

__all__ = ["EsavSoap11", "contract_error", "esav_application"]

_XS_ANY = XSD("any")
_LIBXML_PREFIX = re.compile(r"^.*?:\d+:\d+:ERROR:\w+:\w+: ")
_LIBXML_SUBJECT = re.compile(r"^Element '[^']*'(?:, attribute '(?P<attribute>[^']*)')?: ")
_QNAME = re.compile(r"\{[A-Za-z][A-Za-z0-9+.-]*:[^}]*\}")  # {namespace-uri}, not a {n,m} quantifier


class EsavSoap11(Soap11):
    """Soap11 that (1) appends an ``xs:any`` value as the element itself, where spyne would wrap it
    in an element named after the field, (2) never lets an untyped fault out, and (3) writes every
    text XML can carry (``_text``): one stored character must not cost the whole answer."""

    def __init__(self, *args: Any, faults: FaultTypes | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._faults = faults
        self.serialization_handlers[AnyXml] = self._any_xml_to_parent
        self.serialization_handlers[Fault] = self._typed_fault_to_parent
        self.serialization_handlers[SchemaValidationError] = self._typed_fault_to_parent
        self.serialization_handlers[Unicode] = self._text_to_parent

    def _text_to_parent(
        self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: str, name: str = "retval", **kw: Any
    ) -> Any:
        if isinstance(inst, str):
            request_id = (getattr(ctx.transport, "req_env", None) or {}).get(CALL_INFO, {}).get(CALL_REQUEST_ID)
            inst = wire_text(inst, f"request {request_id}: {name}" if request_id else name)
        return self.modelbase_to_parent(ctx, cls, inst, parent, ns, name, **kw)

    def _any_xml_to_parent(self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: str, name: str, **kw: Any) -> None:
        if cls.Attributes.schema_tag != _XS_ANY:
            return self.any_xml_to_parent(ctx, cls, inst, parent, ns, name, **kw)
        if isinstance(inst, str | bytes):
            inst = etree.fromstring(inst)
        parent.append(inst)
        return None

    # An xs:dateTime sent without an offset is read as Paris time, the contract's local time, in
    # every operation (spyne would hand it on naive, and naive and aware instants do not compare).
    # (XML reads dateTime through datetime_from_unicode_iso.)
    def datetime_from_unicode_iso(self, cls: Any, string: str) -> Any:
        return _paris_if_naive(super().datetime_from_unicode_iso(cls, string))

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        """The envelope as the host already parsed it (hardened, same parser options), else spyne's
        own parse. spyne would decode and re-encode a body that declares its encoding, parsing it
        twice, on top of the host's parse."""
        environ = getattr(ctx.transport, "req_env", None) or {}
        root = environ.get(PARSED_DOCUMENT)
        if root is None or ctx.transport.get_request_method() != "POST":
            super().create_in_document(ctx, charset)
            return
        if ctx.transport.get_request_content_type() is None:
            super().create_in_document(ctx, charset)  # spyne's own 405 answer
            return
        ctx.in_document = root, {element.get("id"): element for element in root.iterfind(".//*[@id]")}

    def validate_body(self, ctx: Any, message: Any) -> None:
        try:
            super().validate_body(ctx, message)
        except SchemaValidationError:
            error = contract_error(self.validation_schema.error_log.last_error)
            if self._faults is None:
                raise
            raise to_fault(error, self._faults) from None

    def _typed_fault_to_parent(self, ctx: Any, cls: Any, inst: Any, parent: Any, ns: str, *args: Any, **kw: Any) -> Any:
        if self._faults is not None and not isinstance(inst, self._faults.fault):
            inst = to_fault(_as_error(inst), self._faults)
            cls = self._faults.fault
        result = self.fault_to_parent(ctx, cls, inst, parent, ns, *args, **kw)
        _drop_nonstandard_fault_children(parent, self.ns_soap_env)
        return result


#: SOAP 1.1 §4.4: the only children of a Fault. spyne also writes the fault class's own members
#: (code, libelle as xsi:nil) after detail, which strict clients (.NET's WCF) refuse.
_FAULT_CHILDREN = frozenset({"faultcode", "faultstring", "faultactor", "detail"})


def _drop_nonstandard_fault_children(parent: Any, soap_env: str) -> None:
    if not isinstance(parent, etree._Element):
        return
    for fault in parent.iterchildren(f"{{{soap_env}}}Fault"):
        for child in list(fault):
            if not isinstance(child.tag, str) or child.tag not in _FAULT_CHILDREN:
                fault.remove(child)


def _paris_if_naive(instant: Any) -> Any:
    return paris_if_naive(instant) if isinstance(instant, datetime) else instant


def contract_error(entry: Any) -> InvalidRequestError:
    """libxml2's complaint about an envelope as REQUETE_INVALIDE: its message names the field (and
    the limit it exceeds); ``chemin`` is the element's path, ``/@name`` added for an attribute."""
    if entry is None:
        return InvalidRequestError("Requête non conforme au contrat (WSDL) : document non conforme")
    text = _QNAME.sub("", entry.message)
    path = _QNAME.sub("", entry.path or "")
    named = _LIBXML_SUBJECT.match(text)
    if named is not None and named["attribute"] and path:
        path = f"{path}/@{named['attribute']}"
    return InvalidRequestError(f"Requête non conforme au contrat (WSDL) : {quote_values_in(text)}", chemin=path or None)


def _as_error(fault: Fault) -> BaseException:
    """What one of spyne's own faults means in the gateway's terms."""
    code = str(fault.faultcode or "")
    text = quote_values_in(_LIBXML_PREFIX.sub("", str(fault.faultstring or "")))
    if code.startswith("Client"):
        if "ResourceNotFound" in code or "MethodNotFound" in code:
            return InvalidRequestError(f"Opération inconnue : {_QNAME.sub('', text)}")
        return InvalidRequestError(f"Requête invalide : {_QNAME.sub('', text)}")
    if isinstance(fault, EsavError):  # pragma: no cover - our errors are never spyne faults
        return fault
    return RuntimeError(f"spyne fault {code}: {text}")  # logged with an incident id by to_fault


def esav_application(services: list[Any], namespace: str, name: str, faults: FaultTypes) -> Application:
    """A spyne Application as every e-SAV service is published: SOAP 1.1 both ways, the whole
    envelope validated by lxml against the generated schema, every fault typed."""
    return Application(
        services,
        tns=namespace,
        name=name,
        in_protocol=EsavSoap11(validator="lxml", faults=faults),
        out_protocol=EsavSoap11(faults=faults),
    )
