"""The store's hot path through its own SQL seam, through SQLAlchemy Core, and through SQLAlchemy ``text()``.

The workload is what a deposit (``deposerSignalisation``) and a state query
(``consulterEtatSignalisation``) ask of the store, statement for statement:

- deposit: the certificate and its operator, the prestation (two reads outside any transaction;
  the offers' launches and the contracts' ends come from the service's copy in memory), then one
  durable write transaction: the ticket (its id taken by the same statement), its prestation as
  deposited, its transition, its event and the event's queued delivery (on PostgreSQL two
  statements: the first three rows, then the event and its delivery; on SQLite five), COMMIT;
- state query: the certificate and its operator, the ticket by reference.

Each is run, on the same database, by five approaches:

- ``store``: the ``Store`` methods the services call (records built from the rows included);
- ``seam``: the same SQL texts on the seam's connection (``Transaction.conn``) inside
  ``Store.write()``: rows fetched, no records built; the reference for the ratios;
- ``core``: SQLAlchemy Core, the tables reflected from the database, statements built with Core
  expressions (``select``, ``insert``), run on an ``Engine`` (its ``QueuePool``) with the same
  durability (SQLite: WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` and the same lock file;
  PostgreSQL: psycopg 3, the same advisory lock before the event), one transaction per deposit; the expressions are
  built where they are run, as SQLAlchemy code usually does (its compiled cache spares the compiling);
- ``core-once``: the same expressions built once with bind parameters (no building per call);
- ``text``: the seam's SQL texts as SQLAlchemy ``text()`` on the same engine: the connection layer
  without the expression compiler.

``core``, ``core-once`` and ``text`` take the ticket's id and queue the delivery in statements of
their own, as SQLAlchemy code usually does. They check a connection out of the pool per unit of work
(``with engine.connect()`` for the reads, ``with engine.begin()`` for the write), as a store written
on SQLAlchemy would; the seam keeps one connection per thread. Rounds are interleaved (store, seam,
core, core-once, text, store, …) and each figure is the median over rounds; ratios are taken within
each round, then their median.
CPU is this process's (the client side: the PostgreSQL server's CPU is not in it); wall time
includes the server and each commit's fsync.

Run as ``python -m bench.store_seam`` (a temporary SQLite file), ``--base postgresql://…`` (an
empty database: the demo is built in it), ``--with-postgres`` (also a throwaway PostgreSQL server,
fsync on), ``--groups N`` (also N groups of 16 deposits through the store, each group one
transaction with a savepoint per deposit, as the server's group commit makes them: the cost per
deposit while the writers' lock is held), ``--json`` for the figures as JSON. SQLAlchemy is a test
extra, not a dependency.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import json
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from gateway.demo import build_demo
from gateway.domain.clock import FixedClock
from gateway.services import Gateway
from gateway.store import POSTGRESQL, PrestationRecord, Store, Transaction, parse_store_url, to_ts
from gateway.store._db import COMMIT_ORDER_LOCK_KEY  # the store's lock around an event's insert and the commit

from ._processes import REPO

__all__ = ["APPROACHES", "OPERATIONS", "Bench", "capture", "main", "run"]

APPROACHES = ("store", "seam", "core", "core-once", "text")
OPERATIONS = ("deposit", "state")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
OPERATOR = "OPE001"
PRESTATION = "0140000001"
OFFER = "CUIVRE_DEGROUPAGE"
FORM = REPO / "catalogue" / "forms" / "SIG_CUIVRE" / "1.0.example.xml"

# The store's SQL, as its methods issue it (``capture`` checks that they still do) ---------------

CERTIFICATE_AND_OPERATOR = (
    "SELECT c.fingerprint, c.operator_code, c.subject_cn, c.issuer_cn, c.serial, c.not_before, "
    "c.not_after, c.registered_at, c.revoked_at, o.code, o.name, o.esav_en_ligne, o.esav_integre, "
    "o.domains, o.esav_ends_on, o.suspended_at, o.suspension_reason, o.esav_starts_on "
    "FROM certificates c JOIN operators o ON o.code = c.operator_code "
    "WHERE c.fingerprint = ?"
)
PRESTATION_SQL = "SELECT * FROM prestations WHERE identifiant = ?"
TICKET_COLUMNS = (
    "operator_code", "reference_operateur", "content_hash", "prestation", "code_offre", "gravite", "form_code",
    "form_version", "form_xml", "commentaire", "gtr", "state", "state_at", "deposited_at", "api_version", "id",
    "reference", "closed_at",
)  # fmt: skip
INSERT_TICKET = f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ({', '.join('?' * len(TICKET_COLUMNS))})"
#: The store's own ticket INSERT on SQLite: the id taken in the same statement, the reference from it.
INSERT_NUMBERED_TICKET = (
    f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS[:15])}, closed_at, id, reference) "
    f"VALUES ({', '.join('?' * 16)}, (SELECT COALESCE(MAX(id), 0) + 1 FROM tickets), "
    "? || printf('%08d', (SELECT COALESCE(MAX(id), 0) + 1 FROM tickets)))"
)
INSERT_TICKET_PRESTATION = (
    "INSERT INTO ticket_prestations (ticket_id, extremite_a, extremite_b, code_commune, informations) "
    "VALUES (?, ?, ?, ?, ?)"
)
INSERT_TRANSITION = (
    "INSERT INTO transitions (ticket_id, action, from_state, to_state, actor, author, at, reason, code) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = "INSERT INTO events (operator_code, kind, subject, domain, at, payload) VALUES (?, ?, ?, ?, ?, ?)"
INSERT_DELIVERY = (
    "INSERT INTO deliveries (event_id, operator_code, status, attempts, next_attempt_at, created_at, "
    "updated_at) SELECT ?, ?, ?, 0, ?, ?, ? WHERE EXISTS (SELECT 1 FROM notification_endpoints "
    "WHERE operator_code = ? AND domain IN (?, ?))"
)
#: PostgreSQL: the ticket (its id from the sequence), its prestation as deposited and its transition, one statement.
DEPOSIT_ROWS = (
    f"WITH t AS (INSERT INTO tickets ({', '.join(TICKET_COLUMNS[:15])}, closed_at, id, reference) "
    f"SELECT {', '.join('?' * 16)}, n.id, CAST(? AS TEXT) || lpad(n.id::text, greatest(8, length(n.id::text)), '0') "
    "FROM (SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id) AS n RETURNING id), "
    f"p AS ({INSERT_TICKET_PRESTATION.replace('VALUES (?, ', 'SELECT t.id, ').replace('?)', '? FROM t')}), "
    f"r AS ({INSERT_TRANSITION.replace('VALUES (?, ', 'SELECT t.id, ').replace('?)', '? FROM t')}) SELECT id FROM t"
)
_QUEUED_AFTER_EVENT = INSERT_DELIVERY.replace("SELECT ?, ", "SELECT e.id, ", 1).replace(
    " WHERE EXISTS", " FROM e WHERE EXISTS", 1
)
#: PostgreSQL: the event and its delivery, one statement, run at the commit under the commit-order lock.
EVENT_AND_DELIVERY = f"WITH e AS ({INSERT_EVENT} RETURNING id) {_QUEUED_AFTER_EVENT}"
TICKET_BY_REFERENCE = "SELECT * FROM tickets WHERE reference = ?"
TABLES = (
    "certificates", "operators", "prestations", "tickets",
    "ticket_prestations", "transitions", "events", "deliveries", "notification_endpoints",
)  # fmt: skip


@dataclass
class Deposit:
    """One deposit's values, as the service computes them (the form as text, the instant)."""

    fingerprint: str
    prestation: PrestationRecord
    form_xml: str
    at: str = field(default_factory=lambda: to_ts(NOW))

    def ticket(self, ticket_id: int) -> list[Any]:
        """The ticket's row, in ``TICKET_COLUMNS`` order."""
        return [
            OPERATOR, None, "", self.prestation.identifiant, OFFER, "MAJEURE", "SIG_CUIVRE", "1.0", self.form_xml,
            None, self.prestation.gtr, "EN_DEPOT", self.at, self.at, "v2", ticket_id, f"SIG{ticket_id:08d}", None,
        ]  # fmt: skip

    def ticket_prestation(self, ticket_id: int) -> list[Any]:
        p = self.prestation
        return [ticket_id, p.extremite_a, p.extremite_b, p.code_commune, p.informations]

    def transition(self, ticket_id: int) -> list[Any]:
        return [ticket_id, "DEPOSER", None, "EN_DEPOT", "OPERATEUR", f"{OPERATOR}/ws", self.at, None, None]

    def event(self, reference: str) -> list[Any]:
        payload = {"etatPrecedent": None, "etat": "EN_DEPOT", "action": "DEPOSER", "code": None, "motif": None}
        return [OPERATOR, "CHANGEMENT_ETAT", reference, "signalisation", self.at, json.dumps(payload)]

    def delivery(self, event_id: int) -> list[Any]:
        return [event_id, OPERATOR, "EN_ATTENTE", self.at, self.at, self.at, OPERATOR, "signalisation", "signalisation"]


