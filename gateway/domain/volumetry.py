"""Volumetry rules (ESAV-WS §8): which calls are "counted requests", and latency histograms.

The one place that says which operations the volumetry counts. Everything else (the in-memory
aggregator, the store's tables, ``esav stats``, ``/metrics``) asks these functions.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence

__all__ = [
    "COUNTED_OPERATIONS",
    "LATENCY_BOUNDS_MS",
    "bucket_of",
    "is_counted_request",
    "merge_buckets",
    "percentile_ms",
]

#: §8: "a test with its result, a TP or incident query, a deposit, a state query, a history query".
COUNTED_OPERATIONS = frozenset(
    {
        "deposerSignalisation",
        "consulterEtatSignalisation",
        "consulterHistorique",
        "lancerTest",
        "consulterResultatTest",
        "consulterTravauxProgrammes",
        "consulterIncidentsReseau",
    }
)

#: Upper bounds (milliseconds) of the latency histogram's buckets; a last, open bucket follows.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
)  # fmt: skip


def is_counted_request(operator: str | None, operation: str | None, fault_code: str | None) -> bool:
    """A counted request: an authenticated operator's call of a §8 operation that was answered
    (no fault): the work was done and the operator got its answer."""
    return operator is not None and fault_code is None and operation in COUNTED_OPERATIONS


def bucket_of(duration_ms: float) -> int:
    """Index of the histogram bucket a duration falls in (``len(LATENCY_BOUNDS_MS)`` = beyond the last)."""
    return bisect_left(LATENCY_BOUNDS_MS, duration_ms)


def merge_buckets(a: Sequence[int], b: Sequence[int]) -> list[int]:
    size = len(LATENCY_BOUNDS_MS) + 1
    return [(a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(size)]


def percentile_ms(buckets: Sequence[int], fraction: float) -> float | None:
    """The ``fraction`` percentile (0.95 for p95) from a histogram, as its bucket's upper bound
    (so at most one bucket's width pessimistic); None without samples; the open bucket reports
    its lower bound."""
    total = sum(buckets)
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total - 1e-9))  # the rank-th smallest sample; tolerant of float noise
    seen = 0
    for index, count in enumerate(buckets):
        seen += count
        if seen >= rank:
            return LATENCY_BOUNDS_MS[min(index, len(LATENCY_BOUNDS_MS) - 1)]
    return LATENCY_BOUNDS_MS[-1]
