"""Time as the gateway sees it: an injectable clock, UTC inside, Europe/Paris for people and rules."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "PARIS", "Clock", "FixedClock", "ShiftedClock", "SystemClock",
    "iso_utc", "paris_if_naive", "parse_instant", "to_paris",
]  # fmt: skip

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    """Anything that tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ShiftedClock:
    """The real wall clock moved by a fixed amount (a rehearsal, an integration platform, the test suite's
    server processes): it runs at the real pace, and every process given the same shift reads the same time."""

    def __init__(self, shift: timedelta) -> None:
        self.shift = shift

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift


class FixedClock:
    """A clock that tests set and move by hand; thread-safe."""

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self._now = _aware_utc(start)

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, instant: datetime) -> None:
        with self._lock:
            self._now = _aware_utc(instant)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            self._now += delta


def to_paris(instant: datetime) -> datetime:
    """The same instant in Paris local time."""
    return instant.astimezone(PARIS)


def paris_if_naive(instant: datetime) -> datetime:
    """An instant given without an offset is Paris wall-clock time, the contract's and the staff's
    local time (v1 dates, CLI options, portal fields); an aware instant is kept as it is."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=PARIS)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or date-time typed by a person or sent on the wire, read by
    ``paris_if_naive``; ValueError when it is not ISO 8601 (each caller words its own message)."""
    return paris_if_naive(datetime.fromisoformat(text.strip()))


def iso_utc(instant: datetime) -> str:
    """An aware instant as ISO 8601 text in UTC with microseconds: sortable as text (what the store
    keeps, what event payloads carry)."""
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def _aware_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("a clock needs an aware datetime (with tzinfo)")
    return instant.astimezone(UTC)