# (a) the project's seam --------------------------------------------------------------------------


class StoreApproach:
    """The ``Store`` methods a deposit and a state query call (``SignalisationService``, ``AccessService``)."""

    def __init__(self, store: Store, deposit: Deposit) -> None:
        self.store, self.d = store, deposit

    def deposit(self) -> str:
        s, d = self.store, self.d
        assert s.certificate_and_operator(d.fingerprint) is not None
        prestation = s.get_prestation(PRESTATION)
        assert prestation is not None
        with s.write() as db:
            fields = dict(zip(TICKET_COLUMNS[:15], d.ticket(0)[:15], strict=True))
            ticket = db.tickets.deposit(
                {**fields, "state_at": NOW, "deposited_at": NOW}, "SIG", prestation, action="DEPOSER",
                to_state="EN_DEPOT", actor="OPERATEUR", author=f"{OPERATOR}/ws",
            )  # fmt: skip
            db.events.add(
                operator_code=OPERATOR, kind="CHANGEMENT_ETAT", subject=ticket.reference, domain="signalisation",
                at=NOW, payload={"etatPrecedent": None, "etat": "EN_DEPOT", "action": "DEPOSER", "code": None,
                                 "motif": None},
            )  # fmt: skip
        return ticket.reference

    def state(self, reference: str) -> str:
        assert self.store.certificate_and_operator(self.d.fingerprint) is not None
        ticket = self.store.get_ticket(reference)
        assert ticket is not None
        return ticket.state


