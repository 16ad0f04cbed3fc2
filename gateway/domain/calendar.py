"""The French business calendar: business days and business hours, reasoned in Europe/Paris.

A business day is Monday to Friday and not a public holiday of metropolitan France (from the
maintained ``holidays`` library, not a hand-written list). Business hours are 08:00–18:00 Paris
time on business days. Instants are aware datetimes; results are aware UTC datetimes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import holidays

from gateway.domain.clock import PARIS

__all__ = [
    "BUSINESS_CLOSE",
    "BUSINESS_OPEN",
    "add_business_days",
    "add_business_seconds",
    "aware_utc",
    "business_days_between",
    "business_seconds_between",
    "is_business_day",
    "is_public_holiday",
]

BUSINESS_OPEN = time(8, 0)
BUSINESS_CLOSE = time(18, 0)

_ONE_DAY = timedelta(days=1)


def aware_utc(instant: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused, since it would silently mean local time."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"an aware datetime (with tzinfo) is required, got {instant!r}")
    return instant.astimezone(UTC)


@lru_cache(maxsize=64)
def _holidays_of(year: int) -> frozenset[date]:
    # No subdivision: metropolitan France, without Alsace-Moselle's extra days.
    return frozenset(holidays.France(years=year))


def is_public_holiday(d: date) -> bool:
    """Whether ``d`` is a public holiday of metropolitan France."""
    return d in _holidays_of(d.year)


def is_business_day(d: date) -> bool:
    """Whether ``d`` is Monday to Friday and not a French public holiday."""
    return d.weekday() < 5 and not is_public_holiday(d)


def add_business_days(d: date, n: int) -> date:
    """The date ``n`` business days after ``d`` (before it when ``n`` is negative); ``d`` itself for 0."""
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    remaining = abs(n)
    while remaining:
        d += step
        if is_business_day(d):
            remaining -= 1
    return d


def business_days_between(start: date, end: date) -> int:
    """How many business days fall in ``(start, end]``; 0 when ``end <= start``."""
    count = 0
    d = start + _ONE_DAY
    while d <= end:
        count += is_business_day(d)
        d += _ONE_DAY
    return count


def business_seconds_between(a: datetime, b: datetime) -> float:
    """Seconds of business hours between the aware instants ``a`` and ``b``; 0 when ``b <= a``."""
    start, end = aware_utc(a), aware_utc(b)
    total = 0.0
    if end <= start:
        return total
    for opens, closes in _business_windows_from(start):
        if opens >= end:
            break
        total += (min(closes, end) - max(opens, start)).total_seconds()
    return total


def add_business_seconds(start: datetime, seconds: float) -> datetime:
    """The UTC instant reached once ``seconds`` of business hours have elapsed from ``start``.

    Counting begins at ``start`` if it is within business hours, else at the next opening. A budget
    that runs out exactly at closing time ends at 18:00, not at the next opening.
    """
    if seconds < 0:
        raise ValueError(f"business seconds to add must not be negative, got {seconds}")
    begin = aware_utc(start)
    remaining = timedelta(seconds=seconds)
    for opens, closes in _business_windows_from(begin):
        counting_from = max(opens, begin)
        available = closes - counting_from
        if remaining <= available:
            return counting_from + remaining
        remaining -= available
    raise AssertionError("unreachable: business windows never run out")  # pragma: no cover


def _business_windows_from(instant: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Each business day's opening hours as UTC instants, in order, from the one ``instant`` lies in
    or before; windows that close at or before ``instant`` are skipped."""
    day = instant.astimezone(PARIS).date()
    while True:
        if is_business_day(day):
            # Combine with PARIS then convert, so each day gets its own UTC offset (DST).
            opens = datetime.combine(day, BUSINESS_OPEN, tzinfo=PARIS).astimezone(UTC)
            closes = datetime.combine(day, BUSINESS_CLOSE, tzinfo=PARIS).astimezone(UTC)
            if closes > instant:
                yield opens, closes
        day += _ONE_DAY
