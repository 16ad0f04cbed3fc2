"""Volumetry: every call counted in memory, flushed to the store about once a second, and read back.

A request never waits on a write for its own counting: the host reports each call to observers
(``gateway.server.CallRecord``), one of which is ``Volumetry.record``; the server flushes the
aggregate in one relaxed transaction per interval (and at stop). Several processes each flush
their own share; the store adds them up.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway.domain.clock import Clock
from gateway.domain.volumetry import (
    LATENCY_BOUNDS_MS,
    bucket_of,
    is_counted_request,
    merge_buckets,
    percentile_ms,
)
from gateway.store import CallAggregate, CallKey, CallStatsRow, Store, minute_of

__all__ = ["OperationStats", "Volumetry"]

OK = "OK"


@dataclass(frozen=True)
class OperationStats:
    """One operator's calls of one operation over a period."""

    operator_code: str  # "" when the caller was not authenticated
    operation: str
    calls: int
    counted: int  # §8 counted requests among them
    faults: dict[str, int]  # fault code → number
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None

    @property
    def fault_total(self) -> int:
        return sum(self.faults.values())


class Volumetry:
    """The per-process aggregator (thread-safe) and the reader of what was flushed."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._counted: dict[tuple[str, str, str], int] = defaultdict(int)
        self._calls: dict[CallKey, CallAggregate] = {}
        self._timeouts: dict[str, int] = defaultdict(int)

    def record(
        self,
        *,
        operator: str | None,
        version: str,
        service: str,
        operation: str | None,
        fault_code: str | None,
        duration_s: float,
    ) -> None:
        """Count one call (in memory only)."""
        minute = minute_of(self._clock.now())
        duration_ms = duration_s * 1000.0
        key: CallKey = (operator or "", minute, version, service, operation or "", fault_code or OK)
        with self._lock:
            if is_counted_request(operator, operation, fault_code):
                self._counted[(operator or "", minute, operation or "")] += 1
            agg = self._calls.get(key)
            if agg is None:
                agg = self._calls[key] = CallAggregate(0, 0.0, [0] * (len(LATENCY_BOUNDS_MS) + 1))
            agg.calls += 1
            agg.total_ms += duration_ms
            agg.buckets[bucket_of(duration_ms)] += 1

    def record_request_timeout(self, door: str) -> None:
        """Count one connection closed because its client sent a request too slowly (in memory only)."""
        with self._lock:
            self._timeouts[door] += 1

    def request_timeouts(self) -> dict[str, int]:
        """Connections closed for a slow request per door, as flushed by every process."""
        return self._store.request_timeouts()

    def flush(self) -> int:
        """Write what was counted since the last flush, in one transaction; the number of calls.
        On a store failure the counts are kept for the next flush."""
        with self._lock:
            counted, calls, timeouts = dict(self._counted), self._calls, dict(self._timeouts)
            self._counted, self._calls, self._timeouts = defaultdict(int), {}, defaultdict(int)
        try:
            self._store.flush_volumetry(counted, calls, timeouts)
        except BaseException:
            with self._lock:
                for door, n in timeouts.items():
                    self._timeouts[door] += n
                for k, n in counted.items():
                    self._counted[k] += n
                for key, agg in calls.items():
                    mine = self._calls.get(key)
                    self._calls[key] = (
                        agg
                        if mine is None
                        else CallAggregate(
                            mine.calls + agg.calls,
                            mine.total_ms + agg.total_ms,
                            merge_buckets(mine.buckets, agg.buckets),
                        )
                    )
            raise
        return sum(a.calls for a in calls.values())

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(a.calls for a in self._calls.values())

    def totals(self) -> list[CallStatsRow]:
        """Every call counted since the database exists (all processes), per operator, version, service,
        operation and outcome: what ``/metrics`` exposes."""
        return self._store.call_totals()

    def stats(
        self, *, operator_code: str | None = None, since: datetime | None = None, until: datetime | None = None
    ) -> list[OperationStats]:
        """Per operator and operation over ``[since, until)`` (minutes), from the flushed data."""
        until = until or self._clock.now() + timedelta(minutes=1)
        rows = self._store.call_stats(
            operator_code=operator_code,
            from_minute=minute_of(since) if since else None,
            to_minute=minute_of(until),
        )
        calls: dict[tuple[str, str], int] = defaultdict(int)
        faults: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        buckets: dict[tuple[str, str], list[int]] = defaultdict(list)
        for row in rows:
            key = (row.operator_code, row.operation)
            calls[key] += row.calls
            if row.outcome != OK:
                faults[key][row.outcome] += row.calls
            buckets[key] = merge_buckets(buckets[key], row.buckets)
        counted: dict[tuple[str, str], int] = defaultdict(int)
        for count in self._store.request_counts(operator_code):
            if (since is None or count.minute >= minute_of(since)) and count.minute < minute_of(until):
                counted[(count.operator_code, count.operation)] += count.count
        return [
            OperationStats(
                operator_code=key[0],
                operation=key[1],
                calls=calls[key],
                counted=counted.get(key, 0),
                faults=dict(sorted(faults[key].items())),
                p50_ms=percentile_ms(buckets[key], 0.50),
                p95_ms=percentile_ms(buckets[key], 0.95),
                p99_ms=percentile_ms(buckets[key], 0.99),
            )
            for key in sorted(calls)
        ]
