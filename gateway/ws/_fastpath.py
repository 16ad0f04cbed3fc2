"""The fast path: the hottest operations read and answered without spyne's generic object mapping.

spyne maps every request to model instances and every answer back through its generic walk, which
costs as much as the service itself for a deposit (``bench/README.md``). For the few operations
that carry most calls, the host hands the tree it already parsed (hardened) to a ``FastPath``,
which does what spyne does for them, in the same order and with the same outcome:

1. the operation's element (the Body's first child) is validated against the schema spyne
   validates with (the WSDL's ``xs:schema``, its ``xs:maxLength`` facets included): an invalid one
   gets the same REQUETE_INVALIDE fault, ``chemin`` included;
2. the caller is authorised as by the service base (certificate, guards, rights: ``authorize``),
   then the same use case runs, inside the host's ``CallBatch`` like any service method;
3. the answer is written from a precompiled template (``AnswerTemplate``) that holds what spyne
   writes for it, C14N-equal (``tests/test_ws_fast_path.py`` compares them), and a failure is the
   same typed ``erreurEsav`` fault.

An operation declines a request it does not read itself (``FastOperation.accepts``): spyne then
serves it, as it serves every other operation. The WSDL is spyne's, unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lxml import etree

from gateway.errors import EsavError
from gateway.services import Caller, Gateway

from ._base import CALL_FAULT, CALL_OPERATION, CALL_REQUEST_ID, Guard, authorize, reported_error
from ._faults import fault_answer
from ._protocol import contract_error
from ._text import wire_text

__all__ = ["AnswerTemplate", "FastCall", "FastOperation", "FastPath", "child_texts"]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
_BODY = f"{{{SOAP_ENV}}}Body"
_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


class AnswerTemplate:
    """An operation's answer as spyne writes it (``tns:{operation}Response`` and its fields in
    order, declared on the envelope as spyne does), compiled once; ``render(values)`` fills it.

    Values are written as spyne writes them: text made safe for XML (``wire_text``, logged),
    an instant in ISO 8601 with its offset, and a None field left out.
    """

    def __init__(self, namespace: str, operation: str, fields: Sequence[str]) -> None:
        self._operation = operation
        self._fields = tuple(fields)
        self._head = (
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            f'<soap11env:Envelope xmlns:soap11env="{SOAP_ENV}" xmlns:tns="{namespace}">'
            f"<soap11env:Body><tns:{operation}Response>"
        )
        self._tail = f"</tns:{operation}Response></soap11env:Body></soap11env:Envelope>"
        self._items = tuple((f"<tns:{name}>", f"</tns:{name}>") for name in self._fields)

    def render(self, values: Sequence[Any], request_id: str | None = None) -> bytes:
        parts = [self._head]
        for (opening, closing), name, value in zip(self._items, self._fields, values, strict=True):
            if value is None:
                continue
            if isinstance(value, datetime):
                text = value.isoformat()
            else:
                where = f"request {request_id}: {name}" if request_id else name
                text = wire_text(str(value), where).translate(_TEXT_ESCAPES)
            parts += (opening, text, closing)
        parts.append(self._tail)
        return "".join(parts).encode()


@dataclass(frozen=True)
class FastOperation:
    """One operation served on the fast path.

    ``accepts(element)`` says whether the fast path reads this request (else spyne serves it);
    ``run(caller, element)`` reads the validated element's fields and calls the use case, returning
    the answer's values in ``answer``'s order; ``prestation(element)``, the prestation the use case
    will read, which the server reads ahead with the rest of its batch; ``writes``, whether the use
    case writes (a batch of calls that only read has no commit to share, and never waits for more).
    """

    name: str
    run: Callable[[Caller, etree._Element], Sequence[Any]]
    answer: AnswerTemplate
    accepts: Callable[[etree._Element], bool] = lambda element: True
    prestation: Callable[[etree._Element], str | None] = lambda element: None
    writes: bool = True


class FastCall:
    """One call on the fast path between the host's phases: read, then ``handle``, then ``render``."""

    def __init__(
        self,
        path: FastPath,
        operation: FastOperation,
        element: etree._Element,
        call: dict[str, Any],
        fingerprint: str | None,
    ) -> None:
        self._path, self._operation, self._element, self._call = path, operation, element, call
        self._fingerprint = fingerprint
        self._values: Sequence[Any] | None = None
        self.error: EsavError | None = None

    def handle(self) -> None:
        """The service method's part: authorisation and the use case (in the batch's greenlet)."""
        if self.error is not None:
            return
        path, call = self._path, self._call
        call[CALL_OPERATION] = self._operation.name
        try:
            caller = authorize(path.gateway, path.domain, path.guards, self._fingerprint, self._element.tag, call)
            self._values = self._operation.run(caller, self._element)
        except Exception as error:
            self.error = reported_error(error, call)

    @property
    def writes(self) -> bool:
        """Whether the call's use case may write (a call refused on reading writes nothing)."""
        return self.error is None and self._operation.writes

    def prestation(self) -> str | None:
        """The prestation the call's use case will read, if it reads one (valid calls only)."""
        return self._operation.prestation(self._element) if self.error is None else None

    def render(self) -> tuple[int, bytes]:
        """HTTP status and the answer's bytes (after the batch's commit)."""
        if self.error is not None:
            return 500, fault_answer(self.error, self._path.namespace)
        assert self._values is not None
        return 200, self._operation.answer.render(self._values, self._call.get(CALL_REQUEST_ID))


class FastPath:
    """The fast operations of one endpoint, validated with ``schema`` (its spyne Application's)."""

    def __init__(
        self,
        gateway: Gateway,
        namespace: str,
        domain: str | None,
        guards: tuple[Guard, ...],
        schema: etree.XMLSchema,
        operations: Sequence[FastOperation],
    ) -> None:
        self.gateway, self.namespace, self.domain, self.guards = gateway, namespace, domain, guards
        self._schema = schema
        self._operations = {f"{{{namespace}}}{op.name}": op for op in operations}

    def read(self, document: etree._Element, call: dict[str, Any], fingerprint: str | None) -> FastCall | None:
        """The call, validated, if one of the fast operations serves it; None leaves it to spyne."""
        if document.tag != _ENVELOPE:
            return None
        body = document.find(_BODY)
        if body is None or not len(body):
            return None
        element = body[0]  # what spyne reads: the Body's first child
        operation = self._operations.get(element.tag) if isinstance(element.tag, str) else None
        if operation is None or not operation.accepts(element):
            return None
        if document.find(".//*[@id]") is not None:  # SOAP-encoded references: spyne resolves them
            return None
        fast = FastCall(self, operation, element, call, fingerprint)
        if not self._schema.validate(element):
            fast.error = contract_error(self._schema.error_log.last_error)
            call[CALL_FAULT] = fast.error.code
        return fast


def child_texts(element: etree._Element) -> dict[str, Any]:
    """The text of each child element by local name, as spyne reads a string field (``""`` when the
    element is empty; a missing one is absent); the last one wins for a repeated name."""
    return {child.tag.rpartition("}")[2]: child.text or "" for child in element if isinstance(child.tag, str)}
