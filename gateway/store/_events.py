"""The operators' event feed (contract §3 ``consulterEvenements``, §12) and its push deliveries.

``events`` is an outbox: each row is written by ``EventRepository.add`` inside the write transaction of the
change it reports (a transition, an SAV comment, an appointment change, a test result), so an event
exists if and only if its change was committed. ``idEvenement`` is the row id, an integer sequence
(``AUTOINCREMENT``: never reused), increasing in commit order, so that an operator reading "after
id N" never misses an event: on SQLite the writers are serialised; on PostgreSQL, where they run side
by side, the event's row is written just before its transaction's COMMIT, under a short lock held
through it (``Transaction.write_in_commit_order``; docs/decisions.md, "Store engines").

When the operator has a callback endpoint, the same transaction queues a ``deliveries`` row
(``EN_ATTENTE``); the delivery worker moves it to ``LIVRE`` or, after 24 hours of failures,
``ABANDONNE`` (the event stays available to pull).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = [
    "DELIVERY_ABANDONED",
    "DELIVERY_DONE",
    "DELIVERY_PENDING",
    "BacklogRow",
    "DeliveryRecord",
    "EndpointRecord",
    "EventRecord",
    "EventRepository",
    "EventStore",
    "create_delivery_tables",
    "create_event_tables",
]

DELIVERY_PENDING = "EN_ATTENTE"
DELIVERY_DONE = "LIVRE"
DELIVERY_ABANDONED = "ABANDONNE"
#: The domain whose endpoint receives an event when the operator registered none for the event's own.
FALLBACK_DOMAIN = "signalisation"
#: An event's payload as JSON text: ``json.dumps(payload, ensure_ascii=False)`` without the new encoder
#: ``json.dumps`` makes for each call given an option.
_payload_json = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True)
class EventRecord:
    id: int
    operator_code: str
    kind: str  # CHANGEMENT_ETAT, COMMENTAIRE_SAV, RENDEZ_VOUS, RESULTAT_TEST
    subject: str  # the ticket reference, or the test reference for RESULTAT_TEST
    domain: str  # signalisation, test
    at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True)
class EndpointRecord:
    operator_code: str
    domain: str
    url: str
    registered_at: datetime
    author: str


@dataclass(frozen=True)
class DeliveryRecord:
    event_id: int
    operator_code: str
    status: str  # EN_ATTENTE, LIVRE, ABANDONNE
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class BacklogRow:
    """One operator's deliveries at a glance."""

    operator_code: str
    pending: int
    oldest_pending: datetime | None  # creation of the oldest event still waiting
    next_attempt_at: datetime | None
    abandoned: int
    delivered: int
    last_error: str | None


def create_event_tables(db: Transaction) -> None:
    # Raw SQL for AUTOINCREMENT: an id is never reused, even after the newest rows are deleted.
    db.conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, operator_code TEXT NOT NULL "
        "REFERENCES operators(code), kind TEXT NOT NULL, subject TEXT NOT NULL, domain TEXT NOT NULL, "
        "at TEXT NOT NULL, payload TEXT NOT NULL)"
    )
    db.table("events").create_index(["operator_code", "id"])
    db.table("events").create_index(["operator_code", "at"])


