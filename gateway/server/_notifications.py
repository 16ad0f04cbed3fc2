"""Pushing events to operators' callback endpoints from a running gateway (contract §12).

``NotificationDispatcher`` looks for operators with a due delivery every ``notification_poll_s``
(a ``LoopingCall`` on the reactor) and hands each such operator's queue to a bounded thread pool
(``NotificationService.deliver``): the HTTP calls never run in the reactor thread, one operator has
at most one call in flight (its queue is strictly ordered), and every call has a timeout, so a slow
or dead endpoint holds one pool thread for at most ``notification_timeout_s`` and never the gateway
or another operator's queue (as long as fewer operators hang than there are threads).

``ZeepSender`` is the transport: zeep, driven by the published ``wsdl/v2/notification.wsdl``, over
HTTPS with the provider's client certificate, the operator's server certificate checked against the
public CAs (certifi), the provider's CA and the recognised CAs.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import certifi
import requests
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure

from gateway._resources import shipped_wsdl
from gateway.config import Settings
from gateway.services import DeliveryRun, NotificationService
from gateway.services.records import EventRecord
from gateway.ws.v2 import notification
from gateway.ws.v2._events import event_fields

from ._pooled_loop import PooledLoop

if TYPE_CHECKING:
    import zeep

__all__ = ["NOTIFICATION_WSDL", "NotificationDispatcher", "ZeepSender", "start_notifications"]

log = logging.getLogger("gateway.notifications")

#: The published callback contract, from which zeep builds the outgoing calls.
NOTIFICATION_WSDL = shipped_wsdl() / "v2" / "notification.wsdl"
_BINDING = f"{{{notification.NAMESPACE}}}notification"  # spyne names the binding after the Application


class ZeepSender:
    """Sends one event with zeep (``notifierEvenement``); raises on any failure. Thread-safe: one zeep
    client (and HTTP session) per thread."""

    def __init__(self, cert: Path, key: Path, trust: Path, *, timeout_s: float, wsdl: Path = NOTIFICATION_WSDL) -> None:
        self._cert, self._key, self._trust = str(cert), str(key), str(trust)
        self._timeout_s = timeout_s
        self._wsdl = str(wsdl)
        self._local = threading.local()

    def _client(self) -> zeep.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            import zeep  # by the first delivery: a gateway no operator asked to notify never loads it

            session = requests.Session()
            session.trust_env = False  # an environment CA bundle would override verify
            session.verify = self._trust
            session.cert = (self._cert, self._key)
            transport = zeep.Transport(session=session, timeout=self._timeout_s, operation_timeout=self._timeout_s)
            client = self._local.client = zeep.Client(self._wsdl, transport=transport)
        return client

    def __call__(self, url: str, event: EventRecord) -> None:
        service: Any = self._client().create_service(_BINDING, url)
        answer = service.notifierEvenement(evenement=event_fields(event))
        if answer != event.id:
            raise ValueError(f"le point de notification a accusé {answer!r} au lieu de {event.id}")


def trust_bundle(settings: Settings) -> Path:
    """Public CAs, the provider's CA and the recognised CAs in one PEM file (``pki/notification-trust.pem``)."""
    parts = [Path(certifi.where()).read_bytes(), *(p.read_bytes() for p in settings.recognised_cas)]
    provider_ca = settings.pki_dir / "ca.pem"
    if provider_ca.is_file():
        parts.append(provider_ca.read_bytes())
    bundle = settings.pki_dir / "notification-trust.pem"
    bundle.write_bytes(b"\n".join(parts))
    return bundle


class NotificationDispatcher(PooledLoop):
    """Runs each operator's delivery queue in a bounded thread pool, driven by a reactor loop."""

    def __init__(self, service: NotificationService, send: Any, reactor: Any, *, poll_s: float, workers: int) -> None:
        super().__init__(reactor, poll_s=poll_s, threads=workers, name="esav-notifications")
        self._service = service
        self._send = send
        self._busy: set[str] = set()

    def tick(self) -> None:
        """Start the queue of every operator with a due delivery and no call in flight."""
        try:
            due = self._service.due_operators()
        except Exception:  # a store hiccup must not stop the loop
            log.exception("notifications: reading the queues failed")
            return
        for operator_code in due:
            if operator_code in self._busy or not self._loop.running:
                continue
            self._busy.add(operator_code)
            d = deferToThreadPool(self._reactor, self._pool, self._service.deliver, operator_code, self._send)
            d.addBoth(self._done, operator_code)

    def _done(self, result: DeliveryRun | Failure, operator_code: str) -> None:
        self._busy.discard(operator_code)
        if isinstance(result, Failure):
            log.error("notifications: %s: %s", operator_code, result.getErrorMessage())
        elif result.delivered:
            log.info("notifications: %s: delivered %s", operator_code, ", ".join(map(str, result.delivered)))


def start_notifications(
    service: NotificationService, settings: Settings, reactor: Any
) -> NotificationDispatcher | None:
    """Start pushing (None, with a warning, when the provider's client certificate is missing)."""
    cert = settings.notification_cert or settings.pki_dir / "notifier.pem"
    key = settings.notification_key or settings.pki_dir / "notifier.key"
    if not (cert.is_file() and key.is_file()):
        log.warning("notifications: no provider client certificate (%s): events are not pushed, pull works", cert)
        return None
    sender = ZeepSender(cert, key, trust_bundle(settings), timeout_s=settings.notification_timeout_s)
    dispatcher = NotificationDispatcher(
        service, sender, reactor, poll_s=settings.notification_poll_s, workers=settings.notification_workers
    )
    dispatcher.start()
    return dispatcher
