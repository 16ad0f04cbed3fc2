"""Tickets as the use cases change them: a deposit (the ticket, its prestation as deposited, its first
transition), transitions, comments and attachments."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import KEY_OPERATOR_REFERENCE, Repository
from ._records import PrestationRecord, TicketRecord
from ._sql import SQLITE

__all__ = ["TicketRepository", "ticket_record"]


# Every column of a ticket, for building the record of a row just inserted without reading it back.
_EMPTY_TICKET: dict[str, Any] = {f.name: None for f in fields(TicketRecord)}


def ticket_record(row: dict[str, Any]) -> TicketRecord:
    return TicketRecord(
        **{
            **row,
            "state_at": from_ts(row["state_at"]),
            "deposited_at": from_ts(row["deposited_at"]),
            "closed_at": from_ts(row["closed_at"]),
        }
    )


_INSERT_TRANSITION = (
    "INSERT INTO transitions (ticket_id, action, from_state, to_state, actor, author, at, reason, code) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

_INSERT_TICKET_PRESTATION = (
    "INSERT INTO ticket_prestations (ticket_id, extremite_a, extremite_b, code_commune, informations) "
    "VALUES (?, ?, ?, ?, ?)"
)
_deposit_statements: dict[tuple[str, tuple[str, ...]], str] = {}


def _deposit_sql(dialect: str, columns: tuple[str, ...]) -> str:
    """``deposit``'s statement for a ticket of ``columns`` (built once per engine and columns)."""
    sql = _deposit_statements.get((dialect, columns))
    if sql is not None:
        return sql
    head, marks = f"INSERT INTO tickets ({', '.join(columns)}, id, reference)", ", ".join("?" * len(columns))
    if dialect == SQLITE:
        # Scalar subqueries, not INSERT … SELECT from the table itself, which SQLite would first copy
        # to a temporary table (5 times the CPU), nor RETURNING (twice): the id is then ``lastrowid``.
        largest = "(SELECT COALESCE(MAX(id), 0) + 1 FROM tickets)"
        sql = f"{head} VALUES ({marks}, {largest}, ? || printf('%08d', {largest}))"
    else:
        reference = "CAST(? AS TEXT) || lpad(n.id::text, greatest(8, length(n.id::text)), '0')"
        source = "(SELECT nextval(pg_get_serial_sequence('tickets', 'id')) AS id)"
        ticket = f"{head} SELECT {marks}, n.id, {reference} FROM {source} AS n RETURNING id"
        kept = _INSERT_TICKET_PRESTATION.replace("VALUES (?, ", "SELECT t.id, ").replace("?)", "? FROM t")
        first = _INSERT_TRANSITION.replace("VALUES (?, ", "SELECT t.id, ").replace("?)", "? FROM t")
        sql = f"WITH t AS ({ticket}), p AS ({kept}), r AS ({first}) SELECT id FROM t"
    _deposit_statements[(dialect, columns)] = sql
    return sql


