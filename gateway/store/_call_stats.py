"""Volumetry and call statistics: what each gateway process flushes about once a second.

Counters are not receipts: they are written with ``synchronous=NORMAL`` (``relaxed_write``) in the
same database, so a flush never waits on an fsync; a power cut may lose the last second of counts,
never a ticket. Three tables:

- ``request_counts`` (migration 6): the §8 counted requests per operator, UTC minute, operation;
- ``call_stats``: every SOAP call per operator, minute, version, service, operation and outcome
  (``OK`` or the fault code), with the number of calls, their total and a latency histogram;
- ``call_totals``: the same without the minute, cumulative since the database exists (what
  ``/metrics`` reads, so that every process of a group serves the same monotonic counters).

And ``request_timeouts`` (migration 26): connections closed because a client took longer than
``request_timeout_s`` to send a request, per door (``web_services``, ``portal``), cumulative.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ._parts import StorePart
from ._sql import POSTGRESQL, Transaction

__all__ = [
    "CallAggregate",
    "CallKey",
    "CallStatsRow",
    "CallStatsStore",
    "create_call_stats_tables",
    "create_request_timeout_table",
    "relaxed_write",
]

#: (operator_code, minute, version, service, operation, outcome); "" for an unknown operator or operation.
CallKey = tuple[str, str, str, str, str, str]


@dataclass
class CallAggregate:
    """Calls of one key: how many, their total duration and their latency histogram."""

    calls: int
    total_ms: float
    buckets: list[int]


@dataclass(frozen=True)
class CallStatsRow:
    operator_code: str
    minute: str
    version: str
    service: str
    operation: str
    outcome: str
    calls: int
    total_ms: float
    buckets: tuple[int, ...]


_KEY_COLUMNS = ("operator_code", "minute", "version", "service", "operation", "outcome")


def create_call_stats_tables(db: Transaction) -> None:
    columns = {c: str for c in _KEY_COLUMNS} | {"calls": int, "total_ms": float, "buckets": str}
    db.table("call_stats").create(columns, pk=_KEY_COLUMNS, not_null={"calls", "total_ms", "buckets"})
    db.table("call_stats").create_index(["minute"])
    totals = {k: v for k, v in columns.items() if k != "minute"}
    db.table("call_totals").create(
        totals, pk=tuple(c for c in _KEY_COLUMNS if c != "minute"), not_null={"calls", "total_ms", "buckets"}
    )


def create_request_timeout_table(db: Transaction) -> None:
    db.table("request_timeouts").create({"door": str, "count": int}, pk="door", not_null={"count"})


@contextmanager
def relaxed_write(store: Any) -> Iterator[Transaction]:
    """A write transaction of ``store`` committed with ``synchronous=NORMAL`` (counters, not receipts).

    A write like any other (SQLite: it takes the writer lock; PostgreSQL: it runs beside the others,
    its upserts locking their rows). Inside an open transaction, or in a thread whose
    writes are grouped (group commit), it is an ordinary write block: it joins that transaction and
    never changes how the others' receipts are committed.
    """
    connections = store._connections
    conn = connections.db.conn
    if conn.in_transaction or connections._grouping() is not None:
        with connections.write() as db:
            yield db
        return
    if connections.dialect == POSTGRESQL:
        with connections.write() as db:
            db.conn.execute("SET LOCAL synchronous_commit = off")  # this transaction only
            yield db
        return
    conn.execute("PRAGMA synchronous=NORMAL")
    try:
        with connections.write() as db:
            yield db
    finally:
        conn.execute("PRAGMA synchronous=FULL")


def _merge(a: list[int], b: list[int]) -> list[int]:
    size = max(len(a), len(b))
    return [(a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(size)]


class CallStatsStore(StorePart):
    """Flushing and reading the volumetry."""

    def flush_volumetry(
        self,
        counted: Mapping[tuple[str, str, str], int],
        calls: Mapping[CallKey, CallAggregate],
        timeouts: Mapping[str, int] | None = None,
    ) -> None:
        """Add one process's counts of the last interval, in one relaxed transaction.

        Rows are written in key order: two processes flushing at once (PostgreSQL runs their
        transactions side by side) lock the rows they share in the same order, never in a cycle."""
        if not counted and not calls and not timeouts:
            return
        with relaxed_write(self) as db:
            conn = db.conn
            conn.executemany(
                "INSERT INTO request_timeouts (door, count) VALUES (?, ?) "
                "ON CONFLICT (door) DO UPDATE SET count = request_timeouts.count + excluded.count",
                sorted((timeouts or {}).items()),
            )
            conn.executemany(
                "INSERT INTO request_counts (operator_code, minute, operation, count) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (operator_code, minute, operation) "
                "DO UPDATE SET count = request_counts.count + excluded.count",
                [(*key, n) for key, n in sorted(counted.items())],
            )
            totals: dict[tuple[str, ...], CallAggregate] = {}
            for key, agg in sorted(calls.items()):
                self._add_calls(db, "call_stats", _KEY_COLUMNS, key, agg)
                total_key: tuple[str, ...] = (key[0], *key[2:])
                prev = totals.get(total_key)
                totals[total_key] = (
                    agg
                    if prev is None
                    else CallAggregate(
                        prev.calls + agg.calls, prev.total_ms + agg.total_ms, _merge(prev.buckets, agg.buckets)
                    )
                )
            total_columns: tuple[str, ...] = tuple(c for c in _KEY_COLUMNS if c != "minute")
            for summed_key, summed in sorted(totals.items()):
                self._add_calls(db, "call_totals", total_columns, summed_key, summed)

    @staticmethod
    def _add_calls(
        db: Transaction, table: str, columns: tuple[str, ...], key: tuple[str, ...], agg: CallAggregate
    ) -> None:
        """Add ``agg`` to the row of ``key``: read, merged (the histogram), written back. PostgreSQL:
        the row is made first if missing and read locked, so that another process's flush adding to
        the same row waits for this one's commit instead of losing it."""
        conn = db.conn
        where = " AND ".join(f"{c} = ?" for c in columns)
        lock = ""
        if db.postgresql:
            conn.execute(
                f"INSERT INTO {table} ({', '.join(columns)}, calls, total_ms, buckets) "
                f"VALUES ({', '.join('?' * len(columns))}, 0, 0, '[]') ON CONFLICT DO NOTHING",
                key,
            )
            lock = " FOR NO KEY UPDATE"
        row = conn.execute(f"SELECT calls, total_ms, buckets FROM {table} WHERE {where}{lock}", key).fetchone()
        if row is None:
            conn.execute(
                f"INSERT INTO {table} ({', '.join(columns)}, calls, total_ms, buckets) "
                f"VALUES ({', '.join('?' * len(columns))}, ?, ?, ?)",
                [*key, agg.calls, agg.total_ms, json.dumps(agg.buckets)],
            )
        else:
            conn.execute(
                f"UPDATE {table} SET calls = ?, total_ms = ?, buckets = ? WHERE {where}",
                [row[0] + agg.calls, row[1] + agg.total_ms, json.dumps(_merge(json.loads(row[2]), agg.buckets)), *key],
            )

    def call_stats(
        self, *, operator_code: str | None = None, from_minute: str | None = None, to_minute: str | None = None
    ) -> list[CallStatsRow]:
        """Per-minute rows, ``from_minute`` ≤ minute < ``to_minute`` (UTC minutes as stored)."""
        where, params = ["1 = 1"], []
        if operator_code is not None:
            where.append("operator_code = ?")
            params.append(operator_code)
        if from_minute is not None:
            where.append("minute >= ?")
            params.append(from_minute)
        if to_minute is not None:
            where.append("minute < ?")
            params.append(to_minute)
        rows = self._rows(f"SELECT * FROM call_stats WHERE {' AND '.join(where)} ORDER BY minute", params)
        return [CallStatsRow(**{**r, "buckets": tuple(json.loads(r["buckets"]))}) for r in rows]

    def call_totals(self) -> list[CallStatsRow]:
        """Cumulative rows since the database exists (``minute`` is empty)."""
        rows = self._rows("SELECT * FROM call_totals ORDER BY operator_code, version, service, operation, outcome")
        return [CallStatsRow(**{**r, "minute": "", "buckets": tuple(json.loads(r["buckets"]))}) for r in rows]

    def request_timeouts(self) -> dict[str, int]:
        """Connections closed for a request sent too slowly, per door, since the database exists."""
        return {r["door"]: r["count"] for r in self._rows("SELECT door, count FROM request_timeouts ORDER BY door")}
