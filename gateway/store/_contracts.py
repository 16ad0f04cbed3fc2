"""The web-service contracts every gateway node serves: the fingerprint of the frozen WSDLs, recorded
once in the database, so that a node built from other contracts refuses to join (rolling upgrades)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["ContractsRecord", "ContractsStore", "ServedContractsRepository", "create_contracts_table"]


def create_contracts_table(db: Transaction) -> None:
    db.conn.execute(
        "CREATE TABLE served_contracts (id INTEGER PRIMARY KEY CHECK (id = 1), fingerprint TEXT NOT NULL, "
        "recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL)"
    )


@dataclass(frozen=True)
class ContractsRecord:
    """The contracts the nodes on this database serve: their fingerprint, when and by whom recorded."""

    fingerprint: str
    recorded_at: datetime
    recorded_by: str


class ContractsStore(StorePart):
    def served_contracts(self) -> ContractsRecord | None:
        row = self._one("SELECT fingerprint, recorded_at, recorded_by FROM served_contracts WHERE id = 1")
        return None if row is None else _record(row)


def _record(row: dict[str, Any]) -> ContractsRecord:
    at = from_ts(row["recorded_at"])
    assert at is not None
    return ContractsRecord(row["fingerprint"], at, row["recorded_by"])


class ServedContractsRepository(Repository):
    """The record of the web-service contracts served (one row)."""

    __slots__ = ()

    def record(self, fingerprint: str, *, at: datetime, by: str) -> None:
        """Record ``fingerprint`` as the contracts served (replacing the previous record)."""
        self._db.conn.execute(
            "INSERT INTO served_contracts (id, fingerprint, recorded_at, recorded_by) VALUES (1, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by",
            [fingerprint, to_ts(at), by],
        )

    def record_if_none(self, fingerprint: str, *, at: datetime, by: str) -> None:
        self._db.conn.execute(
            "INSERT INTO served_contracts (id, fingerprint, recorded_at, recorded_by) VALUES (1, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            [fingerprint, to_ts(at), by],
        )
