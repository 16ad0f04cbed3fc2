"""Pure rules of planned works and incidents (gateway.domain.network_events): notice and statuses."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.domain.clock import PARIS
from gateway.domain.network_events import EventStatus, check_notice, check_status_change, earliest_planned_start
from gateway.errors import InvalidRequestError, TransitionForbiddenError

S = EventStatus


@pytest.mark.parametrize(
    ("declared", "earliest"),
    [
        (datetime(2026, 11, 18, 10, 0, tzinfo=PARIS), datetime(2026, 11, 20, 0, 0, tzinfo=PARIS)),  # Wed → Fri
        (datetime(2026, 11, 20, 23, 0, tzinfo=PARIS), datetime(2026, 11, 24, 0, 0, tzinfo=PARIS)),  # Fri → Tue
        (datetime(2026, 11, 9, 9, 0, tzinfo=PARIS), datetime(2026, 11, 12, 0, 0, tzinfo=PARIS)),  # over 11/11
    ],
)
def test_planned_works_start_two_business_days_after_declaration(declared, earliest):
    """The earliest start is 00:00 Paris of the second business day after the declaration's day."""
    assert earliest_planned_start(declared) == earliest
    check_notice(declared, earliest)


def test_short_notice_is_refused_with_the_earliest_allowed_start():
    """Planned works declared Wednesday to start Thursday are refused, naming Friday 20/11/2026 00:00."""
    declared = datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
    with pytest.raises(InvalidRequestError) as caught:
        check_notice(declared, datetime(2026, 11, 19, 23, 59, tzinfo=PARIS))
    assert "vendredi 20/11/2026 à 00:00" in caught.value.libelle
    assert "2 jours ouvrés" in caught.value.libelle


@pytest.mark.parametrize(
    ("current", "new"),
    [
        (S.NOUVEAU, S.REPLANIFIE),
        (S.NOUVEAU, S.MIS_A_JOUR),
        (S.REPLANIFIE, S.MIS_A_JOUR),
        (S.MIS_A_JOUR, S.MIS_A_JOUR),
        (S.MIS_A_JOUR, S.CLOS),
        (S.NOUVEAU, S.ANNULE),
    ],
)
def test_allowed_status_changes(current, new):
    """NOUVEAU moves to updates and re-plannings, which may repeat, then to CLOS or ANNULE."""
    check_status_change(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [(S.MIS_A_JOUR, S.NOUVEAU), (S.NOUVEAU, S.NOUVEAU), (S.CLOS, S.MIS_A_JOUR), (S.ANNULE, S.CLOS)],
)
def test_never_back_to_nouveau_and_nothing_after_an_end(current, new):
    """Going back to NOUVEAU, or leaving CLOS or ANNULE, is TRANSITION_INTERDITE."""
    with pytest.raises(TransitionForbiddenError):
        check_status_change(current, new)
