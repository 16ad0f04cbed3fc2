"""The integration platform's tables: the call journal, issued attestations, imported validations.

Also the sandbox reset: deleting one operator's tickets, line tests and appointments (and every
row that points at them) and its journal, on the platform's database only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction, quote

__all__ = [
    "IntegrationRepository",
    "IntegrationStore",
    "JournalEntry",
    "RobotTicket",
    "create_attestation_tables",
    "create_journal_tables",
    "create_validation_tables",
]


@dataclass(frozen=True)
class JournalEntry:
    """One SOAP call of an operator as the integration platform journaled it."""

    id: int
    operator_code: str
    at: datetime
    version: str
    service: str
    operation: str | None
    fault_code: str | None
    request: str
    response: str
    duration_ms: float

    @property
    def succeeded(self) -> bool:
        return self.fault_code is None


@dataclass(frozen=True)
class RobotTicket:
    """A sandbox ticket the scenario robot may move, with how many steps the robot already took."""

    reference: str
    prestation: str
    state: str
    robot_steps: int


def create_journal_tables(db: Transaction) -> None:
    # AUTOINCREMENT: an entry id is never reused, even after a sandbox reset deleted the last ones,
    # so an operator reading "depuis" its last id never misses an entry.
    db.conn.execute(
        "CREATE TABLE call_journal (id INTEGER PRIMARY KEY AUTOINCREMENT, operator_code TEXT NOT NULL, "
        "at TEXT NOT NULL, version TEXT NOT NULL, service TEXT NOT NULL, operation TEXT, fault_code TEXT, "
        "request TEXT, response TEXT, duration_ms FLOAT)"
    )
    db.table("call_journal").create_index(["operator_code", "id"])


def create_attestation_tables(db: Transaction) -> None:
    db.table("attestations").create(
        {"id": int, "operator_code": str, "version": str, "domains": str, "issued_at": str, "document": str},
        pk="id",
        not_null={"operator_code", "version", "domains", "issued_at", "document"},
    )


def create_validation_tables(db: Transaction) -> None:
    db.table("operator_validations").create(
        {
            "id": int,
            "operator_code": str,
            "domains": str,
            "version": str,
            "attested_at": str,
            "imported_at": str,
            "sha256": str,
        },
        pk="id",
        not_null={"operator_code", "domains", "imported_at", "sha256"},
    )


def _entry(row: dict[str, Any]) -> JournalEntry:
    return JournalEntry(**{**row, "at": from_ts(row["at"])})


# Final states: the robot never looks at them again.
_ROBOT_DONE = ("EN_REJET", "VALIDE", "CLOS_TABLEAU_DE_BORD")


class IntegrationStore(StorePart):
    """Journal, campaign, attestations and sandbox reset (integration platform)."""

    # Journal -----------------------------------------------------------------------------------

    def journal(
        self, operator_code: str, *, after_id: int = 0, since: datetime | None = None, limit: int = 100
    ) -> list[JournalEntry]:
        """The operator's entries in order, after entry ``after_id`` and from ``since``, at most ``limit``."""
        where, params = ["operator_code = ?", "id > ?"], [operator_code, after_id]
        if since is not None:
            where.append("at >= ?")
            params.append(to_ts(since))
        rows = self._rows(
            f"SELECT * FROM call_journal WHERE {' AND '.join(where)} ORDER BY id LIMIT ?", [*params, limit]
        )
        return [_entry(r) for r in rows]

    def successful_calls(self, operator_code: str) -> list[tuple[str, str, str, datetime]]:
        """(version, service, operation, first success) of every operation the operator called without fault."""
        rows = self._rows(
            "SELECT version, service, operation, MIN(at) AS first FROM call_journal "
            "WHERE operator_code = ? AND fault_code IS NULL AND operation IS NOT NULL "
            "GROUP BY version, service, operation ORDER BY version, service, operation",
            [operator_code],
        )
        return [(r["version"], r["service"], r["operation"], from_ts(r["first"])) for r in rows]  # type: ignore[misc]

    # Attestations (platform) and validations (production) ------------------------------------

    def list_attestations(self, operator_code: str) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM attestations WHERE operator_code = ? ORDER BY id", [operator_code])

    # Scenario robot ----------------------------------------------------------------------------

    def robot_tickets(self, prestations: Iterable[str], author: str) -> list[RobotTicket]:
        """Open-ended sandbox tickets on ``prestations`` with the number of transitions ``author`` made."""
        wanted = sorted(set(prestations))
        if not wanted:
            return []
        marks = ", ".join("?" for _ in wanted)
        done = ", ".join("?" for _ in _ROBOT_DONE)
        rows = self._rows(
            "SELECT t.reference, t.prestation, t.state, "
            "(SELECT COUNT(*) FROM transitions r WHERE r.ticket_id = t.id AND r.author = ?) AS robot_steps "
            f"FROM tickets t WHERE t.prestation IN ({marks}) AND t.state NOT IN ({done}) ORDER BY t.id",
            [author, *wanted, *_ROBOT_DONE],
        )
        return [RobotTicket(**r) for r in rows]

    # Sandbox reset -----------------------------------------------------------------------------


