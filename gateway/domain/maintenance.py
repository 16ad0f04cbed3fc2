"""When the service is down on purpose: the nightly maintenance window and declared interruptions.

contract §8: a maintenance of about 15 minutes around 04:00 Europe/Paris every night (configurable);
every operation then answers MAINTENANCE with the time service resumes. Planned interruptions of
the service itself are declared ahead with their notice (two business days for e-SAV).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from gateway.domain.calendar import add_business_days, aware_utc
from gateway.domain.clock import PARIS

__all__ = [
    "INTERRUPTION_NOTICE_BUSINESS_DAYS",
    "Downtime",
    "NightlyWindow",
    "current_downtime",
    "earliest_interruption_start",
]

#: e-SAV interruptions for planned works are announced at least two business days ahead.
INTERRUPTION_NOTICE_BUSINESS_DAYS = 2


@dataclass(frozen=True)
class Downtime:
    """A period when every operation is refused with MAINTENANCE."""

    start: datetime  # aware UTC
    end: datetime  # aware UTC, exclusive: service is back at this instant
    reason: str

    def remaining_seconds(self, now: datetime) -> int:
        """Whole seconds until service resumes, at least 1 (for ``reessayerDans``)."""
        return max(1, int((self.end - aware_utc(now)).total_seconds() + 0.999))


@dataclass(frozen=True)
class NightlyWindow:
    """The nightly maintenance: ``start`` Paris local time, for ``duration``, every night."""

    start: time = time(4, 0)
    duration: timedelta = timedelta(minutes=15)

    def occurrence_on(self, day: date) -> Downtime:
        """That night's window, as UTC instants (Paris wall clock, so DST-correct)."""
        start = datetime.combine(day, self.start, tzinfo=PARIS)
        return Downtime(aware_utc(start), aware_utc(start + self.duration), "maintenance nocturne")

    def containing(self, instant: datetime) -> Downtime | None:
        """The window ``instant`` falls in, if any (checks the Paris day and the day before)."""
        local_day = instant.astimezone(PARIS).date()
        for day in (local_day, local_day - timedelta(days=1)):
            window = self.occurrence_on(day)
            if window.start <= aware_utc(instant) < window.end:
                return window
        return None


def current_downtime(instant: datetime, nightly: NightlyWindow | None, declared: Iterable[Downtime]) -> Downtime | None:
    """The downtime in force at ``instant`` (the one ending last when several overlap), or None."""
    now = aware_utc(instant)
    candidates = [d for d in declared if d.start <= now < d.end]
    if nightly is not None and (window := nightly.containing(now)) is not None:
        candidates.append(window)
    return max(candidates, key=lambda d: d.end, default=None)


def earliest_interruption_start(declared_at: datetime) -> datetime:
    """The earliest start of a planned interruption declared at ``declared_at``: two business days
    later (same Paris wall-clock time, counted in business days)."""
    local = declared_at.astimezone(PARIS)
    day = add_business_days(local.date(), INTERRUPTION_NOTICE_BUSINESS_DAYS)
    return aware_utc(datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=PARIS))
