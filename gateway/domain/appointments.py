"""Appointment slots (contract §5): which two-hour slots exist, how they are named, when search is open.

A slot is a two-hour window (08–10, 10–12, 13–15, 15–17 Paris time) of one zone (a département,
derived from the prestation's INSEE commune code) for one intervention type (``SAV``, ``SAV_PLUS``,
``EXPERTISE``), Monday to Saturday, never on a French public holiday. Its id names all of that
(``75-SAV-20261119-0800``), so a slot needs no table: capacity and bookings are counted per id.

Slot search is closed every night from 01:00 to 04:00 Paris time (``CRENEAUX_INDISPONIBLES``) and
looks at most 14 days ahead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gateway.domain.calendar import aware_utc, is_public_holiday
from gateway.domain.clock import PARIS, to_paris
from gateway.errors import InvalidRequestError, SlotsUnavailableError

__all__ = [
    "INTERVENTION_TYPES",
    "MAX_SEARCH_AHEAD",
    "SEARCH_CLOSED_FROM",
    "SEARCH_CLOSED_UNTIL",
    "SLOT_LENGTH",
    "SLOT_STARTS",
    "Slot",
    "check_search_open",
    "is_slot_day",
    "parse_slot_id",
    "search_period",
    "search_reopens_at",
    "slots_between",
    "zone_of_commune",
]

INTERVENTION_TYPES = ("SAV", "SAV_PLUS", "EXPERTISE")
SLOT_STARTS = (time(8, 0), time(10, 0), time(13, 0), time(15, 0))
SLOT_LENGTH = timedelta(hours=2)
MAX_SEARCH_AHEAD = timedelta(days=14)
SEARCH_CLOSED_FROM = time(1, 0)
SEARCH_CLOSED_UNTIL = time(4, 0)

_SLOT_ID = re.compile(r"^(?P<zone>[0-9]{2}|2A|2B|97[1-6])-(?P<type>[A-Z_]+)-(?P<day>[0-9]{8})-(?P<hhmm>[0-9]{4})$")
_COMMUNE = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{3}$")


@dataclass(frozen=True, order=True)
class Slot:
    """One two-hour slot of one zone and intervention type."""

    day: date
    start_time: time
    zone: str
    intervention_type: str

    @property
    def id(self) -> str:
        return f"{self.zone}-{self.intervention_type}-{self.day:%Y%m%d}-{self.start_time:%H%M}"

    @property
    def start(self) -> datetime:
        """The slot's start as an aware UTC instant (the Paris offset of that very day)."""
        return datetime.combine(self.day, self.start_time, tzinfo=PARIS).astimezone(UTC)

    @property
    def end(self) -> datetime:
        # Two hours of wall-clock time: no slot spans the 02:00–03:00 changes of offset.
        return (datetime.combine(self.day, self.start_time, tzinfo=PARIS) + SLOT_LENGTH).astimezone(UTC)


def zone_of_commune(code_commune: str) -> str:
    """The zone (département) of an INSEE commune code: ``75111`` → ``75``, ``2A004`` → ``2A``,
    ``97411`` → ``974``."""
    code = (code_commune or "").strip().upper()
    if not _COMMUNE.match(code):
        raise InvalidRequestError(
            f"Code commune INSEE « {code_commune} » invalide : 5 caractères (2A/2B pour la Corse).",
            chemin="codeCommune",
            valeur=code_commune,
        )
    return code[:3] if code.startswith("97") else code[:2]


def is_slot_day(day: date) -> bool:
    """Technicians work Monday to Saturday, never on a French public holiday."""
    return day.weekday() < 6 and not is_public_holiday(day)


def slots_between(zone: str, intervention_type: str, start: datetime, end: datetime) -> list[Slot]:
    """Every slot of ``zone`` and ``intervention_type`` lying entirely within ``[start, end]``, in order."""
    return list(_iter_slots(zone, intervention_type, aware_utc(start), aware_utc(end)))


def _iter_slots(zone: str, intervention_type: str, start: datetime, end: datetime) -> Iterator[Slot]:
    day = to_paris(start).date()
    last = to_paris(end).date()
    while day <= last:
        if is_slot_day(day):
            for start_time in SLOT_STARTS:
                slot = Slot(day, start_time, zone, intervention_type)
                if slot.start >= start and slot.end <= end:
                    yield slot
        day += timedelta(days=1)


def parse_slot_id(slot_id: str) -> Slot:
    """The slot an id names; InvalidRequestError if the id is malformed or names no slot that exists
    (a Sunday, a public holiday, an hour that is not a slot's start)."""
    match = _SLOT_ID.match(slot_id or "")
    problem = None
    slot = None
    if match is None:
        problem = "format attendu ZONE-TYPE-AAAAMMJJ-HHMM, par exemple 75-SAV-20261119-0800"
    else:
        try:
            day = datetime.strptime(match["day"], "%Y%m%d").date()
            start_time = datetime.strptime(match["hhmm"], "%H%M").time()
        except ValueError:
            problem = "date ou heure impossible"
        else:
            if match["type"] not in INTERVENTION_TYPES:
                problem = f"type d'intervention inconnu (attendu {', '.join(INTERVENTION_TYPES)})"
            elif start_time not in SLOT_STARTS:
                problem = "les créneaux commencent à 08:00, 10:00, 13:00 ou 15:00"
            elif not is_slot_day(day):
                problem = "pas de créneau le dimanche ni les jours fériés"
            else:
                slot = Slot(day, start_time, match["zone"], match["type"])
    if slot is None:
        raise InvalidRequestError(f"Créneau « {slot_id} » inconnu : {problem}.", chemin="idCreneau", valeur=slot_id)
    return slot


def search_reopens_at(now: datetime) -> datetime | None:
    """When slot search reopens if it is closed at ``now`` (01:00–04:00 Paris time), else None."""
    local = to_paris(aware_utc(now))
    if SEARCH_CLOSED_FROM <= local.time() < SEARCH_CLOSED_UNTIL:
        return datetime.combine(local.date(), SEARCH_CLOSED_UNTIL, tzinfo=PARIS).astimezone(UTC)
    return None


def check_search_open(now: datetime) -> None:
    """Raise SlotsUnavailableError (with the seconds to wait) during the nightly closure."""
    reopens = search_reopens_at(now)
    if reopens is not None:
        wait = max(1, int((reopens - aware_utc(now)).total_seconds()))
        raise SlotsUnavailableError(
            "La recherche de créneaux est fermée chaque nuit de 01:00 à 04:00 (heure de Paris) ; "
            f"elle rouvre à {to_paris(reopens):%H:%M}.",
            reessayer_dans=wait,
        )


def search_period(start: datetime | None, end: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The period actually searched: from ``start`` (not before now) to ``end`` (default and maximum:
    14 days ahead). A period ending more than 14 days ahead, or ending before it starts, is refused."""
    now = aware_utc(now)
    horizon = now + MAX_SEARCH_AHEAD
    begin = max(aware_utc(start), now) if start is not None else now
    finish = aware_utc(end) if end is not None else horizon
    if finish > horizon:
        raise InvalidRequestError(
            "La recherche porte au plus sur les 14 jours à venir : la période doit finir avant le "
            f"{to_paris(horizon):%d/%m/%Y %H:%M} (heure de Paris).",
            chemin="dateFin",
            valeur=to_paris(finish).isoformat(),
        )
    if finish <= begin:
        raise InvalidRequestError("La période de recherche est vide ou déjà passée.", chemin="dateFin")
    return begin, finish
