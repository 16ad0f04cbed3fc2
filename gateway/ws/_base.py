"""What every version's services share: who is calling, and errors turned into typed faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from spyne import ServiceBase
from spyne.model.fault import Fault

from gateway.errors import InvalidRequestError
from gateway.services import Caller, Gateway

from ._faults import FaultTypes, to_fault

__all__ = [
    "CALL_FAULT",
    "CALL_INFO",
    "CALL_OPERATION",
    "CALL_OPERATOR",
    "CALL_REQUEST_ID",
    "CALL_RETRY_AFTER",
    "CLIENT_FINGERPRINT",
    "GUARDS_CHECKED",
    "Guard",
    "form_payload",
    "make_service_base",
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
#: WSGI environ key set by a host that has already run the guards without a caller (maintenance,
#: version retirement) before the envelope was validated, so that a request refused by them gets
#: their fault (MAINTENANCE...) whatever its content; the service base then does not run them again.
GUARDS_CHECKED = "esav.guards_checked"

#: A check run before every operation (maintenance window, version retirement, quotas...). Each guard
#: is called twice: before authentication with caller None (maintenance, retirement act then), and
#: once the certificate names the operator, with that caller (rate limits act then).
Guard = Callable[[Caller | None, str], None]


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
                if not ctx.transport.req_env.get(GUARDS_CHECKED):
                    for guard in guards:
                        guard(None, ctx.method_request_string)
                caller = gateway.access.authenticate_certificate(ctx.transport.req_env.get(CLIENT_FINGERPRINT))
                call[CALL_OPERATOR] = caller.operator_code
                for guard in guards:  # again with the caller known (rate limits); see ``Guard``
                    guard(caller, ctx.method_request_string)
                if domain is not None:
                    gateway.access.require_ws_domain(caller, domain)
                else:
                    gateway.access.require_ws_subscription(caller)
                ctx.udc = caller
                return super().call_wrapper(ctx, args)
            except Fault as fault:
                error = getattr(fault, "esav_error", None)
                call[CALL_FAULT] = error.code if error is not None else "REQUETE_INVALIDE"
                raise
            except Exception as error:
                typed = to_fault(error, faults, call.get(CALL_REQUEST_ID))
                reported = typed.esav_error
                call[CALL_FAULT] = reported.code
                if reported.reessayer_dans is not None:
                    call[CALL_RETRY_AFTER] = reported.reessayer_dans
                raise typed from None

    return EsavServiceBase


def form_payload(ctx: Any, namespace: str, wrapper: str = "formulaire") -> etree._Element:
    """The form element carried by the ``xs:any`` of the wrapper (spyne leaves the argument empty)."""
    body = ctx.in_body_doc
    holder = body.find(f"{{{namespace}}}{wrapper}") if body is not None else None
    children = [c for c in holder if isinstance(c.tag, str)] if holder is not None else []
    if len(children) != 1:
        raise InvalidRequestError(
            "Le formulaire doit contenir exactement un élément XML, celui du schéma du formulaire.",
            chemin=wrapper,
        )
    return children[0]
