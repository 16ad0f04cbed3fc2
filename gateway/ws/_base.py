"""What every version's services share: who is calling, and errors turned into typed faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from spyne import ServiceBase
from spyne.model.fault import Fault

from gateway.errors import EsavError, InvalidRequestError
from gateway.services import Caller, Gateway

from ._faults import FaultTypes, as_esav_error, to_fault

__all__ = [
    "CALL_FAULT",
    "CALL_INFO",
    "CALL_OPERATION",
    "CALL_OPERATOR",
    "CALL_REQUEST_ID",
    "CALL_RETRY_AFTER",
    "CLIENT_FINGERPRINT",
    "Guard",
    "authorize",
    "form_element",
    "form_payload",
    "make_service_base",
    "reported_error",
]

#: WSGI environ key under which the host puts the verified client certificate's fingerprint.
CLIENT_FINGERPRINT = "esav.client_fingerprint"
#: WSGI environ key of a dict the host reads back after the call (see ``gateway.server.CallRecord``),
#: with these keys:
CALL_INFO = "esav.call"
CALL_REQUEST_ID = "request_id"
CALL_OPERATION = "operation"
CALL_OPERATOR = "operator"
CALL_FAULT = "fault_code"
CALL_RETRY_AFTER = "retry_after"
#: A check run before every operation, at one of two moments: by the host, before the envelope is
#: even validated, with caller None (maintenance, version retirement: their refusal is the answer
#: whatever the request holds), or by the service base once the certificate names the operator,
#: with that caller (rate limits). ``gateway.server`` gives each guard to the one that runs it.
Guard = Callable[[Caller | None, str], None]


def authorize(
    gateway: Gateway,
    domain: str | None,
    guards: tuple[Guard, ...],
    fingerprint: str | None,
    operation: str,
    call: dict[str, Any],
) -> Caller:
    """The caller of an operation (``operation``: the Body's element, ``{namespace}name``), once its
    certificate, the guards that need it and its rights allow the call; noted in ``call``."""
    caller = gateway.access.authenticate_certificate(fingerprint)
    call[CALL_OPERATOR] = caller.operator_code
    for guard in guards:  # those that need the caller (rate limits); see ``Guard``
        guard(caller, operation)
    if domain is not None:
        gateway.access.require_ws_domain(caller, domain)
    else:
        gateway.access.require_ws_subscription(caller)
    return caller


def reported_error(error: BaseException, call: dict[str, Any]) -> EsavError:
    """An operation's failure as the error its fault carries, noted in ``call`` (code, Retry-After)."""
    reported = as_esav_error(error, call.get(CALL_REQUEST_ID))
    call[CALL_FAULT] = reported.code
    if reported.reessayer_dans is not None:
        call[CALL_RETRY_AFTER] = reported.reessayer_dans
    return reported


def make_service_base(
    gateway: Gateway, domain: str | None, faults: FaultTypes, guards: tuple[Guard, ...] = ()
) -> type[ServiceBase]:
    """A fresh ServiceBase for one Application: authenticates, checks rights, translates errors.

    ``domain`` is what the operator must be validated for (``signalisation``, ``test``), or None
    for services every e-SAV intégré subscriber may call (the catalogue).
    """

    class EsavServiceBase(ServiceBase):
        @classmethod
        def call_wrapper(cls, ctx: Any, args: Any = None) -> Any:
            call = ctx.transport.req_env.get(CALL_INFO, {})
            call[CALL_OPERATION] = ctx.descriptor.name if ctx.descriptor is not None else None
            try:
                fingerprint = ctx.transport.req_env.get(CLIENT_FINGERPRINT)
                ctx.udc = authorize(gateway, domain, guards, fingerprint, ctx.method_request_string, call)
                return super().call_wrapper(ctx, args)
            except Fault as fault:
                error = getattr(fault, "esav_error", None)
                call[CALL_FAULT] = error.code if error is not None else "REQUETE_INVALIDE"
                raise
            except Exception as error:
                raise to_fault(reported_error(error, call), faults) from None

    return EsavServiceBase


def form_payload(ctx: Any, namespace: str, wrapper: str = "formulaire") -> etree._Element:
    """The form element carried by the ``xs:any`` of the wrapper (spyne leaves the argument empty)."""
    return form_element(ctx.in_body_doc, namespace, wrapper)


def form_element(body: etree._Element | None, namespace: str, wrapper: str = "formulaire") -> etree._Element:
    """The form element in the ``xs:any`` of ``wrapper``, a child of the operation's element ``body``."""
    holder = body.find(f"{{{namespace}}}{wrapper}") if body is not None else None
    children = [c for c in holder if isinstance(c.tag, str)] if holder is not None else []
    if len(children) != 1:
        raise InvalidRequestError(
            "Le formulaire doit contenir exactement un élément XML, celui du schéma du formulaire.",
            chemin=wrapper,
        )
    return children[0]
