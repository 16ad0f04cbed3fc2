"""Pushing the operators' events to their callback endpoints (contract §12), and the provider's controls.

Each operator has one queue: its waiting deliveries in ``idEvenement`` order. ``deliver`` sends the
head of one operator's queue, then the next, until the queue is empty, not yet due, or an attempt
fails; a failure delays only that operator's queue (growing delays, ``RETRY_DELAYS``). An event still
failing 24 hours after it was queued is given up (``ABANDONNE``) with every older one of that
operator: the operator pulls them with ``consulterEvenements``. How the events travel (zeep over
HTTPS with the provider's client certificate) is the caller's ``Sender``; this module has no network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from gateway.domain.clock import Clock
from gateway.errors import InvalidRequestError
from gateway.store import BacklogRow, EndpointRecord, EventRecord, Store

from ._access import DOMAINS

__all__ = ["DELIVERY_WINDOW", "RETRY_DELAYS", "DeliveryRun", "NotificationService", "Sender", "retry_delay"]

log = logging.getLogger("gateway.notifications")

#: Sends one event to an endpoint URL; raises on any failure (network, TLS, HTTP, SOAP fault).
Sender = Callable[[str, EventRecord], None]

#: Delay before the next attempt after the n-th failure; the last one repeats.
RETRY_DELAYS = tuple(
    timedelta(seconds=s) for s in (10, 30, 60, 120, 300, 600, 1200, 1800, 3600)
)  # fmt: skip
#: How long an event is retried after it was queued before it is left to pull.
DELIVERY_WINDOW = timedelta(hours=24)


def retry_delay(failures: int) -> timedelta:
    """The wait after ``failures`` failed attempts (1 → 10 s, 2 → 30 s, ... then hourly)."""
    return RETRY_DELAYS[min(max(failures, 1), len(RETRY_DELAYS)) - 1]


@dataclass(frozen=True)
class DeliveryRun:
    """What one ``deliver`` call did for one operator."""

    operator_code: str
    delivered: list[int]
    failed: int | None = None  # the event whose attempt failed (the queue waits)
    abandoned: int = 0
    error: str | None = None


class NotificationService:
    """Operators' callback endpoints, their delivery queues, and the provider's backlog and replay."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # The provider's controls ----------------------------------------------------------------------

    def register(self, operator_code: str, domain: str, url: str, *, author: str) -> EndpointRecord:
        """Register (or replace) the operator's endpoint for a domain; events from now on are pushed there."""
        if self._store.get_operator(operator_code) is None:
            raise InvalidRequestError(f"Opérateur {operator_code} inconnu.", chemin="operateur", valeur=operator_code)
        if domain not in DOMAINS:
            raise InvalidRequestError(
                f"Domaine « {domain} » inconnu (domaines : {', '.join(sorted(DOMAINS))}).",
                chemin="domaine",
                valeur=domain,
            )
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            raise InvalidRequestError(
                f"Adresse « {url} » refusée : une URL https:// est exigée (contract §12).", chemin="url", valeur=url
            )
        with self._store.write() as tx:
            tx.events.set_endpoint(operator_code, domain, url, at=self._clock.now(), author=author)
        endpoint = self._store.endpoint_for(operator_code, domain)
        assert endpoint is not None
        return endpoint

    def remove(self, operator_code: str, domain: str) -> bool:
        """Forget the endpoint; its waiting deliveries are given up at their next turn (pull still works)."""
        with self._store.write() as tx:
            return tx.events.remove_endpoint(operator_code, domain)

    def endpoints(self) -> list[EndpointRecord]:
        return self._store.list_endpoints()

    def backlog(self) -> list[BacklogRow]:
        return self._store.backlog()

    def replay(self, operator_code: str, after_id: int) -> int:
        """Queue again every event of the operator after ``after_id`` (a fresh 24-hour window); returns how many."""
        with self._store.write() as tx:
            if not tx.events.has_endpoint(operator_code):
                raise InvalidRequestError(
                    f"{operator_code} n'a pas de point de notification : enregistrez-en un d'abord.",
                    chemin="operateur",
                    valeur=operator_code,
                )
            return tx.events.requeue_after(operator_code, after_id, at=self._clock.now())

    # Delivery -----------------------------------------------------------------------------------

    def due_operators(self) -> list[str]:
        """Operators whose queue has an event to send now."""
        return self._store.due_operators(self._clock.now())

    def deliver(self, operator_code: str, send: Sender, *, max_events: int = 100) -> DeliveryRun:
        """Send the operator's due events in order until done, not due, or a failure (call off the reactor)."""
        delivered: list[int] = []
        for _ in range(max_events):
            head = self._store.head_delivery(operator_code)
            now = self._clock.now()
            if head is None or head[0].next_attempt_at > now:
                break
            delivery, event = head
            endpoint = self._store.endpoint_for(operator_code, event.domain)
            if endpoint is None:
                with self._store.write() as tx:
                    tx.events.delivery_failed(
                        event.id, at=now, error="aucun point de notification enregistré", retry_at=None
                    )
                continue
            try:
                send(endpoint.url, event)
            except Exception as error:  # whatever went wrong, the queue waits and tries again
                message = f"{type(error).__name__}: {error}"[:1000]
                now = self._clock.now()
                if now - delivery.created_at >= DELIVERY_WINDOW:
                    with self._store.write() as tx:
                        tx.events.delivery_failed(event.id, at=now, error=message, retry_at=None)
                        abandoned = 1 + tx.events.abandon_older(
                            operator_code, now - DELIVERY_WINDOW, at=now, error=f"abandonné après 24 h : {message}"
                        )
                    log.warning("%s: events up to %s given up after 24 h (%s)", operator_code, event.id, message)
                    return DeliveryRun(operator_code, delivered, event.id, abandoned, message)
                retry_at = now + retry_delay(delivery.attempts + 1)
                with self._store.write() as tx:
                    tx.events.delivery_failed(event.id, at=now, error=message, retry_at=retry_at)
                log.info("%s: event %s not delivered (%s); next attempt %s", operator_code, event.id, message, retry_at)
                return DeliveryRun(operator_code, delivered, event.id, 0, message)
            with self._store.write() as tx:
                tx.events.delivery_done(event.id, self._clock.now())
            delivered.append(event.id)
        return DeliveryRun(operator_code, delivered)