class TicketRepository(Repository):
    """One ticket's writes, and the reads that decide them (PostgreSQL: the row locked until the commit)."""

    __slots__ = ()

    def get(self, reference: str) -> TicketRecord | None:
        """The ticket about to change (its state is the state the change starts from)."""
        row = self._one(f"SELECT * FROM tickets WHERE reference = ?{self._for_update}", [reference])
        return ticket_record(row) if row else None

    def by_operator_reference(self, operator_code: str, reference_operateur: str) -> TicketRecord | None:
        """The ticket an operator already deposited under its own reference (a resent deposit), if any.

        PostgreSQL: the reference's lock is held until the commit, so that the same deposit sent twice
        at once is read here after the first one committed (the unique index backs it)."""
        self._lock_key(KEY_OPERATOR_REFERENCE, f"{operator_code}\n{reference_operateur}")
        row = self._one(
            "SELECT * FROM tickets WHERE operator_code = ? AND reference_operateur = ?",
            [operator_code, reference_operateur],
        )
        return ticket_record(row) if row else None

    def last_transition_id(self, ticket_id: int) -> int:
        """The id of the ticket's latest transition (its deposit at least), to compare with what a page showed."""
        row = self._one("SELECT MAX(id) AS last FROM transitions WHERE ticket_id = ?", [ticket_id])
        return int(row["last"] or 0) if row else 0

    def count_attachments(self, ticket_id: int) -> int:
        return int(
            self._db.conn.execute("SELECT COUNT(*) FROM attachments WHERE ticket_id = ?", [ticket_id]).fetchone()[0]
        )

    def deposit(
        self,
        fields: dict[str, Any],
        reference_prefix: str,
        prestation: PrestationRecord,
        *,
        action: str,
        to_state: str,
        actor: str,
        author: str,
    ) -> TicketRecord:
        """A deposited ticket, inside the caller's write transaction: the ticket (its reference is the
        prefix and its id on at least 8 digits), its prestation as deposited, and its first
        transition (from no state, at its deposit).

        Every deposit runs this: the ticket's INSERT takes its id itself (SQLite: one past the
        largest, the write lock being held; PostgreSQL: the table's sequence, whose numbers a rolled
        back deposit leaves unused: references may have gaps), and on PostgreSQL the
        three rows are one statement (one round trip); SQLite, where a statement is a call, runs three."""
        row = {
            **fields,
            "state_at": to_ts(fields["state_at"]),
            "deposited_at": to_ts(fields["deposited_at"]),
            "closed_at": None,
        }
        kept = [prestation.extremite_a, prestation.extremite_b, prestation.code_commune, prestation.informations]
        transition = [action, None, to_state, actor, author, row["deposited_at"], None, None]
        sql = _deposit_sql(self._db.dialect, tuple(row))
        if self._db.postgresql:
            params = [*row.values(), reference_prefix, *kept, *transition]
            ((ticket_id,),) = self._db.conn.execute(sql, params).fetchall()
        else:
            ticket_id = self._db.conn.execute(sql, [*row.values(), reference_prefix]).lastrowid
            self._db.conn.execute(_INSERT_TICKET_PRESTATION, [ticket_id, *kept])
            self._db.conn.execute(_INSERT_TRANSITION, [ticket_id, *transition])
        row["id"] = int(ticket_id)
        row["reference"] = f"{reference_prefix}{row['id']:08d}"
        return ticket_record({**_EMPTY_TICKET, **row})

    def update(self, ticket_id: int, **changes: Any) -> None:
        """Change a ticket's columns inside the caller's write transaction."""
        values = {k: (to_ts(v) if isinstance(v, datetime) else v) for k, v in changes.items()}
        assignments = ", ".join(f"{k} = ?" for k in values)
        self._db.conn.execute(f"UPDATE tickets SET {assignments} WHERE id = ?", [*values.values(), ticket_id])

    def add_transition(
        self,
        ticket_id: int,
        *,
        action: str,
        from_state: str | None,
        to_state: str,
        actor: str,
        author: str,
        at: datetime,
        reason: str | None = None,
        code: str | None = None,
    ) -> None:
        # The new row's id is not needed: no RETURNING on PostgreSQL (every deposit writes one).
        row = [ticket_id, action, from_state, to_state, actor, author, to_ts(at), reason, code]
        self._db.conn.execute(_INSERT_TRANSITION, row)

    def add_comment(self, ticket_id: int, *, side: str, author: str, at: datetime, text: str) -> None:
        self._db.table("comments").insert(
            {"ticket_id": ticket_id, "side": side, "author": author, "at": to_ts(at), "text": text}
        )

    def add_attachment(
        self,
        ticket_id: int,
        *,
        side: str,
        name: str,
        mime_type: str,
        content: bytes,
        sha256: str,
        at: datetime,
    ) -> int:
        table = self._db.table("attachments").insert(
            {
                "ticket_id": ticket_id,
                "side": side,
                "name": name,
                "mime_type": mime_type,
                "size": len(content),
                "sha256": sha256,
                "content": content,
                "at": to_ts(at),
            }
        )
        assert table.last_pk is not None
        return int(table.last_pk)