class SeamApproach:
    """The same SQL on the seam's connection (``Transaction.conn``), rows fetched, no records built."""

    def __init__(self, store: Store, deposit: Deposit) -> None:
        self.store, self.d = store, deposit

    def _reads(self, conn: Any) -> None:
        d = self.d
        assert conn.execute(CERTIFICATE_AND_OPERATOR, [d.fingerprint]).fetchone() is not None
        assert conn.execute(PRESTATION_SQL, [PRESTATION]).fetchone() is not None

    def deposit(self) -> str:
        d = self.d
        self._reads(_thread_tx(self.store).conn)
        with self.store.write() as db:
            ticket = [*d.ticket(0)[:15], None, "SIG"]
            delivery = d.delivery(0)[1:]
            if db.low_level.postgresql:
                kept, first = d.ticket_prestation(0)[1:], d.transition(0)[1:]
                ((ticket_id,),) = db.low_level.conn.execute(DEPOSIT_ROWS, [*ticket, *kept, *first]).fetchall()
                reference = f"SIG{ticket_id:08d}"
                db.low_level.write_in_commit_order(EVENT_AND_DELIVERY, [*d.event(reference), *delivery])
            else:
                ticket_id = db.low_level.conn.execute(INSERT_NUMBERED_TICKET, ticket).lastrowid
                reference = f"SIG{ticket_id:08d}"
                db.low_level.conn.execute(INSERT_TICKET_PRESTATION, d.ticket_prestation(ticket_id))
                db.low_level.conn.execute(INSERT_TRANSITION, d.transition(ticket_id))
                event_id = db.low_level.insert_id(INSERT_EVENT, d.event(reference))
                db.low_level.conn.execute(INSERT_DELIVERY, [event_id, *delivery])
        return reference

    def state(self, reference: str) -> str:
        conn = _thread_tx(self.store).conn
        assert conn.execute(CERTIFICATE_AND_OPERATOR, [self.d.fingerprint]).fetchone() is not None
        cursor = conn.execute(TICKET_BY_REFERENCE, [reference])
        row = cursor.fetchone()
        assert row is not None
        return str(row[[column[0] for column in cursor.description].index("state")])


def _thread_tx(store: Store) -> Transaction:
    """The calling thread's connection, as the store's read methods use it."""
    return store._db


# (b) SQLAlchemy Core and (c) SQLAlchemy text() ---------------------------------------------------


