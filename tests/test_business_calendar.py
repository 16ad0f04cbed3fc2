"""The French business calendar: public holidays, business days, business hours across DST."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from gateway.domain.calendar import (
    add_business_days,
    add_business_seconds,
    business_days_between,
    business_seconds_between,
    is_business_day,
    is_public_holiday,
)
from gateway.domain.clock import PARIS

H = 3600.0


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 11), True),  # Armistice, a Wednesday
        (date(2026, 12, 25), True),  # Christmas, a Friday
        (date(2027, 5, 1), True),  # Labour Day, a Saturday
        (date(2027, 3, 29), True),  # Easter Monday
        (date(2026, 5, 25), True),  # Whit Monday
        (date(2027, 1, 1), True),
        (date(2026, 11, 10), False),
        (date(2026, 4, 3), False),  # Good Friday: Alsace-Moselle only
        (date(2026, 12, 26), False),  # Saint Stephen: Alsace-Moselle only
    ],
)
def test_public_holidays_are_those_of_metropolitan_france(day: date, expected: bool) -> None:
    """Public holidays are metropolitan France's, without Alsace-Moselle's extra days."""
    assert is_public_holiday(day) is expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 10), True),  # Tuesday
        (date(2026, 11, 13), True),  # Friday
        (date(2026, 11, 11), False),  # Wednesday, Armistice
        (date(2026, 11, 14), False),  # Saturday
        (date(2026, 11, 15), False),  # Sunday
        (date(2027, 3, 29), False),  # Easter Monday
        (date(2027, 3, 30), True),
    ],
)
def test_business_days_are_weekdays_that_are_not_holidays(day: date, expected: bool) -> None:
    """A business day is Monday to Friday and not a public holiday."""
    assert is_business_day(day) is expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 10), 1, date(2026, 11, 12)),  # over Armistice
        (date(2026, 11, 10), 5, date(2026, 11, 18)),  # over Armistice and a weekend
        (date(2026, 11, 12), -1, date(2026, 11, 10)),  # back over Armistice
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # over Christmas and a weekend
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # over New Year's Day and the year's end
        (date(2027, 1, 4), -1, date(2026, 12, 31)),
        (date(2027, 3, 26), 1, date(2027, 3, 30)),  # over Easter Monday
        (date(2026, 11, 14), 0, date(2026, 11, 14)),  # zero keeps even a Saturday
        (date(2026, 11, 14), 1, date(2026, 11, 16)),
        (date(2026, 11, 14), -1, date(2026, 11, 13)),
        (date(2026, 11, 16), -1, date(2026, 11, 13)),
    ],
)
def test_add_business_days_skips_weekends_and_holidays(start: date, n: int, expected: date) -> None:
    """Adding business days (forwards or backwards) skips weekends and public holidays."""
    assert add_business_days(start, n) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 11, 9), date(2026, 11, 16), 4),  # Tue, Thu, Fri, Mon: not Armistice
        (date(2026, 12, 24), date(2027, 1, 4), 5),  # 28-31 Dec and 4 Jan
        (date(2027, 3, 26), date(2027, 4, 2), 4),  # not Easter Monday
        (date(2026, 11, 13), date(2026, 11, 16), 1),  # the end day counts, the start day does not
        (date(2026, 11, 13), date(2026, 11, 15), 0),
        (date(2026, 11, 10), date(2026, 11, 10), 0),
        (date(2026, 11, 16), date(2026, 11, 9), 0),
    ],
)
def test_business_days_between_counts_the_half_open_interval(start: date, end: date, expected: int) -> None:
    """Business days are counted in (start, end], and an empty or reversed interval has none."""
    assert business_days_between(start, end) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (paris(2026, 11, 10, 9), paris(2026, 11, 10, 11, 30), 2.5 * H),
        (paris(2026, 11, 10, 6), paris(2026, 11, 10, 20), 10 * H),  # only opening hours count
        (paris(2026, 11, 10, 17), paris(2026, 11, 12, 9), 2 * H),  # Armistice does not count
        (paris(2026, 11, 10, 19), paris(2026, 11, 12, 7), 0.0),
        (paris(2026, 11, 13, 16), paris(2026, 11, 16, 10), 4 * H),  # over a weekend
        (paris(2026, 11, 14, 10), paris(2026, 11, 15, 20), 0.0),
        (paris(2026, 6, 8), paris(2026, 6, 15), 50 * H),  # one ordinary week
        (paris(2026, 12, 24, 17), paris(2026, 12, 28, 9), 2 * H),  # Christmas and a weekend
        (paris(2026, 3, 27, 17), paris(2026, 3, 30, 9), 2 * H),  # over the spring DST change
        (paris(2026, 10, 23, 16), paris(2026, 10, 26, 10), 4 * H),  # over the autumn DST change
        (utc(2026, 3, 30, 5, 30), utc(2026, 3, 30, 7), 1 * H),  # summer time: opens at 06:00 UTC
        (utc(2026, 10, 26, 6), utc(2026, 10, 26, 8), 1 * H),  # winter time: opens at 07:00 UTC
        (paris(2026, 11, 10, 11), paris(2026, 11, 10, 9), 0.0),  # reversed
        (paris(2026, 11, 10, 11), paris(2026, 11, 10, 11), 0.0),
    ],
)
def test_business_seconds_between(a: datetime, b: datetime, expected: float) -> None:
    """Business seconds count Mon–Fri 08:00–18:00 Paris time only, holidays excluded, DST-correct."""
    assert business_seconds_between(a, b) == expected


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        (paris(2026, 11, 10, 9), 1 * H, utc(2026, 11, 10, 9)),
        (paris(2026, 11, 10, 15), 5 * H, utc(2026, 11, 12, 9)),  # over Armistice
        (paris(2026, 11, 10, 10), 10 * H, utc(2026, 11, 12, 9)),
        (paris(2026, 11, 14, 10), 1 * H, utc(2026, 11, 16, 8)),  # from a Saturday: Monday's opening
        (paris(2026, 11, 10, 6), 1 * H, utc(2026, 11, 10, 8)),  # before opening
        (paris(2026, 11, 10, 17), 1 * H, utc(2026, 11, 10, 17)),  # runs out at closing: 18:00
        (paris(2026, 11, 10, 17), 1 * H + 1, utc(2026, 11, 12, 7, 0, 1)),
        (paris(2026, 11, 14, 10), 0, utc(2026, 11, 16, 7)),  # nothing to count: next opening
        (paris(2026, 11, 10, 10), 0, utc(2026, 11, 10, 9)),
        (paris(2026, 11, 10, 10), 0.5, utc(2026, 11, 10, 9, 0, 0, 500000)),
        (paris(2026, 3, 27, 17), 2 * H, utc(2026, 3, 30, 7)),  # spring DST: 09:00 CEST
        (paris(2026, 10, 23, 17), 2 * H, utc(2026, 10, 26, 8)),  # autumn DST: 09:00 CET
    ],
)
def test_add_business_seconds(start: datetime, seconds: float, expected: datetime) -> None:
    """Adding business seconds consumes opening hours only, from the next opening if outside them."""
    result = add_business_seconds(start, seconds)
    assert result == expected
    assert result.tzinfo is UTC


def test_naive_datetimes_are_refused() -> None:
    """Business-hour arithmetic refuses naive datetimes rather than guess their zone."""
    with pytest.raises(ValueError, match="aware"):
        business_seconds_between(datetime(2026, 11, 10, 9), paris(2026, 11, 10, 10))
    with pytest.raises(ValueError, match="aware"):
        add_business_seconds(datetime(2026, 11, 10, 9), 60)


def test_negative_business_seconds_are_refused() -> None:
    """Adding a negative number of business seconds is an error, not a step back in time."""
    with pytest.raises(ValueError, match="negative"):
        add_business_seconds(paris(2026, 11, 10, 9), -1)
