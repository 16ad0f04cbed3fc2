"""Remote line tests: launched at once, finished later by the poller (possibly in another process)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["LineTestRecord", "LineTestRepository", "LineTestStore", "add_line_test_channel", "create_line_test_tables"]

RUNNING = "EN_COURS"


@dataclass(frozen=True)
class LineTestRecord:
    id: int
    reference: str
    operator_code: str
    prestation: str
    code_offre: str
    test_type: str
    status: str  # EN_COURS, TERMINE, ECHEC
    handle: str | None  # the network element's job handle
    diagnostic: str | None
    measurements: tuple[tuple[str, str, str], ...]  # (name, value, unit)
    started_at: datetime
    ended_at: datetime | None
    channel: str = "WS"  # the door it was launched through: WS (web services) or WEB (portal)


def create_line_test_tables(db: Transaction) -> None:
    db.table("line_tests").create(
        {
            "id": int,
            "reference": str,
            "operator_code": str,
            "prestation": str,
            "code_offre": str,
            "test_type": str,
            "status": str,
            "handle": str,
            "diagnostic": str,
            "measurements": str,
            "started_at": str,
            "ended_at": str,
        },
        pk="id",
        foreign_keys=[("operator_code", "operators", "code"), ("prestation", "prestations", "identifiant")],
        not_null={"reference", "operator_code", "prestation", "test_type", "status", "started_at"},
    )
    db.table("line_tests").create_index(["reference"], unique=True)
    db.table("line_tests").create_index(["status"])


def add_line_test_channel(db: Transaction) -> None:
    """The door each line test came through, so that its result counts in that door's series."""
    db.conn.execute("ALTER TABLE line_tests ADD COLUMN channel TEXT NOT NULL DEFAULT 'WS'")


def _line_test(row: dict[str, Any]) -> LineTestRecord:
    return LineTestRecord(
        **{
            **row,
            "measurements": tuple(tuple(m) for m in json.loads(row["measurements"] or "[]")),
            "started_at": from_ts(row["started_at"]),
            "ended_at": from_ts(row["ended_at"]),
        }
    )


class LineTestStore(StorePart):
    """Line tests and their results."""

    def get_line_test(self, reference: str) -> LineTestRecord | None:
        row = self._one("SELECT * FROM line_tests WHERE reference = ?", [reference])
        return _line_test(row) if row else None

    def running_line_tests(self) -> list[LineTestRecord]:
        return [_line_test(r) for r in self._rows("SELECT * FROM line_tests WHERE status = ? ORDER BY id", [RUNNING])]


class LineTestRepository(Repository):
    """Line tests as they are launched and finished."""

    __slots__ = ()

    def insert(self, fields: dict[str, Any], reference_prefix: str) -> LineTestRecord:
        """Store a test just launched (EN_COURS) and give it its reference, durably."""
        next_id = self._db.next_id("line_tests")
        self._db.table("line_tests").insert(
            {
                **fields,
                "id": next_id,
                "reference": f"{reference_prefix}{next_id:08d}",
                "status": RUNNING,
                "measurements": "[]",
                "started_at": to_ts(fields["started_at"]),
            }
        )
        found = self._one("SELECT * FROM line_tests WHERE id = ?", [next_id])
        assert found is not None
        return _line_test(found)

    def get(self, reference: str) -> LineTestRecord | None:
        row = self._one("SELECT * FROM line_tests WHERE reference = ?", [reference])
        return _line_test(row) if row else None

    def finish(
        self,
        reference: str,
        *,
        status: str,
        diagnostic: str,
        measurements: list[tuple[str, str, str]],
        at: datetime,
    ) -> bool:
        """Record a final result; False if the test was no longer running (another poller got there)."""
        cursor = self._db.conn.execute(
            "UPDATE line_tests SET status = ?, diagnostic = ?, measurements = ?, ended_at = ? "
            "WHERE reference = ? AND status = ?",
            [status, diagnostic, json.dumps(measurements, ensure_ascii=False), to_ts(at), reference, RUNNING],
        )
        return cursor.rowcount == 1