class Alchemy:
    """An ``Engine`` on the store's database with the store's durability, and its reflected tables."""

    def __init__(self, url: str, lock_path: Path | None) -> None:
        import sqlalchemy as sa

        self.sa = sa
        self.reader: Any
        self.postgresql = parse_store_url(url).dialect == POSTGRESQL
        if self.postgresql:
            engine = sa.create_engine("postgresql+psycopg://" + url.split("://", 1)[1], poolclass=sa.QueuePool)
            # Reads outside a transaction, as the seam's autocommit connections make them.
            self.reader = engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            engine = sa.create_engine(f"sqlite:///{url}", poolclass=sa.QueuePool)

            @sa.event.listens_for(engine, "connect")
            def _connect(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None  # transactions begun by the "begin" event
                for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=10000"):
                    dbapi_connection.execute(f"PRAGMA {pragma}")

            @sa.event.listens_for(engine, "begin")
            def _begin(conn: Any) -> None:
                if conn.get_execution_options().get("writer"):
                    conn.exec_driver_sql("BEGIN IMMEDIATE")

            self.reader = engine
        self.engine = engine
        self.writer = engine.execution_options(writer=True)
        self._lock_file = open(lock_path, "a+b") if lock_path is not None else None  # noqa: SIM115
        metadata = sa.MetaData()
        metadata.reflect(engine, only=TABLES)
        self.t = metadata.tables

    @contextlib.contextmanager
    def write(self) -> Iterator[Any]:
        """One write transaction, as the store's (SQLite: serialised by the lock file + BEGIN IMMEDIATE;
        PostgreSQL: the commit-order lock before the event); committed on exit."""
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX)
        try:
            with self.writer.begin() as conn:
                yield conn
        finally:
            if self._lock_file is not None:
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)

    def close(self) -> None:
        self.engine.dispose()
        if self._lock_file is not None:
            self._lock_file.close()


def _certificate_select(sa: Any, t: Any, fingerprint: Any) -> Any:
    """The certificate and its operator, in one query (as ``Store.certificate_and_operator``)."""
    c, o = t["certificates"], t["operators"]
    columns = [c.c[n] for n in ("fingerprint", "operator_code", "subject_cn", "issuer_cn", "serial", "not_before",
                                "not_after", "registered_at", "revoked_at")]  # fmt: skip
    columns += [o.c[n] for n in ("code", "name", "esav_en_ligne", "esav_integre", "domains", "esav_ends_on",
                                 "suspended_at", "suspension_reason", "esav_starts_on")]  # fmt: skip
    joined = c.join(o, o.c.code == c.c.operator_code)
    return sa.select(*columns).select_from(joined).where(c.c.fingerprint == fingerprint)


TRANSITION_COLUMNS = ("ticket_id", "action", "from_state", "to_state", "actor", "author", "at", "reason", "code")
EVENT_COLUMNS = ("operator_code", "kind", "subject", "domain", "at", "payload")
DELIVERY_COLUMNS = ("event_id", "operator_code", "status", "attempts", "next_attempt_at", "created_at", "updated_at")