class IntegrationRepository(Repository):
    """The integration platform's journal, attestations, validations and sandbox reset."""

    __slots__ = ()

    def add_journal_entries(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append a batch of calls in one transaction (one commit for many requests), in commit order
        (an operator reads the journal "after entry N": ``Transaction.write_in_commit_order``)."""
        for entry in entries:
            row = {**entry, "at": to_ts(entry["at"])}
            names = ", ".join(quote(c) for c in row)
            sql = f"INSERT INTO call_journal ({names}) VALUES ({', '.join('?' * len(row))})"
            self._db.write_in_commit_order(sql, list(row.values()))

    def record_attestation(
        self, operator_code: str, version: str, domains: Iterable[str], at: datetime, document: str
    ) -> int:
        table = self._db.table("attestations")
        table.insert(
            {
                "operator_code": operator_code,
                "version": version,
                "domains": json.dumps(sorted(domains)),
                "issued_at": to_ts(at),
                "document": document,
            }
        )
        return int(table.last_pk)  # type: ignore[arg-type]

    def record_validation(
        self,
        operator_code: str,
        domains: Iterable[str],
        version: str,
        attested_at: str,
        sha256: str,
        at: datetime,
        granted: Iterable[str],
    ) -> None:
        """Record an imported attestation and open its domains, in one transaction."""
        self._db.table("operator_validations").insert(
            {
                "operator_code": operator_code,
                "domains": json.dumps(sorted(domains)),
                "version": version,
                "attested_at": attested_at,
                "imported_at": to_ts(at),
                "sha256": sha256,
            }
        )
        self._db.conn.execute(
            "UPDATE operators SET domains = ? WHERE code = ?", [json.dumps(sorted(set(granted))), operator_code]
        )

    def reset_sandbox(self, operator_code: str) -> dict[str, int]:
        """Delete the operator's tickets, line tests, appointments and journal; counts per kind.

        Rows of any table that point (by foreign key) at a deleted row go first, so that tables
        added later (events, outbox...) are cleaned too without this method knowing them.
        """
        counts: dict[str, int] = {}
        conn = self._db.conn
        targets = {
            "tickets": [r[0] for r in conn.execute("SELECT id FROM tickets WHERE operator_code = ?", [operator_code])],
            "line_tests": [
                r[0] for r in conn.execute("SELECT id FROM line_tests WHERE operator_code = ?", [operator_code])
            ],
        }
        appointment_ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM appointments WHERE operator_code = ? OR ticket_id IN "
                "(SELECT id FROM tickets WHERE operator_code = ?)",
                [operator_code, operator_code],
            )
        ]
        self._delete_referring("appointments", appointment_ids, seen=set())
        conn.executemany("DELETE FROM appointments WHERE id = ?", [[i] for i in appointment_ids])
        counts["rendezVous"] = len(appointment_ids)
        for table, ids in targets.items():
            self._delete_referring(table, ids, seen=set())
            conn.executemany(f"DELETE FROM {table} WHERE id = ?", [[i] for i in ids])
        counts["signalisations"] = len(targets["tickets"])
        counts["tests"] = len(targets["line_tests"])
        cursor = conn.execute("DELETE FROM call_journal WHERE operator_code = ?", [operator_code])
        counts["journal"] = cursor.rowcount
        return counts

    def _delete_referring(self, table: str, ids: list[int], seen: set[str]) -> None:
        if not ids or table in seen:
            return
        seen.add(table)
        for other in self._db.table_names():
            if other == table:
                continue
            for column, referenced, to in self._db.foreign_keys(other):
                if referenced != table or to != "id":
                    continue
                marks = ", ".join("?" for _ in ids)
                if "id" in self._db.columns(other):  # rows of ``other`` may in turn be referenced by their id
                    child_ids = [
                        r[0] for r in self._db.conn.execute(f"SELECT id FROM {other} WHERE {column} IN ({marks})", ids)
                    ]
                    self._delete_referring(other, child_ids, seen)
                self._db.conn.execute(f"DELETE FROM {other} WHERE {column} IN ({marks})", ids)
