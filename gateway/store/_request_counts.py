"""Counted requests (contract §8): one counter per operator, minute and operation.

Which calls are counted requests is ``gateway.domain.volumetry``'s rule; the server counts them in
memory (``gateway.services.Volumetry``, an observer of every SOAP call) and adds them here about
once a second (``CallStatsStore.flush_volumetry``), so that no request waits on a write of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["RequestCount", "RequestCountRepository", "RequestCountStore", "create_request_count_tables", "minute_of"]


@dataclass(frozen=True)
class RequestCount:
    operator_code: str
    minute: str  # UTC, "2026-11-18T09:00Z"
    operation: str
    count: int


def minute_of(instant: datetime) -> str:
    """The UTC minute an instant falls in, as stored (sortable text)."""
    return instant.astimezone(UTC).isoformat(timespec="minutes")[:16] + "Z"  # strftime costs twice as much


def create_request_count_tables(db: Transaction) -> None:
    db.table("request_counts").create(
        {"operator_code": str, "minute": str, "operation": str, "count": int},
        pk=("operator_code", "minute", "operation"),
        not_null={"count"},
    )


class RequestCountStore(StorePart):
    """Counters of the requests the volumetry counts."""

    def request_counts(self, operator_code: str | None = None) -> list[RequestCount]:
        where, params = ("WHERE operator_code = ?", [operator_code]) if operator_code else ("", [])
        rows = self._rows(f"SELECT * FROM request_counts {where} ORDER BY minute, operator_code, operation", params)
        return [RequestCount(**r) for r in rows]


class RequestCountRepository(Repository):
    """Requests counted per operator, minute and operation."""

    __slots__ = ()

    def add(self, operator_code: str, operation: str, at: datetime) -> None:
        """Add one request inside the caller's transaction (a line test's result, recorded with it)."""
        self._db.conn.execute(
            "INSERT INTO request_counts (operator_code, minute, operation, count) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (operator_code, minute, operation) DO UPDATE SET count = request_counts.count + 1",
            [operator_code, minute_of(at), operation],
        )
