"""Pure slot rules (gateway.domain.appointments): which slots exist, their ids, the nightly closure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.domain.appointments import (
    Slot,
    check_search_open,
    parse_slot_id,
    search_period,
    slots_between,
    zone_of_commune,
)
from gateway.domain.clock import PARIS
from gateway.errors import InvalidRequestError, SlotsUnavailableError


def test_four_slots_a_day_monday_to_saturday_none_on_sunday():
    """A week from Monday 16/11/2026 has 4 slots on each of its six working days and none on Sunday."""
    slots = slots_between(
        "75", "SAV", datetime(2026, 11, 16, 0, 0, tzinfo=PARIS), datetime(2026, 11, 23, 0, 0, tzinfo=PARIS)
    )
    by_day: dict[date, list[str]] = {}
    for slot in slots:
        by_day.setdefault(slot.day, []).append(f"{slot.start_time:%H:%M}")
    assert sorted(by_day) == [date(2026, 11, d) for d in range(16, 22)]
    assert all(hours == ["08:00", "10:00", "13:00", "15:00"] for hours in by_day.values())


def test_no_slot_on_a_public_holiday():
    """Armistice day (Wednesday 11/11/2026) has no slot; the days around it do."""
    slots = slots_between(
        "75", "SAV", datetime(2026, 11, 10, 0, 0, tzinfo=PARIS), datetime(2026, 11, 13, 0, 0, tzinfo=PARIS)
    )
    assert {s.day for s in slots} == {date(2026, 11, 10), date(2026, 11, 12)}


def test_slot_hours_are_paris_local_in_winter_and_summer():
    """The 08–10 slot starts at 07:00 UTC in winter and 06:00 UTC in summer, and lasts two hours."""
    winter = Slot(date(2026, 1, 15), datetime(2026, 1, 15, 8).time(), "75", "SAV")
    summer = Slot(date(2026, 7, 15), datetime(2026, 7, 15, 8).time(), "75", "SAV")
    assert (winter.start.hour, summer.start.hour) == (7, 6)
    assert winter.start.tzinfo == UTC
    assert winter.end - winter.start == summer.end - summer.start == timedelta(hours=2)


def test_slot_id_round_trips_and_names_zone_type_day_and_hour():
    """A slot's id parses back to the same slot."""
    slot = slots_between("2A", "SAV_PLUS", datetime(2026, 11, 19, tzinfo=PARIS), datetime(2026, 11, 20, tzinfo=PARIS))[
        2
    ]
    assert slot.id == "2A-SAV_PLUS-20261119-1300"
    assert parse_slot_id(slot.id) == slot


@pytest.mark.parametrize(
    ("slot_id", "why"),
    [
        ("75-SAV-20261122-0800", "dimanche"),  # a Sunday
        ("75-SAV-20261111-0800", "fériés"),  # a public holiday
        ("75-SAV-20261119-0900", "08:00"),  # not a slot's start
        ("75-VISITE-20261119-0800", "type"),
        ("75-SAV-20261131-0800", "impossible"),
        ("n'importe quoi", "format"),
    ],
)
def test_slot_ids_naming_no_slot_are_refused(slot_id, why):
    """An id for a Sunday, a holiday, a wrong hour or type, or malformed is REQUETE_INVALIDE, saying why."""
    with pytest.raises(InvalidRequestError) as caught:
        parse_slot_id(slot_id)
    assert why in caught.value.libelle and caught.value.chemin == "idCreneau"


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 1, 14, 1, 30, tzinfo=PARIS),  # winter time (UTC+1)
        datetime(2026, 7, 15, 1, 30, tzinfo=PARIS),  # summer time (UTC+2)
        datetime(2026, 3, 29, 3, 30, tzinfo=PARIS),  # the night the clocks go forward
    ],
)
def test_search_is_closed_between_one_and_four_paris_time(instant):
    """From 01:00 to 04:00 Paris time, search raises CRENEAUX_INDISPONIBLES with the seconds to wait."""
    with pytest.raises(SlotsUnavailableError) as caught:
        check_search_open(instant)
    reopening = datetime.combine(instant.date(), datetime(2000, 1, 1, 4).time(), tzinfo=PARIS)
    assert caught.value.reessayer_dans == int((reopening - instant).total_seconds())


@pytest.mark.parametrize("hour_minute", [(0, 59), (4, 0), (12, 0)])
def test_search_is_open_outside_the_closure(hour_minute):
    """Just before 01:00, from 04:00 on and at noon, search is open."""
    check_search_open(datetime(2026, 7, 15, *hour_minute, tzinfo=PARIS))


def test_search_period_reaches_at_most_fourteen_days_ahead():
    """The default period is the next 14 days; one ending later is refused; a past start becomes now."""
    now = datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
    assert search_period(None, None, now) == (now.astimezone(UTC), (now + timedelta(days=14)).astimezone(UTC))
    assert search_period(now - timedelta(days=3), None, now)[0] == now.astimezone(UTC)
    with pytest.raises(InvalidRequestError) as caught:
        search_period(now, now + timedelta(days=15), now)
    assert "14 jours" in caught.value.libelle


@pytest.mark.parametrize(("commune", "zone"), [("75111", "75"), ("69386", "69"), ("2A004", "2A"), ("97411", "974")])
def test_zone_is_the_departement_of_the_insee_code(commune, zone):
    """The zone of a commune is its département (three digits overseas)."""
    assert zone_of_commune(commune) == zone


def test_malformed_insee_code_is_refused():
    """A commune code that is not five INSEE characters is REQUETE_INVALIDE."""
    with pytest.raises(InvalidRequestError):
        zone_of_commune("7511")
