"""Planned works (TP) and network incidents, per INSEE commune."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["NetworkEventRecord", "NetworkEventRepository", "NetworkEventStore", "create_network_event_tables"]


@dataclass(frozen=True)
class NetworkEventRecord:
    id: int
    reference: str
    kind: str  # TRAVAUX, INCIDENT
    code_commune: str
    start: datetime
    end: datetime | None
    impact: str
    description: str
    status: str
    declared_at: datetime
    updated_at: datetime
    author: str


def create_network_event_tables(db: Transaction) -> None:
    db.table("network_events").create(
        {
            "id": int,
            "reference": str,
            "kind": str,
            "code_commune": str,
            "start": str,
            "end": str,
            "impact": str,
            "description": str,
            "status": str,
            "declared_at": str,
            "updated_at": str,
            "author": str,
        },
        pk="id",
        not_null={"reference", "kind", "code_commune", "start", "impact", "status", "declared_at"},
    )
    db.table("network_events").create_index(["reference"], unique=True)
    db.table("network_events").create_index(["kind", "code_commune", "start"])


def _event(row: dict[str, Any]) -> NetworkEventRecord:
    dates = ("start", "end", "declared_at", "updated_at")
    return NetworkEventRecord(**{**row, **{k: from_ts(row[k]) for k in dates}})


class NetworkEventStore(StorePart):
    """Planned works and incidents as the provider declares and updates them."""

    def get_network_event(self, reference: str) -> NetworkEventRecord | None:
        row = self._one("SELECT * FROM network_events WHERE reference = ?", [reference])
        return _event(row) if row else None

    def network_events(
        self,
        *,
        kind: str | None = None,
        communes: Iterable[str] | None = None,
        overlapping: tuple[datetime, datetime] | None = None,
        statuses: Iterable[str] | None = None,
    ) -> list[NetworkEventRecord]:
        """Items of a kind, in some communes, overlapping a period (an open end runs forever), by start."""
        where: list[str] = []
        params: list[Any] = []
        if kind:
            where.append("kind = ?")
            params.append(kind)
        if communes is not None:
            codes = list(communes)
            where.append(f"code_commune IN ({','.join('?' * len(codes))})")
            params.extend(codes)
        if overlapping is not None:
            where.append('start <= ? AND ("end" IS NULL OR "end" >= ?)')
            params.extend([to_ts(overlapping[1]), to_ts(overlapping[0])])
        if statuses is not None:
            values = list(statuses)
            where.append(f"status IN ({','.join('?' * len(values))})")
            params.extend(values)
        sql = "SELECT * FROM network_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_event(r) for r in self._rows(sql + " ORDER BY start, id", params)]


class NetworkEventRepository(Repository):
    """Planned works and incidents as the provider declares and updates them."""

    __slots__ = ()

    def insert(self, fields: dict[str, Any], reference: str | None = None) -> NetworkEventRecord:
        """Store a new item; its reference is ``reference`` or derives from its id (TP-000001, INC-000001)."""
        prefix = "TP" if fields["kind"] == "TRAVAUX" else "INC"
        next_id = self._db.next_id("network_events")
        row = {k: (to_ts(v) if isinstance(v, datetime) else v) for k, v in fields.items()}
        reference = reference or f"{prefix}-{next_id:06d}"
        self._db.table("network_events").insert({**row, "id": next_id, "reference": reference})
        found = self._one("SELECT * FROM network_events WHERE id = ?", [next_id])
        assert found is not None
        return _event(found)

    def get(self, reference: str) -> NetworkEventRecord | None:
        """The item about to change (PostgreSQL: its row locked until the commit)."""
        row = self._one(f"SELECT * FROM network_events WHERE reference = ?{self._for_update}", [reference])
        return _event(row) if row else None

    def update(self, event_id: int, **changes: Any) -> None:
        """Change an item's columns inside the caller's write transaction."""
        values = {k: (to_ts(v) if isinstance(v, datetime) else v) for k, v in changes.items()}
        assignments = ", ".join(f'"{k}" = ?' for k in values)
        self._db.conn.execute(f"UPDATE network_events SET {assignments} WHERE id = ?", [*values.values(), event_id])