class CoreApproach:
    """The workload written with SQLAlchemy Core expressions, built where they are run (as is usual)."""

    def __init__(self, alchemy: Alchemy, deposit: Deposit) -> None:
        self.a, self.d = alchemy, deposit

    def deposit(self) -> str:
        sa, t, d = self.a.sa, self.a.t, self.d
        with self.a.reader.connect() as conn:
            assert conn.execute(_certificate_select(sa, t, d.fingerprint)).first() is not None
            p = t["prestations"]
            assert conn.execute(sa.select(p).where(p.c.identifiant == PRESTATION)).first() is not None
        with self.a.write() as conn:
            tickets = t["tickets"]
            if self.a.postgresql:
                sequence = sa.func.pg_get_serial_sequence("tickets", "id")
                ticket_id = int(conn.execute(sa.select(sa.func.nextval(sequence))).scalar_one())
            else:
                largest = sa.func.coalesce(sa.func.max(tickets.c.id), 0)
                ticket_id = int(conn.execute(sa.select(largest + 1)).scalar_one())
            reference = f"SIG{ticket_id:08d}"
            conn.execute(sa.insert(tickets).values(dict(zip(TICKET_COLUMNS, d.ticket(ticket_id), strict=True))))
            tp = t["ticket_prestations"]
            conn.execute(sa.insert(tp).values(dict(zip(tp.c.keys(), d.ticket_prestation(ticket_id), strict=True))))
            transition = dict(zip(TRANSITION_COLUMNS, d.transition(ticket_id), strict=True))
            conn.execute(sa.insert(t["transitions"]).values(transition))
            event = dict(zip(EVENT_COLUMNS, d.event(reference), strict=True))
            if self.a.postgresql:  # the event's id in commit order, as the store's
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(COMMIT_ORDER_LOCK_KEY)))
            event_id = conn.execute(sa.insert(t["events"]).values(event)).inserted_primary_key[0]
            endpoints, deliveries = t["notification_endpoints"], t["deliveries"]
            row = d.delivery(event_id)
            queued = sa.select(*(sa.literal(v) for v in row[:3]), sa.literal(0), *(sa.literal(v) for v in row[3:6]))
            queued = queued.where(
                sa.exists().where(endpoints.c.operator_code == row[6], endpoints.c.domain.in_(row[7:9]))
            )
            conn.execute(sa.insert(deliveries).from_select(DELIVERY_COLUMNS, queued))
        return reference

    def state(self, reference: str) -> str:
        sa, t = self.a.sa, self.a.t
        with self.a.reader.connect() as conn:
            assert conn.execute(_certificate_select(sa, t, self.d.fingerprint)).first() is not None
            row = conn.execute(sa.select(t["tickets"]).where(t["tickets"].c.reference == reference)).first()
        assert row is not None
        return str(row.state)


class CoreOnceApproach:
    """The same Core expressions built once, with bind parameters (what a store module could keep)."""

    def __init__(self, alchemy: Alchemy, deposit: Deposit) -> None:
        self.a, self.d = alchemy, deposit
        sa, t, bp = alchemy.sa, alchemy.t, alchemy.sa.bindparam
        self.certificate = _certificate_select(sa, t, bp("fingerprint"))
        p = t["prestations"]
        self.prestation = sa.select(p).where(p.c.identifiant == bp("identifiant"))
        tickets = t["tickets"]
        if alchemy.postgresql:
            self.lock = sa.select(sa.func.pg_advisory_xact_lock(bp("key")))
            self.next_id = sa.select(sa.func.nextval(sa.func.pg_get_serial_sequence("tickets", "id")))
        else:
            self.next_id = sa.select(sa.func.coalesce(sa.func.max(tickets.c.id), 0) + 1)
        self.ticket, self.ticket_prestation = sa.insert(tickets), sa.insert(t["ticket_prestations"])
        self.transition, self.event = sa.insert(t["transitions"]), sa.insert(t["events"])
        endpoints = t["notification_endpoints"]
        queued = sa.select(bp("event_id"), bp("operator_code"), bp("status"), sa.literal_column("0"),
                           bp("next_attempt_at"), bp("created_at"), bp("updated_at"))  # fmt: skip
        queued = queued.where(
            sa.exists().where(
                endpoints.c.operator_code == bp("endpoint_operator"),
                endpoints.c.domain.in_(bp("domains", expanding=True)),
            )
        )
        self.delivery = sa.insert(t["deliveries"]).from_select(DELIVERY_COLUMNS, queued)
        self.by_reference = sa.select(tickets).where(tickets.c.reference == bp("reference"))

    def deposit(self) -> str:
        d = self.d
        with self.a.reader.connect() as conn:
            assert conn.execute(self.certificate, {"fingerprint": d.fingerprint}).first() is not None
            assert conn.execute(self.prestation, {"identifiant": PRESTATION}).first() is not None
        with self.a.write() as conn:
            ticket_id = int(conn.execute(self.next_id).scalar_one())
            reference = f"SIG{ticket_id:08d}"
            conn.execute(self.ticket, dict(zip(TICKET_COLUMNS, d.ticket(ticket_id), strict=True)))
            prestation = ("ticket_id", "extremite_a", "extremite_b", "code_commune", "informations")
            conn.execute(self.ticket_prestation, dict(zip(prestation, d.ticket_prestation(ticket_id), strict=True)))
            conn.execute(self.transition, dict(zip(TRANSITION_COLUMNS, d.transition(ticket_id), strict=True)))
            event = dict(zip(EVENT_COLUMNS, d.event(reference), strict=True))
            if self.a.postgresql:  # the event's id in commit order, as the store's
                conn.execute(self.lock, {"key": COMMIT_ORDER_LOCK_KEY})
            event_id = conn.execute(self.event, event).inserted_primary_key[0]
            row = d.delivery(event_id)
            names = ("event_id", "operator_code", "status", "next_attempt_at", "created_at", "updated_at")
            queued = {**dict(zip(names, row[:6], strict=True)), "endpoint_operator": row[6], "domains": row[7:9]}
            conn.execute(self.delivery, queued)
        return reference

    def state(self, reference: str) -> str:
        with self.a.reader.connect() as conn:
            assert conn.execute(self.certificate, {"fingerprint": self.d.fingerprint}).first() is not None
            row = conn.execute(self.by_reference, {"reference": reference}).first()
        assert row is not None
        return str(row.state)


