"""Service ``notification`` v2 (contract §12): the callback an operator's endpoint implements.

The provider publishes its WSDL (``wsdl/v2/notification.wsdl``, frozen by ``esav wsdl figer`` like
the served contracts) and calls ``notifierEvenement`` on the operator's registered endpoint, over
HTTPS with the provider's client certificate, once per event (at least once, in order per ticket).
The endpoint answers with the ``idEvenement`` it received; any fault or HTTP error means "not
delivered" and the provider tries again later.

``build_application(on_event=...)`` is also the reference receiver operators can run
(``esav notifications recepteur``): ``on_event`` gets each ``evenement`` element as received.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree
from spyne import Application, Integer, ServiceBase, rpc

from .._faults import make_fault_types, to_fault
from .._protocol import esav_application
from ._events import make_event_types

__all__ = ["NAMESPACE", "OPERATION", "EventHandler", "build_application"]

NAMESPACE = "urn:esav:notification:v2"
OPERATION = "notifierEvenement"

#: Called with the received ``evenement`` element (lxml); an exception makes the call a fault.
EventHandler = Callable[[etree._Element], None]


def build_application(
    gateway: Any = None, guards: tuple[Any, ...] = (), *, on_event: EventHandler | None = None
) -> Application:
    """The spyne Application of the callback. ``gateway`` and ``guards`` are unused (the signature of
    every service module, so that ``esav wsdl`` generates it like the others)."""
    faults = make_fault_types(NAMESPACE)
    ev = make_event_types(NAMESPACE)

    class NotificationService(ServiceBase):
        @classmethod
        def call_wrapper(cls, ctx: Any, args: Any = None) -> Any:
            try:
                return super().call_wrapper(ctx, args)
            except faults.fault:
                raise
            except Exception as error:
                raise to_fault(error, faults) from None

        @rpc(
            ev.req(ev.event),
            _returns=ev.req(Integer),
            _out_variable_name="idEvenement",
            _throws=[faults.fault],
        )
        def notifierEvenement(ctx, evenement):
            body = ctx.in_body_doc
            element = body.find(f"{{{NAMESPACE}}}evenement") if body is not None else None
            if on_event is not None and element is not None:
                on_event(element)
            return evenement.idEvenement

    return esav_application([NotificationService], NAMESPACE, "notification", faults)
