"""Notice periods of announced changes: the earliest allowed date per kind, enforced when publishing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from support import suite_now

from gateway.cli import main
from gateway.domain.clock import PARIS, FixedClock, to_paris
from gateway.domain.notices import NoticeKind, check_notice, earliest_start
from gateway.errors import InvalidRequestError
from gateway.services import Gateway

WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("kind", "announced", "earliest"),
    [
        (NoticeKind.MAINTENANCE_PORTAIL, WEDNESDAY, datetime(2026, 11, 19, 10, 0, tzinfo=PARIS)),
        (NoticeKind.INTERRUPTION_ESAV, WEDNESDAY, datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)),
        (NoticeKind.CHANGEMENT_ACCES_PORTAIL, WEDNESDAY, datetime(2026, 12, 9, 10, 0, tzinfo=PARIS)),
        (NoticeKind.CHANGEMENT_ACCES_ESAV, WEDNESDAY, datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)),
        (NoticeKind.EVOLUTION_MINEURE, WEDNESDAY, datetime(2027, 1, 18, 10, 0, tzinfo=PARIS)),
        (NoticeKind.EVOLUTION_MAJEURE, WEDNESDAY, datetime(2027, 5, 18, 10, 0, tzinfo=PARIS)),
        (NoticeKind.CHANGEMENT_CONDITIONS, WEDNESDAY, datetime(2026, 12, 18, 10, 0, tzinfo=PARIS)),
        # Six months after 31 August: the last day of February.
        (
            NoticeKind.EVOLUTION_MAJEURE,
            datetime(2026, 8, 31, 9, 30, tzinfo=PARIS),
            datetime(2027, 2, 28, 9, 30, tzinfo=PARIS),
        ),
        # Christmas (Friday 25/12) is not a business day.
        (
            NoticeKind.INTERRUPTION_ESAV,
            datetime(2026, 12, 23, 10, 0, tzinfo=PARIS),
            datetime(2026, 12, 28, 10, 0, tzinfo=PARIS),
        ),
        # Across the change to summer time the Paris wall-clock time is kept.
        (
            NoticeKind.CHANGEMENT_CONDITIONS,
            datetime(2026, 3, 10, 10, 0, tzinfo=PARIS),
            datetime(2026, 4, 10, 10, 0, tzinfo=PARIS),
        ),
    ],
)
def test_earliest_start_per_kind(kind, announced, earliest):
    """Each kind of change owes its notice: hours, business days, calendar days or months."""
    assert earliest_start(kind, announced) == earliest


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_the_earliest_date_itself_is_allowed_and_a_minute_before_is_refused(kind):
    """The bound is inclusive; one minute short is refused with the earliest allowed date."""
    earliest = earliest_start(kind, WEDNESDAY)
    check_notice(kind, WEDNESDAY, earliest)
    with pytest.raises(InvalidRequestError, match="date la plus proche autorisée : le") as refused:
        check_notice(kind, WEDNESDAY, earliest - timedelta(minutes=1))
    assert refused.value.valeur == earliest.astimezone(PARIS).isoformat(timespec="minutes")


def test_publishing_an_announcement_with_too_short_a_notice_is_refused(tmp_path):
    """The portal service refuses a portal maintenance announced 23 hours ahead, accepts it 24 hours ahead."""
    gateway = Gateway.open(tmp_path / "esav.db", clock=FixedClock(WEDNESDAY))
    try:
        with pytest.raises(InvalidRequestError, match="le 19/11/2026 à 10:00"):
            gateway.portal.publish_news(
                "MAINTENANCE_PORTAIL", "Maintenance", "Coupure.", starts_at=WEDNESDAY + timedelta(hours=23),
                ends_at=WEDNESDAY + timedelta(hours=24),
            )  # fmt: skip
        with pytest.raises(InvalidRequestError, match="doit donner sa date d'effet"):
            gateway.portal.publish_news("EVOLUTION_MAJEURE", "Nouvelle signature", "SOAP 1.2.")
        gateway.portal.publish_news(
            "MAINTENANCE_PORTAIL", "Maintenance", "Coupure.", starts_at=WEDNESDAY + timedelta(hours=24),
            ends_at=WEDNESDAY + timedelta(hours=25),
        )  # fmt: skip
        assert [n.title for n in gateway.store.news(WEDNESDAY)] == ["Maintenance"]
    finally:
        gateway.close()


def test_the_cli_shows_the_earliest_allowed_date_on_refusal(tmp_path, capsys):
    """``esav portail publier`` exits non-zero on a too-short notice and prints the earliest date."""
    tomorrow = (to_paris(suite_now()) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert main(["pki", "initialiser", "--donnees", str(tmp_path)]) == 0  # the instance: commands need its database
    args = ["portail", "publier", "--donnees", str(tmp_path), "--type", "EVOLUTION_MAJEURE"]
    status = main([*args, "--titre", "SOAP 1.2", "--texte", "Nouvelle signature.", "--date", tomorrow])
    assert status != 0
    assert "Préavis insuffisant" in capsys.readouterr().err
    later = (to_paris(suite_now()) + timedelta(days=200)).strftime("%Y-%m-%dT%H:%M")
    assert main([*args, "--titre", "SOAP 1.2", "--texte", "Nouvelle signature.", "--date", later]) == 0
    assert "Publiée : actualité 1" in capsys.readouterr().out