def _named(sql: str) -> str:
    """The seam's ``?`` marks as ``:p0, :p1…`` for ``text()``."""
    count = iter(range(1000))
    return re.sub(r"\?", lambda _m: f":p{next(count)}", sql)


def _params(values: list[Any]) -> dict[str, Any]:
    return {f"p{i}": v for i, v in enumerate(values)}


class TextApproach:
    """The seam's SQL texts as ``text()`` on the same engine: the connection layer alone."""

    def __init__(self, alchemy: Alchemy, deposit: Deposit) -> None:
        self.a, self.d = alchemy, deposit
        sa = alchemy.sa
        self.sql = {
            name: sa.text(_named(sql))
            for name, sql in {
                "certificate": CERTIFICATE_AND_OPERATOR, "prestation": PRESTATION_SQL,
                "ticket": INSERT_TICKET, "ticket_prestation": INSERT_TICKET_PRESTATION,
                "transition": INSERT_TRANSITION, "event": INSERT_EVENT, "delivery": INSERT_DELIVERY,
                "by_reference": TICKET_BY_REFERENCE,
            }.items()
        }  # fmt: skip
        if alchemy.postgresql:
            self.sql["transition"] = sa.text(_named(INSERT_TRANSITION + " RETURNING id"))
            self.sql["event"] = sa.text(_named(INSERT_EVENT + " RETURNING id"))
            self.sql["lock"] = sa.text("SELECT pg_advisory_xact_lock(:key)")
            self.sql["next_id"] = sa.text("SELECT nextval(pg_get_serial_sequence('tickets', 'id'))")
        else:
            self.sql["next_id"] = sa.text("SELECT COALESCE(MAX(id), 0) + 1 FROM tickets")

    def _run(self, conn: Any, name: str, values: list[Any]) -> Any:
        return conn.execute(self.sql[name], _params(values))

    def _insert_id(self, conn: Any, name: str, values: list[Any]) -> int:
        result = self._run(conn, name, values)
        return int(result.scalar_one() if self.a.postgresql else result.lastrowid)

    def deposit(self) -> str:
        d = self.d
        with self.a.reader.connect() as conn:
            assert self._run(conn, "certificate", [d.fingerprint]).first() is not None
            assert self._run(conn, "prestation", [PRESTATION]).first() is not None
        with self.a.write() as conn:
            ticket_id = int(conn.execute(self.sql["next_id"]).scalar_one())
            reference = f"SIG{ticket_id:08d}"
            self._run(conn, "ticket", d.ticket(ticket_id))
            self._run(conn, "ticket_prestation", d.ticket_prestation(ticket_id))
            self._insert_id(conn, "transition", d.transition(ticket_id))
            if self.a.postgresql:  # the event's id in commit order, as the store's
                conn.execute(self.sql["lock"], {"key": COMMIT_ORDER_LOCK_KEY})
            event_id = self._insert_id(conn, "event", d.event(reference))
            self._run(conn, "delivery", d.delivery(event_id))
        return reference

    def state(self, reference: str) -> str:
        with self.a.reader.connect() as conn:
            assert self._run(conn, "certificate", [self.d.fingerprint]).first() is not None
            row = self._run(conn, "by_reference", [reference]).first()
        assert row is not None
        return str(row.state)


# Capturing the statements -----------------------------------------------------------------------


