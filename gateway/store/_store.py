"""The store: every read and write the gateway makes, in SQL, behind named methods.

Pages and queries read through the ``Store``. Writes happen inside ``with store.write() as tx:``
blocks opened by the services, through the transaction's repositories (``tx.tickets``,
``tx.audit``…, see ``_transaction.py``), so that a use case (a deposit and its first transition, a
state change and its record) commits as one transaction, deciding on what it reads inside it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from ._accounts import AccountStore
from ._appointments import AppointmentStore
from ._audit import AuditStore
from ._call_stats import CallStatsStore
from ._contract_ends import ContractEndStore
from ._contracts import ContractsStore
from ._db import CommitWaiter, Connections, from_ts, to_ts
from ._events import EventStore
from ._exploitation import ExploitationStore
from ._integration import IntegrationStore
from ._leadership import LeaderLock, Leadership
from ._line_tests import LineTestStore
from ._mail import MailStore
from ._network_events import NetworkEventStore
from ._offer_calendar import OfferCalendarStore
from ._operators import CERTIFICATE_COLUMNS, certificate_record, operator_record
from ._portal import PortalStore
from ._preview import PreviewStore
from ._records import (
    AttachmentRecord,
    CataloguePublicationRecord,
    CertificateRecord,
    CommentRecord,
    OperatorRecord,
    Page,
    PrestationRecord,
    TicketRecord,
    TransitionRow,
)
from ._request_counts import RequestCountStore
from ._schema import MIGRATIONS, migrate, pending_migrations
from ._sql import SQLITE, StoreUrl, Transaction, parse_store_url
from ._subscriptions import SubscriptionStore
from ._support import SupportStore
from ._tickets import ticket_record
from ._transaction import WriteTransaction
from ._work_queue import WorkQueueStore

__all__ = ["Store"]


_CERTIFICATE_AND_OPERATOR = (
    "SELECT c.fingerprint, c.operator_code, c.subject_cn, c.issuer_cn, c.serial, c.not_before, "
    "c.not_after, c.registered_at, c.revoked_at, o.code, o.name, o.esav_en_ligne, o.esav_integre, "
    "o.domains, o.esav_ends_on, o.suspended_at, o.suspension_reason, o.esav_starts_on "
    "FROM certificates c JOIN operators o ON o.code = c.operator_code "
    "WHERE c.fingerprint"
)


#: What ``Store._batch_row`` answers for a row the batch did not read ahead.
_NOT_READ_AHEAD: Any = object()
#: Certificates kept from batch to batch at most (a deployment has a few per operator); past it, the
#: kept ones are dropped and read again.
MAX_CERTIFICATES_KEPT = 10_000


def _prestation(row: dict[str, Any]) -> PrestationRecord:
    return PrestationRecord(**row)


def _certificate_and_operator(row: dict[str, Any]) -> tuple[CertificateRecord, OperatorRecord]:
    certificate = {key: row[key] for key in CERTIFICATE_COLUMNS}
    return certificate_record(certificate), operator_record(row)


class Store(
    AccountStore,
    PortalStore,
    SubscriptionStore,
    AppointmentStore,
    EventStore,
    LineTestStore,
    NetworkEventStore,
    RequestCountStore,
    CallStatsStore,
    ExploitationStore,
    AuditStore,
    IntegrationStore,
    MailStore,
    WorkQueueStore,
    SupportStore,
    PreviewStore,
    OfferCalendarStore,
    ContractEndStore,
    ContractsStore,
):
    """The gateway's database (SQLite file in WAL mode, durable commits).

    Appointments, line tests, planned works and incidents, request counts: in their own modules.
    """

    def __init__(self, url: StoreUrl | Path | str, *, pool_size: int = 20, migrate_now: bool = True) -> None:
        self.url = url if isinstance(url, StoreUrl) else parse_store_url(url)
        self._connections = Connections(self.url, pool_size=pool_size)
        self._read_ahead = threading.local()  # ``certificates``, ``prestations``: a batch's (read_ahead)
        # The certificates and operators read ahead, and the count of writes they were read at.
        self._certificates_kept: tuple[int | None, dict[str, Any]] = (None, {})
        try:
            if migrate_now:
                migrate(self._connections)
        except BaseException:
            self._connections.close()
            raise

    @property
    def path(self) -> Path:
        """The SQLite file (PostgreSQL: the database's name, for messages)."""
        return self._connections.path

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._connections.dialect

    @contextmanager
    def write(self) -> Iterator[WriteTransaction]:
        """One durable write transaction (SQLite: ``BEGIN IMMEDIATE`` … ``COMMIT`` with synchronous=FULL;
        PostgreSQL: ``BEGIN`` … ``COMMIT`` with synchronous_commit on, beside other writers), its
        repositories by aggregate (``tx.tickets``, ``tx.audit``…)."""
        with self._connections.write() as db:
            tx = db.typed
            if tx is None:
                tx = db.typed = WriteTransaction(db)
            yield tx

    def close(self) -> None:
        self._connections.close()

    def leadership(self, *, leader: bool) -> Leadership:
        """The right to run the background work: a PostgreSQL advisory lock held on a connection of its
        own (one process of all those sharing the database), or ``leader`` as given on SQLite."""
        return LeaderLock(self.url, leader=leader)

    # Group commit (the server's reactor thread; see Connections.enable_group_commit) ----------------

    def enable_group_commit(self, schedule: Callable[[Callable[[], None]], None]) -> None:
        self._connections.enable_group_commit(schedule)

    def commit_pending(self) -> bool:
        return self._connections.commit_pending()

    def after_commit(self, waiter: CommitWaiter) -> None:
        self._connections.after_commit(waiter)

    def commit_now(self) -> None:
        self._connections.commit_now()

    def before_group_opens(self, hook: Callable[[], None] | None) -> None:
        self._connections.before_group_opens(hook)

    @property
    def _db(self) -> Transaction:
        return self._connections.db

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return self._connections.rows(sql, params)

    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` ("ok"); PostgreSQL checks its own pages: "ok" if it answers."""
        if self.dialect != SQLITE:
            self._db.conn.execute("SELECT 1").fetchone()
            return "ok"
        return str(self._db.conn.execute("PRAGMA integrity_check").fetchone()[0])

    def migrate(self) -> list[int]:
        """Apply the migrations this database lacks (each in its own transaction); their numbers."""
        return migrate(self._connections)

    def migration_status(self) -> list[tuple[int, str, str | None]]:
        """Every migration of this version: number, name, and when it was applied here (None: pending)."""
        pending = {number for number, _ in pending_migrations(self._db)}
        applied: dict[int, str] = {}
        if len(pending) < len(MIGRATIONS):
            applied = {
                int(r["id"]): r["applied_at"] for r in self._rows("SELECT id, applied_at FROM schema_migrations")
            }
        return [(number, name, None if number in pending else applied.get(number)) for number, name, _ in MIGRATIONS]

    def applied_migrations(self) -> set[int]:
        """The migrations recorded in this database (a query: it fails if the database does not answer)."""
        return {int(row["id"]) for row in self._rows("SELECT id FROM schema_migrations")}

    # Operators ---------------------------------------------------------------------------------

    def get_operator(self, code: str) -> OperatorRecord | None:
        row = self._one("SELECT * FROM operators WHERE code = ?", [code])
        return operator_record(row) if row else None

    def list_operators(self) -> list[OperatorRecord]:
        return [operator_record(r) for r in self._rows("SELECT * FROM operators ORDER BY code")]

    # Certificates ------------------------------------------------------------------------------

    def get_certificate(self, fingerprint: str) -> CertificateRecord | None:
        row = self._one("SELECT * FROM certificates WHERE fingerprint = ?", [fingerprint])
        return certificate_record(row) if row else None

    def certificate_and_operator(self, fingerprint: str) -> tuple[CertificateRecord, OperatorRecord] | None:
        """A registered certificate and its operator, in one query (every SOAP call authenticates), or
        from the rows ``read_ahead`` read for this thread's batch of calls."""
        ahead = self._batch_row("certificates", fingerprint)
        if ahead is not _NOT_READ_AHEAD:
            return ahead
        row = self._one(f"{_CERTIFICATE_AND_OPERATOR} = ?", [fingerprint])
        return _certificate_and_operator(row) if row is not None else None

    @contextmanager
    def read_ahead(self, fingerprints: Collection[str], prestations: Collection[str] = ()) -> Iterator[None]:
        """The certificates (with their operators) and the prestations a batch of calls will read (one key
        per call: the calls of one operator share its certificate), read when the batch starts rather than
        one a call (on PostgreSQL a round trip each); inside the block, this thread's
        ``certificate_and_operator`` and ``get_prestation`` take their rows from there (an unknown one
        included).

        One statement reads the batch's prestations and the number of writes ever made to the
        certificates, operators and prestations (``read_mostly_version``, counted by the database's own
        triggers in the writing transaction). The certificates and their operators are kept from batch to
        batch while that number stays the same, and read again (those the batch needs) once it changes:
        a revocation or a suspension committed before a batch starts applies to every call of that batch.
        The prestations are read at each batch: an operator's deposits are on many lines."""
        if not fingerprints and not prestations:
            yield
            return
        try:
            version, kept = self._version_and_prestations(prestations)
            certificates = self._certificates_at(version, fingerprints)
        except Exception:  # the database's trouble: each call's own read meets it and answers with it
            yield
            return
        self._read_ahead.certificates, self._read_ahead.prestations = certificates, kept
        try:
            yield
        finally:
            self._read_ahead.certificates = self._read_ahead.prestations = None

    def _version_and_prestations(self, identifiants: Collection[str]) -> tuple[int, dict[str, Any]]:
        """The count of writes to the read-mostly tables, and ``identifiants``' prestations (None for an
        unknown one), in one statement."""
        kept: dict[str, Any] = dict.fromkeys(identifiants)  # each once
        rows = self._rows(
            "SELECT v.version AS read_mostly_version, p.* FROM read_mostly_version v "
            f"LEFT JOIN prestations p ON p.identifiant {self._among()}",
            [json.dumps(list(kept))],
        )
        version = int(rows[0]["read_mostly_version"])  # the outer join gives one row at least
        for row in rows:
            del row["read_mostly_version"]
            if row["identifiant"] is not None:
                kept[row["identifiant"]] = _prestation(row)
        return version, kept

    def _certificates_at(self, version: int, fingerprints: Collection[str]) -> dict[str, Any]:
        """``fingerprints``' certificates and operators as stored at ``version`` (None for an unknown one):
        those kept since a batch read them at that same version, the others read now."""
        kept_version, kept = self._certificates_kept
        if kept_version != version or len(kept) > MAX_CERTIFICATES_KEPT:
            kept = {}
            self._certificates_kept = (version, kept)  # replaced whole: another thread sees either
        missing = [f for f in dict.fromkeys(fingerprints) if f not in kept]
        if missing:
            found = dict.fromkeys(missing)
            rows = self._rows(f"{_CERTIFICATE_AND_OPERATOR} {self._among()}", [json.dumps(missing)])
            found.update((row["fingerprint"], _certificate_and_operator(row)) for row in rows)
            kept.update(found)
        return kept

    def _among(self) -> str:
        """``IN`` the keys given as one parameter, a JSON array (one prepared statement whatever their
        number, any text a key holds)."""
        if self.dialect == SQLITE:
            return "IN (SELECT value FROM json_each(?))"
        return "= ANY(ARRAY(SELECT json_array_elements_text(?::json)))"  # known to the planner before it reads

    def _batch_row(self, kind: str, key: str) -> Any:
        """The record ``read_ahead`` read for this thread's batch under ``key`` (None: no such row), or
        ``_NOT_READ_AHEAD`` when the batch read no ``kind`` (``certificates``, ``prestations``) or not it."""
        ahead: dict[str, Any] | None = getattr(self._read_ahead, kind, None)
        return _NOT_READ_AHEAD if ahead is None else ahead.get(key, _NOT_READ_AHEAD)

    def list_certificates(self, operator_code: str | None = None) -> list[CertificateRecord]:
        if operator_code:
            rows = self._rows("SELECT * FROM certificates WHERE operator_code = ? ORDER BY not_after", [operator_code])
        else:
            rows = self._rows("SELECT * FROM certificates ORDER BY operator_code, not_after")
        return [certificate_record(r) for r in rows]

    # Prestations -------------------------------------------------------------------------------

    def get_prestation(self, identifiant: str) -> PrestationRecord | None:
        """A prestation, or None; from the rows ``read_ahead`` read for this thread's batch of calls."""
        ahead = self._batch_row("prestations", identifiant)
        if ahead is not _NOT_READ_AHEAD:
            return ahead
        row = self._one("SELECT * FROM prestations WHERE identifiant = ?", [identifiant])
        return _prestation(row) if row else None

    def list_prestations(self, operator_code: str | None = None) -> list[PrestationRecord]:
        if operator_code:
            rows = self._rows("SELECT * FROM prestations WHERE operator_code = ? ORDER BY identifiant", [operator_code])
        else:
            rows = self._rows("SELECT * FROM prestations ORDER BY operator_code, identifiant")
        return [PrestationRecord(**r) for r in rows]

    # Catalogue publications -------------------------------------------------------------------

    def catalogue_publication(self, publication_id: int | None = None) -> CataloguePublicationRecord | None:
        """A publication with its files; without an id, the latest one whose content was kept (None: none)."""
        if publication_id is None:
            row = self._one(
                "SELECT * FROM catalogue_publications WHERE id IN "
                "(SELECT publication_id FROM catalogue_publication_files) ORDER BY id DESC LIMIT 1"
            )
        else:
            row = self._one("SELECT * FROM catalogue_publications WHERE id = ?", [publication_id])
        if row is None:
            return None
        files = self._rows(
            "SELECT path, content FROM catalogue_publication_files WHERE publication_id = ? ORDER BY path", [row["id"]]
        )
        return CataloguePublicationRecord(
            id=row["id"],
            published_at=datetime.fromisoformat(row["published_at"]),
            author=row["author"],
            fingerprint=row["fingerprint"],
            files={f["path"]: bytes(f["content"]) for f in files},
        )

    def latest_catalogue_publication(self) -> int:
        """The id of the latest publication (0 when none): gateways reload when it grows."""
        (latest,) = self._db.conn.execute("SELECT COALESCE(MAX(id), 0) FROM catalogue_publications").fetchone()
        return int(latest)

    # Tickets -----------------------------------------------------------------------------------

    def prestation_at_deposit(self, ticket: TicketRecord) -> PrestationRecord | None:
        """The ticket's prestation as it was at deposit (owner, offer and GTR are the ticket's own)."""
        row = self._one(
            "SELECT extremite_a, extremite_b, code_commune, informations FROM ticket_prestations WHERE ticket_id = ?",
            [ticket.id],
        )
        if row is None:
            return None
        return PrestationRecord(
            identifiant=ticket.prestation,
            operator_code=ticket.operator_code,
            code_offre=ticket.code_offre,
            gtr=ticket.gtr,
            **row,
        )

    def get_ticket(self, reference: str) -> TicketRecord | None:
        row = self._one("SELECT * FROM tickets WHERE reference = ?", [reference])
        return ticket_record(row) if row else None

    def transitions(self, ticket_id: int) -> list[TransitionRow]:
        rows = self._rows(
            "SELECT id, action, from_state, to_state, actor, author, at, reason, code "
            "FROM transitions WHERE ticket_id = ? ORDER BY id",
            [ticket_id],
        )
        return [TransitionRow(**{**r, "at": from_ts(r["at"])}) for r in rows]

    def comments(self, ticket_id: int) -> list[CommentRecord]:
        rows = self._rows(
            "SELECT id, side, author, at, text FROM comments WHERE ticket_id = ? ORDER BY id", [ticket_id]
        )
        return [CommentRecord(**{**r, "at": from_ts(r["at"])}) for r in rows]

    def attachments(self, ticket_id: int) -> list[AttachmentRecord]:
        rows = self._rows(
            "SELECT id, side, name, mime_type, size, sha256, at FROM attachments WHERE ticket_id = ? ORDER BY id",
            [ticket_id],
        )
        return [AttachmentRecord(**{**r, "at": from_ts(r["at"])}) for r in rows]

    def attachment(self, ticket_id: int, attachment_id: int) -> AttachmentRecord | None:
        row = self._one(
            "SELECT id, side, name, mime_type, size, sha256, at, content FROM attachments "
            "WHERE ticket_id = ? AND id = ?",
            [ticket_id, attachment_id],
        )
        return AttachmentRecord(**{**row, "at": from_ts(row["at"])}) if row else None

    def closed_tickets(
        self,
        operator_code: str,
        *,
        closed_from: datetime,
        closed_to: datetime,
        states: Iterable[str],
        prestation: str | None,
        page: int,
        size: int,
        offers: Iterable[str] | None = None,
    ) -> Page[TicketRecord]:
        """Tickets of one operator closed within a period (and ``offers``, when given), newest closure first."""
        states = list(states)
        where = f"operator_code = ? AND closed_at >= ? AND closed_at <= ? AND state IN ({','.join('?' * len(states))})"
        params: list[Any] = [operator_code, to_ts(closed_from), to_ts(closed_to), *states]
        source = "tickets"
        if offers is not None:  # a portal user's offers: filtered here, before paging
            wanted = sorted(offers)
            where += f" AND code_offre IN ({','.join('?' * len(wanted))})" if wanted else " AND 1 = 0"
            params.extend(wanted)
        if prestation:
            where += " AND prestation = ?"
            params.append(prestation)
            # A prestation has few tickets: walk its own index (already in closing order) rather
            # than the operator's whole window, which SQLite's planner would otherwise prefer.
            source = "tickets INDEXED BY idx_tickets_prestation_history"
        return self._page(where, params, "closed_at DESC, id DESC", page, size, source)

    def open_tickets(
        self,
        operator_code: str,
        *,
        states: Iterable[str],
        prestation: str | None,
        deposited_from: datetime | None,
        deposited_to: datetime | None,
        page: int,
        size: int,
        offers: Iterable[str] | None = None,
    ) -> Page[TicketRecord]:
        """Tickets of one operator in the given states (and ``offers``, when given), newest deposit first."""
        states = list(states)
        where = f"operator_code = ? AND state IN ({','.join('?' * len(states))})"
        params: list[Any] = [operator_code, *states]
        source = "tickets"
        if offers is not None:  # a portal user's offers: filtered here, before paging
            wanted = sorted(offers)
            where += f" AND code_offre IN ({','.join('?' * len(wanted))})" if wanted else " AND 1 = 0"
            params.extend(wanted)
        if prestation:
            where += " AND prestation = ?"
            params.append(prestation)
            source = "tickets INDEXED BY idx_tickets_prestation"  # few tickets per prestation
        if deposited_from:
            where += " AND deposited_at >= ?"
            params.append(to_ts(deposited_from))
        if deposited_to:
            where += " AND deposited_at <= ?"
            params.append(to_ts(deposited_to))
        return self._page(where, params, "deposited_at DESC, id DESC", page, size, source)

    def _page(
        self, where: str, params: list[Any], order: str, page: int, size: int, source: str = "tickets"
    ) -> Page[TicketRecord]:
        (total,) = self._db.conn.execute(f"SELECT COUNT(*) FROM {source} WHERE {where}", params).fetchone()
        rows = self._rows(
            f"SELECT * FROM {source} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, size, (page - 1) * size],
        )
        return Page(items=[ticket_record(r) for r in rows], total=int(total), number=page, size=size)

    def tickets_in_state_since(self, state: str, entered_before: datetime) -> list[TicketRecord]:
        """Tickets that entered ``state`` at or before an instant (for automatic transitions)."""
        rows = self._rows(
            "SELECT * FROM tickets WHERE state = ? AND state_at <= ? ORDER BY id", [state, to_ts(entered_before)]
        )
        return [ticket_record(r) for r in rows]
