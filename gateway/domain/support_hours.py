"""When the provider handles e-soutien requests, and by when it answers one (pure rules).

The conditions give two sets of hours: a malfunction of e-SAV is handled Monday to Saturday,
08:00–18:00 Paris time, public holidays excluded (e-SAV conditions, article 11); any other portal
problem Monday to Friday, 08:00–18:00, public holidays excluded (Espace Opérateurs conditions).
They give no answer time: ours is ``RESPONSE_TIME`` of handling hours after the operator's latest
message, counted in the request's own hours.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from gateway.domain.calendar import BUSINESS_CLOSE, BUSINESS_OPEN, aware_utc, is_public_holiday
from gateway.domain.clock import PARIS

__all__ = [
    "RESPONSE_TIME",
    "SupportTopic",
    "handling_seconds_between",
    "is_handling_day",
    "response_deadline",
]

#: How long the provider takes at most to answer, in handling hours of the request's topic.
RESPONSE_TIME = timedelta(hours=4)

_ONE_DAY = timedelta(days=1)


class SupportTopic(StrEnum):
    """What an e-soutien request is about; it sets the handling hours."""

    ESAV = "ESAV"  # e-SAV (web services or e-SAV en ligne) is unavailable or misbehaves
    PORTAIL = "PORTAIL"  # any other problem of the portal (Espace Opérateurs, Mes fichiers...)

    @property
    def libelle(self) -> str:
        return _LABELS[self]

    @property
    def hours(self) -> str:
        """The handling hours, in French, as the conditions state them."""
        return _HOURS[self]


_LABELS = {
    SupportTopic.ESAV: "Dysfonctionnement d'e-SAV",
    SupportTopic.PORTAIL: "Problème du portail (Espace Opérateurs, Mes fichiers…)",
}
_HOURS = {
    SupportTopic.ESAV: "du lundi au samedi de 8 h à 18 h (heure de Paris), hors jours fériés",
    SupportTopic.PORTAIL: "du lundi au vendredi de 8 h à 18 h (heure de Paris), hors jours fériés",
}


def is_handling_day(topic: SupportTopic, day: date) -> bool:
    """Whether requests of ``topic`` are handled on ``day`` (Monday–Saturday for e-SAV, –Friday otherwise)."""
    last_weekday = 5 if topic is SupportTopic.ESAV else 4
    return day.weekday() <= last_weekday and not is_public_holiday(day)


def _windows(topic: SupportTopic, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Each handling day's hours as UTC instants, in order, from the one ``instant`` lies in or before."""
    day = instant.astimezone(PARIS).date()
    while True:
        if is_handling_day(topic, day):
            opens = datetime.combine(day, BUSINESS_OPEN, tzinfo=PARIS).astimezone(UTC)
            closes = datetime.combine(day, BUSINESS_CLOSE, tzinfo=PARIS).astimezone(UTC)
            if closes > instant:
                yield opens, closes
        day += _ONE_DAY


def response_deadline(topic: SupportTopic, received_at: datetime, within: timedelta = RESPONSE_TIME) -> datetime:
    """The UTC instant by which a request received at ``received_at`` is answered: ``within`` of
    handling hours later, counted from the next opening when it arrives outside them."""
    begin = aware_utc(received_at)
    remaining = within
    for opens, closes in _windows(topic, begin):
        counting_from = max(opens, begin)
        available = closes - counting_from
        if remaining <= available:
            return counting_from + remaining
        remaining -= available
    raise AssertionError("unreachable: handling windows never run out")  # pragma: no cover


def handling_seconds_between(topic: SupportTopic, a: datetime, b: datetime) -> float:
    """Seconds of ``topic``'s handling hours between ``a`` and ``b``; 0 when ``b <= a``."""
    start, end = aware_utc(a), aware_utc(b)
    total = 0.0
    if end <= start:
        return total
    for opens, closes in _windows(topic, start):
        if opens >= end:
            break
        total += (min(closes, end) - max(opens, start)).total_seconds()
    return total