class _Recorder:
    """A seam connection that notes each statement it is given (SQL text only)."""

    def __init__(self, conn: Any, log: list[str]) -> None:
        self.conn, self.log = conn, log

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        self.log.append(sql)
        return self.conn.execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        self.log.append(sql)
        return self.conn.executemany(sql, parameters)

    def send(self, *statements: str) -> None:  # PostgreSQL: statements sent without waiting
        self.log.extend(statements)
        self.conn.send(*statements)

    def send_write(self, sql: str, parameters: Any, /) -> None:
        self.log.append(sql)
        self.conn.send_write(sql, parameters)

    @property
    def in_transaction(self) -> bool:
        return bool(self.conn.in_transaction)

    def __getattr__(self, name: str) -> Any:  # the rest of the connection (a pooled one's ``raw``)
        return getattr(self.conn, name)


def capture(store: Store, call: Callable[[], Any]) -> list[str]:
    """The SQL statements ``call`` makes on the calling thread's store connection, in order."""
    tx = _thread_tx(store)
    log: list[str] = []
    conn = tx.conn
    tx.conn = _Recorder(conn, log)
    try:
        call()
    finally:
        tx.conn = conn
    return log


# Running --------------------------------------------------------------------------------------


@dataclass
class Bench:
    """The approaches on one database holding the demo."""

    engine: str
    gateway: Gateway
    approaches: dict[str, Any]
    alchemy: Alchemy

    def close(self) -> None:
        self.alchemy.close()
        self.gateway.close()


def open_bench(base: str, work: Path) -> Bench:
    """The demo built in ``base`` (an empty PostgreSQL database, or a new SQLite file) and the approaches."""
    url = parse_store_url(base)
    gateway = Gateway.open(url, clock=FixedClock(NOW), work_dir=work)
    try:
        build_demo(gateway, work / "pki")
        store = gateway.store
        row = _thread_tx(store).conn.execute(
            "SELECT fingerprint FROM certificates WHERE operator_code = ? ORDER BY fingerprint", [OPERATOR]
        )
        fingerprint = row.fetchone()[0]
        prestation = store.get_prestation(PRESTATION)
        assert prestation is not None
        form = etree.tostring(etree.parse(str(FORM)).getroot(), encoding="unicode")
        deposit = Deposit(fingerprint, prestation, form)
        lock = None if url.path is None else Path(str(url.path) + ".lock")
        alchemy = Alchemy(base if url.path is None else str(url.path), lock)
    except BaseException:
        gateway.close()
        raise
    approaches = {
        "store": StoreApproach(store, deposit),
        "seam": SeamApproach(store, deposit),
        "core": CoreApproach(alchemy, deposit),
        "core-once": CoreOnceApproach(alchemy, deposit),
        "text": TextApproach(alchemy, deposit),
    }
    engine = "postgresql" if url.dialect == POSTGRESQL else "sqlite"
    return Bench(engine, gateway, approaches, alchemy)


#: Deposits per group in ``measure_grouped``: what one tick of a server gathers at c=32 with two workers.
GROUP_SIZE = 16


def _timed(op: Callable[[], Any], n: int) -> tuple[float, float]:
    """µs of process CPU and of wall time per call, over ``n`` calls."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        op()
    return (time.process_time() - cpu) * 1e6 / n, (time.perf_counter() - wall) * 1e6 / n


def measure(bench: Bench, *, rounds: int, deposits: int, states: int) -> list[dict[str, Any]]:
    """Interleaved rounds of every approach; per engine × approach × operation the median figures."""
    references = {name: a.deposit() for name, a in bench.approaches.items()}  # warm-up, and a ticket each
    for name, approach in bench.approaches.items():
        for _ in range(3):
            approach.deposit()
            approach.state(references[name])
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for name, approach in bench.approaches.items():
            reference = references[name]
            samples.setdefault((name, "deposit"), []).append(_timed(approach.deposit, deposits))
            samples.setdefault((name, "state"), []).append(_timed(functools.partial(approach.state, reference), states))
    rows = []
    for operation in OPERATIONS:
        seam = samples[("seam", operation)]
        for name in APPROACHES:
            mine = samples[(name, operation)]
            rows.append(
                {
                    "engine": bench.engine,
                    "operation": operation,
                    "approach": name,
                    "cpu_us": round(statistics.median(c for c, _ in mine), 1),
                    "wall_us": round(statistics.median(w for _, w in mine), 1),
                    "cpu_vs_seam": round(statistics.median(c / s[0] for (c, _), s in zip(mine, seam, strict=True)), 2),
                    "wall_vs_seam": round(statistics.median(w / s[1] for (_, w), s in zip(mine, seam, strict=True)), 2),
                }
            )
    return rows


def measure_grouped(bench: Bench, *, batches: int, size: int) -> dict[str, Any]:
    """The ``store`` approach's deposits in groups of ``size``, one transaction each as in one tick of
    the server (a savepoint per deposit, one COMMIT): median µs of CPU and wall time per deposit.
    The group commit is enabled on this thread for the rest of the bench's life: run it last."""
    store, approach = bench.gateway.store, bench.approaches["store"]
    scheduled: list[Callable[[], None]] = []
    store.enable_group_commit(scheduled.append)

    def group() -> None:
        for _ in range(size):
            approach.deposit()
        scheduled.pop()()

    group()  # warm-up
    samples = [_timed(group, 1) for _ in range(batches)]
    return {
        "engine": bench.engine,
        "size": size,
        "cpu_us": round(statistics.median(c for c, _ in samples) / size, 1),
        "wall_us": round(statistics.median(w for _, w in samples) / size, 1),
    }


