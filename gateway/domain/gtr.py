"""The restoration-time guarantee (GTR): when a ticket's deadline falls, and whether it was met.

The deadline runs from the deposit; time spent ``GELE`` does not count. Each option is a budget of
time measured its own way (wall-clock seconds for GTR_4H, business seconds otherwise), consumed
along the timeline from the deposit while frozen intervals are skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from gateway.domain.calendar import (
    BUSINESS_CLOSE,
    add_business_days,
    add_business_seconds,
    aware_utc,
    business_seconds_between,
)
from gateway.domain.clock import PARIS

__all__ = ["GtrOption", "gtr_deadline", "gtr_met"]


class GtrOption(StrEnum):
    """The GTR options a prestation may carry; values are the wire codes."""

    GTR_4H = "GTR_4H"
    GTR_10HO = "GTR_10HO"
    STANDARD = "STANDARD"

    @property
    def libelle(self) -> str:
        """The French label shown to operators."""
        return _LABELS[self]


_LABELS = {
    GtrOption.GTR_4H: "GTR 4 heures, 24h/24 et 7j/7",
    GtrOption.GTR_10HO: "GTR 10 heures ouvrées, du lundi au vendredi de 8h à 18h hors jours fériés",
    GtrOption.STANDARD: "Standard, fin du jour ouvré suivant",
}

_Interval = tuple[datetime, datetime]


def gtr_deadline(
    option: GtrOption,
    deposited_at: datetime,
    frozen: Sequence[tuple[datetime, datetime | None]] = (),
    now: datetime | None = None,
) -> datetime:
    """The UTC instant by which service must be restored, pushed back by the time spent frozen.

    ``frozen`` lists the ``GELE`` intervals; an open one (end None) counts up to ``now``, which is
    then required. Freezes that begin after the deadline they would push do not count.
    """
    start = aware_utc(deposited_at)
    freezes = _freezes(start, frozen, now)
    if option is GtrOption.GTR_4H:
        return _consume(start, timedelta(hours=4).total_seconds(), freezes, _wall_seconds, _add_wall)
    if option is GtrOption.GTR_10HO:
        budget = timedelta(hours=10).total_seconds()
    else:
        budget = business_seconds_between(start, _standard_end(start))
    return _consume(start, budget, freezes, business_seconds_between, add_business_seconds)


def gtr_met(deadline: datetime, restored_at: datetime) -> bool:
    """Whether restoration at ``restored_at`` meets ``deadline`` (restoring exactly on it does)."""
    return aware_utc(restored_at) <= aware_utc(deadline)


def _standard_end(deposited_at: datetime) -> datetime:
    """18:00 Paris on the first business day after the deposit's (Paris) day."""
    day = add_business_days(deposited_at.astimezone(PARIS).date(), 1)
    return datetime.combine(day, BUSINESS_CLOSE, tzinfo=PARIS).astimezone(UTC)


def _freezes(
    start: datetime, frozen: Sequence[tuple[datetime, datetime | None]], now: datetime | None
) -> list[_Interval]:
    """The freezes as UTC intervals from ``start`` on, sorted, open ones closed at ``now``."""
    intervals: list[_Interval] = []
    for begin, end in frozen:
        if end is None:
            if now is None:
                raise ValueError("an open freeze (end None) needs `now` to compute the GTR deadline")
            end = now
        begin_utc, end_utc = max(aware_utc(begin), start), aware_utc(end)
        if end_utc > begin_utc:
            intervals.append((begin_utc, end_utc))
    return sorted(intervals)


def _consume(
    start: datetime,
    budget: float,
    freezes: list[_Interval],
    measure: Callable[[datetime, datetime], float],
    advance: Callable[[datetime, float], datetime],
) -> datetime:
    """Walk from ``start``, spending ``budget`` (as ``measure`` counts it) outside the freezes.

    ``freezes`` must be sorted by start; overlapping ones count once, since the cursor never moves back.
    """
    cursor, remaining = start, budget
    for begin, end in freezes:
        available = measure(cursor, begin)  # 0 when this freeze began before the cursor
        if remaining <= available:
            break
        remaining -= available
        cursor = max(cursor, end)
    return advance(cursor, remaining)


def _wall_seconds(a: datetime, b: datetime) -> float:
    return max((b - a).total_seconds(), 0.0)


def _add_wall(start: datetime, seconds: float) -> datetime:
    return start + timedelta(seconds=seconds)