def create_delivery_tables(db: Transaction) -> None:
    db.table("notification_endpoints").create(
        {"operator_code": str, "domain": str, "url": str, "registered_at": str, "author": str},
        pk=("operator_code", "domain"),
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"url", "registered_at"},
    )
    db.table("deliveries").create(
        {
            "event_id": int,
            "operator_code": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="event_id",
        foreign_keys=[("event_id", "events", "id"), ("operator_code", "operators", "code")],
        not_null={"operator_code", "status", "attempts", "next_attempt_at", "created_at", "updated_at"},
    )
    db.table("deliveries").create_index(["operator_code", "status", "event_id"])


def _event(row: dict[str, Any]) -> EventRecord:
    return EventRecord(**{**row, "at": from_ts(row["at"]), "payload": json.loads(row["payload"])})


def _endpoint(row: dict[str, Any]) -> EndpointRecord:
    return EndpointRecord(**{**row, "registered_at": from_ts(row["registered_at"])})


def _delivery(row: dict[str, Any]) -> DeliveryRecord:
    dates = ("next_attempt_at", "created_at", "updated_at")
    return DeliveryRecord(**{**row, **{k: from_ts(row[k]) for k in dates}})


_INSERT_EVENT = "INSERT INTO events (operator_code, kind, subject, domain, at, payload) VALUES (?, ?, ?, ?, ?, ?)"
_QUEUE_DELIVERY = (
    "INSERT INTO deliveries (event_id, operator_code, status, attempts, next_attempt_at, created_at, updated_at)"
)
#: The delivery's values after its event id, queued only if the operator has an endpoint for the domain.
_QUEUED = (
    "?, ?, 0, ?, ?, ? WHERE EXISTS (SELECT 1 FROM notification_endpoints WHERE operator_code = ? AND domain IN (?, ?))"
)
_INSERT_DELIVERY = f"{_QUEUE_DELIVERY} SELECT ?, {_QUEUED}"
#: PostgreSQL: the event and its delivery in one statement, run at the commit (no answer read).
_EVENT_AND_DELIVERY = (
    f"WITH e AS ({_INSERT_EVENT} RETURNING id) "
    f"{_QUEUE_DELIVERY} SELECT e.id, {_QUEUED.replace(' WHERE ', ' FROM e WHERE ', 1)}"
)


class EventStore(StorePart):
    """Events (the outbox), operators' callback endpoints and the delivery queue, one per operator."""

    # Events -------------------------------------------------------------------------------------

    def get_event(self, event_id: int) -> EventRecord | None:
        row = self._one("SELECT * FROM events WHERE id = ?", [event_id])
        return _event(row) if row else None

    def events_after(
        self, operator_code: str, after_id: int, *, since: datetime | None = None, limit: int = 100
    ) -> list[EventRecord]:
        """The operator's events with an id above ``after_id`` (and at or after ``since``), in id order."""
        where, params = "operator_code = ? AND id > ?", [operator_code, after_id]
        if since is not None:
            where += " AND at >= ?"
            params.append(to_ts(since))
        rows = self._rows(f"SELECT * FROM events WHERE {where} ORDER BY id LIMIT ?", [*params, limit])
        return [_event(r) for r in rows]

    # Endpoints ----------------------------------------------------------------------------------

    def endpoint_for(self, operator_code: str, domain: str) -> EndpointRecord | None:
        """The endpoint that receives the operator's events of ``domain`` (else its signalisation one)."""
        rows = self._rows(
            "SELECT * FROM notification_endpoints WHERE operator_code = ? AND domain IN (?, ?) "
            "ORDER BY domain = ? DESC LIMIT 1",
            [operator_code, domain, FALLBACK_DOMAIN, domain],
        )
        return _endpoint(rows[0]) if rows else None

    def list_endpoints(self) -> list[EndpointRecord]:
        return [_endpoint(r) for r in self._rows("SELECT * FROM notification_endpoints ORDER BY operator_code, domain")]

    # Deliveries ---------------------------------------------------------------------------------

    def due_operators(self, now: datetime) -> list[str]:
        """Operators whose oldest waiting delivery (the head of their queue) is due at ``now``."""
        rows = self._rows(
            "SELECT d.operator_code FROM deliveries d JOIN ("
            "  SELECT operator_code, MIN(event_id) AS head FROM deliveries WHERE status = ? GROUP BY operator_code"
            ") h ON d.event_id = h.head WHERE d.next_attempt_at <= ? ORDER BY d.operator_code",
            [DELIVERY_PENDING, to_ts(now)],
        )
        return [r["operator_code"] for r in rows]

    def head_delivery(self, operator_code: str) -> tuple[DeliveryRecord, EventRecord] | None:
        """The operator's oldest waiting delivery and its event (deliveries go in id order)."""
        row = self._one(
            "SELECT * FROM deliveries WHERE operator_code = ? AND status = ? ORDER BY event_id LIMIT 1",
            [operator_code, DELIVERY_PENDING],
        )
        if row is None:
            return None
        event = self.get_event(row["event_id"])
        assert event is not None
        return _delivery(row), event

    def deliveries_of(self, operator_code: str) -> list[DeliveryRecord]:
        rows = self._rows("SELECT * FROM deliveries WHERE operator_code = ? ORDER BY event_id", [operator_code])
        return [_delivery(r) for r in rows]

    def backlog(self) -> list[BacklogRow]:
        """Per operator with a callback endpoint or deliveries: waiting, oldest, next attempt, last error."""
        rows = self._rows(
            "SELECT o.operator_code, "
            "  (SELECT COUNT(*) FROM deliveries d WHERE d.operator_code = o.operator_code AND d.status = ?) AS pending,"
            "  (SELECT MIN(created_at) FROM deliveries d WHERE d.operator_code = o.operator_code AND d.status = ?)"
            "    AS oldest_pending,"
            "  (SELECT MIN(next_attempt_at) FROM deliveries d WHERE d.operator_code = o.operator_code"
            "    AND d.status = ?) AS next_attempt_at,"
            "  (SELECT COUNT(*) FROM deliveries d WHERE d.operator_code = o.operator_code AND d.status = ?)"
            "    AS abandoned,"
            "  (SELECT COUNT(*) FROM deliveries d WHERE d.operator_code = o.operator_code AND d.status = ?)"
            "    AS delivered,"
            "  (SELECT last_error FROM deliveries d WHERE d.operator_code = o.operator_code"
            "    AND d.last_error IS NOT NULL ORDER BY d.updated_at DESC, d.event_id DESC LIMIT 1) AS last_error "
            "FROM (SELECT operator_code FROM notification_endpoints UNION SELECT operator_code FROM deliveries) o "
            "ORDER BY o.operator_code",
            [DELIVERY_PENDING, DELIVERY_PENDING, DELIVERY_PENDING, DELIVERY_ABANDONED, DELIVERY_DONE],
        )
        return [
            BacklogRow(
                **{
                    **r,
                    "oldest_pending": from_ts(r["oldest_pending"]),
                    "next_attempt_at": from_ts(r["next_attempt_at"]),
                }
            )
            for r in rows
        ]


class EventRepository(Repository):
    """Events (the outbox), operators' callback endpoints and the delivery queue, as the gateway changes them."""

    __slots__ = ()

    def add(
        self,
        *,
        operator_code: str,
        kind: str,
        subject: str,
        domain: str,
        at: datetime,
        payload: dict[str, Any],
    ) -> None:
        """Record an event with the caller's write transaction (and queue its push).

        Queued for push only when the operator has an endpoint for the domain (or its fallback),
        the endpoint not read back (this runs on every deposit). On PostgreSQL the event and its
        delivery are one statement, run just before the COMMIT under the commit-order lock (its id is
        known once committed; the transaction does not read it back); on SQLite two, at once."""
        stamp = to_ts(at)
        event = [operator_code, kind, subject, domain, stamp, _payload_json(payload)]
        delivery = [operator_code, DELIVERY_PENDING, stamp, stamp, stamp, operator_code, domain, FALLBACK_DOMAIN]
        if self._db.postgresql:
            self._db.write_in_commit_order(_EVENT_AND_DELIVERY, [*event, *delivery])
            return
        event_id = self._db.insert_id(_INSERT_EVENT, event)
        self._db.conn.execute(_INSERT_DELIVERY, [event_id, *delivery])

    def has_endpoint(self, operator_code: str) -> bool:
        """Whether the operator has a callback endpoint (any domain)."""
        return (
            self._one("SELECT 1 AS x FROM notification_endpoints WHERE operator_code = ?", [operator_code]) is not None
        )

    def set_endpoint(self, operator_code: str, domain: str, url: str, *, at: datetime, author: str) -> None:
        self._db.table("notification_endpoints").upsert(
            {
                "operator_code": operator_code,
                "domain": domain,
                "url": url,
                "registered_at": to_ts(at),
                "author": author,
            },
            pk=("operator_code", "domain"),
        )

    def remove_endpoint(self, operator_code: str, domain: str) -> bool:
        cursor = self._db.conn.execute(
            "DELETE FROM notification_endpoints WHERE operator_code = ? AND domain = ?", [operator_code, domain]
        )
        return cursor.rowcount == 1

    def delivery_done(self, event_id: int, at: datetime) -> None:
        self._db.conn.execute(
            "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = NULL, updated_at = ? "
            "WHERE event_id = ? AND status = ?",
            [DELIVERY_DONE, to_ts(at), event_id, DELIVERY_PENDING],
        )

    def delivery_failed(self, event_id: int, *, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Count a failed attempt; ``retry_at`` None gives the event up (``ABANDONNE``)."""
        self._db.conn.execute(
            "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ?, "
            "updated_at = ? WHERE event_id = ? AND status = ?",
            [
                DELIVERY_PENDING if retry_at is not None else DELIVERY_ABANDONED,
                error[:1000],
                to_ts(retry_at or at),
                to_ts(at),
                event_id,
                DELIVERY_PENDING,
            ],
        )

    def abandon_older(self, operator_code: str, created_before: datetime, *, at: datetime, error: str) -> int:
        """Give up every waiting delivery of the operator created at or before an instant."""
        cursor = self._db.conn.execute(
            "UPDATE deliveries SET status = ?, last_error = ?, updated_at = ? "
            "WHERE operator_code = ? AND status = ? AND created_at <= ?",
            [DELIVERY_ABANDONED, error[:1000], to_ts(at), operator_code, DELIVERY_PENDING, to_ts(created_before)],
        )
        return int(cursor.rowcount)

    def requeue_after(self, operator_code: str, after_id: int, *, at: datetime) -> int:
        """Queue again (or for the first time) every event of the operator above ``after_id``."""
        cursor = self._db.conn.execute(
            "INSERT INTO deliveries (event_id, operator_code, status, attempts, next_attempt_at, created_at, "
            "updated_at) SELECT id, operator_code, ?, 0, ?, ?, ? FROM events WHERE operator_code = ? AND id > ? "
            "ORDER BY id "
            "ON CONFLICT(event_id) DO UPDATE SET status = excluded.status, attempts = 0, last_error = NULL, "
            "next_attempt_at = excluded.next_attempt_at, created_at = excluded.created_at, "
            "updated_at = excluded.updated_at",
            [DELIVERY_PENDING, to_ts(at), to_ts(at), to_ts(at), operator_code, after_id],
        )
        return int(cursor.rowcount)
