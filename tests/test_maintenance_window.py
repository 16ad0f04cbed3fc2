"""The nightly maintenance window and declared interruptions, as pure rules."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from gateway.domain.clock import PARIS
from gateway.domain.maintenance import Downtime, NightlyWindow, current_downtime, earliest_interruption_start

WINDOW = NightlyWindow()


@pytest.mark.parametrize(
    "utc, inside",
    [
        # winter (UTC+1): 04:00 Paris is 03:00 UTC
        (datetime(2026, 12, 15, 2, 59, 59, tzinfo=UTC), False),
        (datetime(2026, 12, 15, 3, 0, tzinfo=UTC), True),
        (datetime(2026, 12, 15, 3, 2, tzinfo=UTC), True),
        (datetime(2026, 12, 15, 3, 14, 59, tzinfo=UTC), True),
        (datetime(2026, 12, 15, 3, 15, tzinfo=UTC), False),
        (datetime(2026, 12, 15, 3, 20, tzinfo=UTC), False),
        # summer (UTC+2): 04:00 Paris is 02:00 UTC
        (datetime(2026, 7, 15, 2, 2, tzinfo=UTC), True),
        (datetime(2026, 7, 15, 3, 2, tzinfo=UTC), False),
        (datetime(2026, 7, 15, 2, 20, tzinfo=UTC), False),
    ],
)
def test_window_is_four_oclock_paris_in_winter_and_summer(utc, inside):
    """The window covers 04:00–04:15 Paris wall-clock time whatever the UTC offset."""
    assert (WINDOW.containing(utc) is not None) is inside


def test_window_on_dst_change_nights():
    """On both 2026 DST nights the window still starts at 04:00 Paris (after the 02:00/03:00 jump)."""
    spring = WINDOW.occurrence_on(datetime(2026, 3, 29).date())
    autumn = WINDOW.occurrence_on(datetime(2026, 10, 25).date())
    assert spring.start == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)
    assert autumn.start == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)


def test_remaining_seconds_tell_when_service_resumes():
    """At 04:02 Paris, service resumes in 13 minutes."""
    window = WINDOW.containing(datetime(2026, 12, 15, 4, 2, tzinfo=PARIS))
    assert window is not None
    assert window.remaining_seconds(datetime(2026, 12, 15, 4, 2, tzinfo=PARIS)) == 13 * 60


def test_configured_window_elsewhere():
    """A window configured at 02:30 for 30 minutes covers 02:45 and not 03:05."""
    custom = NightlyWindow(time(2, 30), timedelta(minutes=30))
    assert custom.containing(datetime(2026, 12, 15, 2, 45, tzinfo=PARIS)) is not None
    assert custom.containing(datetime(2026, 12, 15, 3, 5, tzinfo=PARIS)) is None


def test_window_crossing_midnight_is_found_from_the_next_day():
    """A window starting 23:50 for 20 minutes still holds at 00:05 the next day."""
    late = NightlyWindow(time(23, 50), timedelta(minutes=20))
    assert late.containing(datetime(2026, 12, 16, 0, 5, tzinfo=PARIS)) is not None


def test_declared_interruption_and_overlap_take_the_later_end():
    """A declared interruption overlapping the nightly window extends the downtime to its own end."""
    declared = Downtime(
        datetime(2026, 12, 15, 3, 10, tzinfo=UTC), datetime(2026, 12, 15, 5, 0, tzinfo=UTC), "migration"
    )
    now = datetime(2026, 12, 15, 3, 12, tzinfo=UTC)
    assert current_downtime(now, WINDOW, [declared]) == declared
    assert current_downtime(datetime(2026, 12, 15, 6, 0, tzinfo=UTC), WINDOW, [declared]) is None
    assert current_downtime(now, None, []) is None


def test_interruption_notice_is_two_business_days():
    """The two business days of notice skip the weekend and 11 November, at the same wall-clock time."""
    declared = datetime(2026, 11, 6, 15, 0, tzinfo=PARIS)  # Friday; Wednesday 11/11 is a public holiday
    assert earliest_interruption_start(declared) == datetime(2026, 11, 10, 15, 0, tzinfo=PARIS)
    declared = datetime(2026, 11, 9, 15, 0, tzinfo=PARIS)  # Monday; Tue 10, (Wed 11 holiday), Thu 12
    assert earliest_interruption_start(declared) == datetime(2026, 11, 12, 15, 0, tzinfo=PARIS)
