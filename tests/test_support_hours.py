"""e-soutien handling hours: e-SAV Monday to Saturday, the portal Monday to Friday, 08:00–18:00 Paris, no holidays."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gateway.domain.clock import PARIS
from gateway.domain.support_hours import SupportTopic, handling_seconds_between, is_handling_day, response_deadline

ESAV, PORTAIL = SupportTopic.ESAV, SupportTopic.PORTAIL


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("topic", "day", "handled"),
    [
        (ESAV, date(2026, 11, 21), True),  # a Saturday
        (PORTAIL, date(2026, 11, 21), False),
        (ESAV, date(2026, 11, 22), False),  # a Sunday
        (ESAV, date(2026, 11, 11), False),  # Armistice, a Wednesday
        (PORTAIL, date(2026, 11, 18), True),
    ],
)
def test_handling_days_follow_each_topics_week(topic, day, handled):
    """Saturday counts for e-SAV only; Sundays and public holidays for neither."""
    assert is_handling_day(topic, day) is handled


@pytest.mark.parametrize(
    ("topic", "received", "deadline"),
    [
        (PORTAIL, paris(2026, 11, 18, 10, 0), paris(2026, 11, 18, 14, 0)),  # within the day
        (PORTAIL, paris(2026, 11, 18, 16, 0), paris(2026, 11, 19, 10, 0)),  # runs over to the next morning
        (ESAV, paris(2026, 11, 20, 17, 0), paris(2026, 11, 21, 11, 0)),  # Friday evening: Saturday morning
        (PORTAIL, paris(2026, 11, 20, 17, 0), paris(2026, 11, 23, 11, 0)),  # Friday evening: Monday morning
        (ESAV, paris(2026, 11, 21, 20, 0), paris(2026, 11, 23, 12, 0)),  # Saturday night: Monday noon
        (ESAV, paris(2026, 11, 10, 19, 0), paris(2026, 11, 12, 12, 0)),  # over Armistice day
        (PORTAIL, paris(2026, 3, 27, 16, 0), paris(2026, 3, 30, 10, 0)),  # across the change to summer time
    ],
)
def test_the_response_deadline_counts_four_handling_hours(topic, received, deadline):
    """Four hours of the topic's handling hours after receipt, from the next opening when outside them."""
    assert response_deadline(topic, received) == deadline


def test_handling_seconds_between_skip_closed_hours():
    """Friday 17:00 to Monday 09:00: two hours for the portal, twelve for e-SAV (Saturday counts)."""
    start, end = paris(2026, 11, 20, 17, 0), paris(2026, 11, 23, 9, 0)
    assert handling_seconds_between(PORTAIL, start, end) == 2 * 3600
    assert handling_seconds_between(ESAV, start, end) == 12 * 3600
    assert handling_seconds_between(ESAV, end, start) == 0


def test_each_topic_says_its_hours_in_french():
    """The labels the pages show name the days of each topic."""
    assert "du lundi au samedi" in ESAV.hours and "du lundi au vendredi" in PORTAIL.hours
