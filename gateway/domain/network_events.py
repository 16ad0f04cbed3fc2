"""Planned works (TP) and network incidents (contract §7, §8): their statuses and the notice rule.

Both have the statuses of the ``STATUTS_TRAVAUX`` code list. An item is created ``NOUVEAU``, may be
updated (``MIS_A_JOUR``) or re-planned (``REPLANIFIE``) any number of times, and ends ``CLOS`` or
``ANNULE``; it never goes back to ``NOUVEAU`` and nothing follows an end. A planned work must be
announced at least two business days ahead: it may start, at the earliest, at 00:00 Paris time of
the second business day after the day it is declared. Incidents need no notice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from enum import StrEnum

from gateway.domain.calendar import add_business_days, aware_utc
from gateway.domain.clock import PARIS, to_paris
from gateway.errors import InvalidRequestError, TransitionForbiddenError

__all__ = [
    "ACTIVE_STATUSES",
    "NOTICE_BUSINESS_DAYS",
    "EventKind",
    "EventStatus",
    "check_notice",
    "check_period",
    "check_status_change",
    "earliest_planned_start",
]

NOTICE_BUSINESS_DAYS = 2

_DAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class EventKind(StrEnum):
    TRAVAUX = "TRAVAUX"  # planned works (TP)
    INCIDENT = "INCIDENT"  # network incident, announced as soon as known


class EventStatus(StrEnum):
    NOUVEAU = "NOUVEAU"
    REPLANIFIE = "REPLANIFIE"
    MIS_A_JOUR = "MIS_A_JOUR"
    CLOS = "CLOS"
    ANNULE = "ANNULE"


ACTIVE_STATUSES = frozenset({EventStatus.NOUVEAU, EventStatus.REPLANIFIE, EventStatus.MIS_A_JOUR})
_AFTER_OPEN = frozenset({EventStatus.REPLANIFIE, EventStatus.MIS_A_JOUR, EventStatus.CLOS, EventStatus.ANNULE})
_NEXT = {
    EventStatus.NOUVEAU: _AFTER_OPEN,
    EventStatus.REPLANIFIE: _AFTER_OPEN,
    EventStatus.MIS_A_JOUR: _AFTER_OPEN,
    EventStatus.CLOS: frozenset(),
    EventStatus.ANNULE: frozenset(),
}


def check_status_change(current: EventStatus, new: EventStatus) -> None:
    """Refuse a change the life cycle does not allow (back to NOUVEAU, anything after CLOS or ANNULE)."""
    if new not in _NEXT[current]:
        allowed = _NEXT[current]
        why = f"statuts possibles : {', '.join(sorted(allowed))}" if allowed else f"{current.value} est un statut final"
        raise TransitionForbiddenError(
            f"Statut {current.value} → {new.value} interdit ({why}).", chemin="statut", valeur=new.value
        )


def earliest_planned_start(declared_at: datetime) -> datetime:
    """The earliest start of planned works declared at ``declared_at``, as an aware UTC instant."""
    declared_day = to_paris(aware_utc(declared_at)).date()
    day: date = add_business_days(declared_day, NOTICE_BUSINESS_DAYS)
    return datetime.combine(day, time(0, 0), tzinfo=PARIS).astimezone(UTC)


def check_notice(declared_at: datetime, start: datetime) -> None:
    """Planned works start at least two business days after their declaration (InvalidRequestError)."""
    earliest = earliest_planned_start(declared_at)
    if aware_utc(start) < earliest:
        local = to_paris(earliest)
        raise InvalidRequestError(
            f"Des travaux programmés s'annoncent au moins {NOTICE_BUSINESS_DAYS} jours ouvrés à l'avance : "
            f"déclarés le {to_paris(aware_utc(declared_at)):%d/%m/%Y}, ils peuvent commencer au plus tôt le "
            f"{_DAYS_FR[local.weekday()]} {local:%d/%m/%Y} à 00:00 (heure de Paris).",
            chemin="debut",
            valeur=to_paris(aware_utc(start)).isoformat(),
        )


def check_period(start: datetime, end: datetime | None) -> None:
    """An end, when known, comes after the start."""
    if end is not None and aware_utc(end) <= aware_utc(start):
        raise InvalidRequestError("La fin doit suivre le début.", chemin="fin")