def run(bases: list[str], *, rounds: int, deposits: int, states: int, groups: int = 0) -> dict[str, Any]:
    """Every engine's figures, with the machine's load and the versions measured; with ``groups``, also
    that many groups of 16 deposits per engine (``measure_grouped``)."""
    import psycopg
    import sqlalchemy

    load = os.getloadavg()
    rows: list[dict[str, Any]] = []
    grouped: list[dict[str, Any]] = []
    for base in bases:
        with tempfile.TemporaryDirectory(prefix="esav-seam-") as temporary:
            work = Path(temporary)
            bench = open_bench(base or str(work / "esav.db"), work)
            try:
                rows += measure(bench, rounds=rounds, deposits=deposits, states=states)
                if groups:
                    grouped.append(measure_grouped(bench, batches=groups, size=GROUP_SIZE))
            finally:
                bench.close()
    return {
        "rows": rows,
        "grouped": grouped,
        "environment": {
            "load_before": [round(x, 2) for x in load],
            "load_after": [round(x, 2) for x in os.getloadavg()],
            "cpus": os.cpu_count(),
            "sqlalchemy": sqlalchemy.__version__,
            "psycopg": psycopg.__version__,
            "rounds": rounds,
            "deposits_per_round": deposits,
            "states_per_round": states,
        },
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        "engine      operation  approach   µs CPU/op  µs wall/op  CPU ×seam  wall ×seam",
        "----------  ---------  ---------  ---------  ----------  ---------  ----------",
    ]
    for r in result["rows"]:
        lines.append(
            f"{r['engine']:<10}  {r['operation']:<9}  {r['approach']:<9}  {r['cpu_us']:>9.1f}  {r['wall_us']:>10.1f}"
            f"  {r['cpu_vs_seam']:>9.2f}  {r['wall_vs_seam']:>10.2f}"
        )
    env = result["environment"]
    lines.append(
        f"load average {env['load_before']} → {env['load_after']} on {env['cpus']} CPUs; SQLAlchemy "
        f"{env['sqlalchemy']}, psycopg {env['psycopg']}; median of {env['rounds']} rounds of "
        f"{env['deposits_per_round']} deposits and {env['states_per_round']} state queries"
    )
    for g in result.get("grouped", []):
        lines.append(
            f"{g['engine']}: deposits in groups of {g['size']} (one transaction each, as in a tick of the server): "
            f"{g['cpu_us']:.1f} µs CPU, {g['wall_us']:.1f} µs wall per deposit"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", action="append", help="an empty PostgreSQL database (postgresql://…); repeatable")
    parser.add_argument("--with-postgres", action="store_true", help="also a throwaway PostgreSQL server (fsync on)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--deposits", type=int, default=100, help="deposits per approach and round")
    parser.add_argument("--states", type=int, default=500, help="state queries per approach and round")
    parser.add_argument("--groups", type=int, default=0, help=f"also this many groups of {GROUP_SIZE} deposits")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    bases = args.base or [""]  # "": a temporary SQLite file
    with contextlib.ExitStack() as stack:
        if args.with_postgres:
            from gateway.adapters.postgres_server import PostgresServer

            server = stack.enter_context(PostgresServer())
            bases.append(server.create_database("seam"))
        result = run(bases, rounds=args.rounds, deposits=args.deposits, states=args.states, groups=args.groups)
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
