"""Volumetry rules (contract §8): which calls are "counted requests", and latency histograms.

The one place that says which operations the volumetry counts. Everything else (the in-memory
aggregator, the store's tables, ``esav stats``, ``/metrics``) asks these functions.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Sequence

__all__ = [
    "COUNTED_OPERATIONS",
    "LATENCY_BOUNDS_MS",
    "LINE_TEST_OPERATION",
    "PORTAL_SERIES",
    "bucket_of",
    "is_counted_request",
    "line_test_series",
    "merge_buckets",
    "percentile_ms",
    "portal_counted_operation",
]

#: §8: "a test with its result, a TP or incident query, a deposit, a state query, a history query".
#: The calls counted when answered; a line test is not among them: it counts once, when it gives its
#: result (e-SAV art. 6: "une demande d'un test qui a abouti à la communication d'un résultat"), not
#: at ``lancerTest`` nor at each poll of ``consulterResultatTest`` (see :func:`line_test_series`).
COUNTED_OPERATIONS = frozenset(
    {
        "deposerSignalisation",
        "consulterEtatSignalisation",
        "consulterHistorique",
        "consulterTravauxProgrammes",
        "consulterIncidentsReseau",
    }
)

#: The series a line test counts in when it gives its result.
LINE_TEST_OPERATION = "lancerTest"

#: Prefix of the portal's series: the same requests made on the pages of e-SAV en ligne.
PORTAL_SERIES = "portail:"

# The portal's pages that are counted requests when answered (status below 400), with their operation.
_PORTAL_COUNTED = (
    ("POST", re.compile(r"^/esav/deposer$"), "deposerSignalisation"),
    ("GET", re.compile(r"^/esav/signalisations/[^/]+$"), "consulterEtatSignalisation"),
    ("GET", re.compile(r"^/esav$"), "consulterHistorique"),
    ("GET", re.compile(r"^/esav/reseau$"), "consulterTravauxProgrammes"),
)

#: Upper bounds (milliseconds) of the latency histogram's buckets; a last, open bucket follows.
LATENCY_BOUNDS_MS: tuple[float, ...] = (
    0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000,
)  # fmt: skip


def is_counted_request(operator: str | None, operation: str | None, fault_code: str | None) -> bool:
    """A counted request: an authenticated operator's call of a §8 operation that was answered
    (no fault): the work was done and the operator got its answer."""
    return operator is not None and fault_code is None and operation in COUNTED_OPERATIONS


def line_test_series(channel: str) -> str:
    """The series a finished line test counts in: ``lancerTest``, or ``portail:lancerTest`` from the portal."""
    return PORTAL_SERIES + LINE_TEST_OPERATION if channel == "WEB" else LINE_TEST_OPERATION


def portal_counted_operation(method: str, path: str) -> str | None:
    """The portal series a page request counts in (``portail:deposerSignalisation``...), or None."""
    for expected, pattern, operation in _PORTAL_COUNTED:
        if method == expected and pattern.match(path):
            return PORTAL_SERIES + operation
    return None


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
