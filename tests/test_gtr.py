"""GTR deadlines: the three options, weekends, French public holidays, DST, and time spent frozen."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.domain.clock import PARIS
from gateway.domain.gtr import GtrOption, gtr_deadline, gtr_met

Freeze = tuple[datetime, datetime | None]


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("deposited_at", "expected"),
    [
        (utc(2026, 6, 10, 10), utc(2026, 6, 10, 14)),
        (paris(2026, 11, 14, 22), utc(2026, 11, 15, 1)),  # Saturday night: round the clock
        (paris(2026, 11, 11, 10), utc(2026, 11, 11, 13)),  # Armistice counts too
        (paris(2026, 3, 29, 0, 30), utc(2026, 3, 29, 3, 30)),  # spring DST: 05:30 CEST, not 04:30
        (paris(2026, 10, 25, 0, 30), utc(2026, 10, 25, 2, 30)),  # autumn DST: 03:30 CET, not 04:30
    ],
)
def test_gtr_4h_is_four_hours_round_the_clock(deposited_at: datetime, expected: datetime) -> None:
    """GTR_4H falls four elapsed hours after the deposit, whatever the day, hour or DST change."""
    assert gtr_deadline(GtrOption.GTR_4H, deposited_at) == expected


@pytest.mark.parametrize(
    ("deposited_at", "expected"),
    [
        (paris(2026, 6, 9, 9), utc(2026, 6, 10, 7)),  # Tue 09:00 → Wed 09:00 CEST
        (paris(2026, 6, 9, 6), utc(2026, 6, 9, 16)),  # before opening: Tue 18:00
        (paris(2026, 6, 9, 19), utc(2026, 6, 10, 16)),  # after closing: Wed 18:00
        (paris(2026, 6, 12, 14), utc(2026, 6, 15, 12)),  # Fri 14:00 → Mon 14:00
        (paris(2026, 6, 13, 11), utc(2026, 6, 15, 16)),  # Saturday → Mon 18:00
        (paris(2026, 11, 10, 15), utc(2026, 11, 12, 14)),  # over Armistice → Thu 15:00 CET
        (paris(2026, 12, 24, 16), utc(2026, 12, 28, 15)),  # over Christmas and a weekend
        (paris(2027, 3, 26, 16), utc(2027, 3, 30, 14)),  # Easter Monday and DST → Tue 16:00 CEST
        (paris(2027, 4, 30, 17), utc(2027, 5, 3, 15)),  # 1 May on a Saturday changes nothing
        (paris(2026, 3, 27, 14), utc(2026, 3, 30, 12)),  # spring DST → Mon 14:00 CEST
        (paris(2026, 10, 23, 14), utc(2026, 10, 26, 13)),  # autumn DST → Mon 14:00 CET
    ],
)
def test_gtr_10ho_counts_ten_business_hours(deposited_at: datetime, expected: datetime) -> None:
    """GTR_10HO falls after ten business hours, weekends and French public holidays excluded."""
    assert gtr_deadline(GtrOption.GTR_10HO, deposited_at) == expected


@pytest.mark.parametrize(
    ("deposited_at", "expected"),
    [
        (paris(2026, 6, 9, 10), utc(2026, 6, 10, 16)),  # Tue → Wed 18:00 CEST
        (paris(2026, 6, 9, 6), utc(2026, 6, 10, 16)),  # before opening: still Wednesday
        (paris(2026, 6, 9, 0, 30), utc(2026, 6, 10, 16)),  # Monday in UTC, Tuesday in Paris
        (paris(2026, 6, 9, 23, 30), utc(2026, 6, 10, 16)),
        (paris(2026, 6, 12, 10), utc(2026, 6, 15, 16)),  # Friday → Monday
        (paris(2026, 6, 13, 11), utc(2026, 6, 15, 16)),  # Saturday → Monday
        (paris(2026, 11, 10, 10), utc(2026, 11, 12, 17)),  # Armistice → Thu 18:00 CET
        (paris(2026, 11, 11, 10), utc(2026, 11, 12, 17)),  # deposited on Armistice
        (paris(2026, 12, 24, 11), utc(2026, 12, 28, 17)),  # Christmas Eve → Monday
        (paris(2027, 3, 26, 10), utc(2027, 3, 30, 16)),  # Easter Monday → Tuesday, CEST
        (paris(2027, 4, 30, 10), utc(2027, 5, 3, 16)),
        (paris(2026, 10, 23, 10), utc(2026, 10, 26, 17)),  # autumn DST → Mon 18:00 CET
    ],
)
def test_standard_ends_at_the_close_of_the_next_business_day(deposited_at: datetime, expected: datetime) -> None:
    """STANDARD falls at 18:00 Paris on the first business day after the deposit's Paris day."""
    assert gtr_deadline(GtrOption.STANDARD, deposited_at) == expected


@pytest.mark.parametrize(
    ("deposited_at", "frozen", "expected"),
    [
        pytest.param(
            utc(2026, 6, 10, 10),
            [(utc(2026, 6, 10, 11), utc(2026, 6, 10, 12, 30))],
            utc(2026, 6, 10, 15, 30),
            id="pushed-by-the-freeze",
        ),
        pytest.param(
            utc(2026, 6, 10, 10),
            [(utc(2026, 6, 10, 15), utc(2026, 6, 10, 16))],
            utc(2026, 6, 10, 14),
            id="freeze-after-the-deadline",
        ),
        pytest.param(
            utc(2026, 6, 10, 10),
            [(utc(2026, 6, 10, 14), utc(2026, 6, 10, 15))],
            utc(2026, 6, 10, 14),
            id="freeze-from-the-deadline-on",
        ),
        pytest.param(
            utc(2026, 6, 10, 10),
            [(utc(2026, 6, 10, 13), utc(2026, 6, 10, 20))],
            utc(2026, 6, 10, 21),
            id="freeze-straddling-the-deadline",
        ),
        pytest.param(
            utc(2026, 6, 10, 10),
            [
                (utc(2026, 6, 10, 11), utc(2026, 6, 10, 12)),
                (utc(2026, 6, 10, 11, 30), utc(2026, 6, 10, 12, 30)),
            ],
            utc(2026, 6, 10, 15, 30),
            id="overlapping-freezes-count-once",
        ),
        pytest.param(
            utc(2026, 6, 10, 10),
            [
                (utc(2026, 6, 10, 11), utc(2026, 6, 10, 14)),
                (utc(2026, 6, 10, 12), utc(2026, 6, 10, 13)),
            ],
            utc(2026, 6, 10, 17),
            id="freeze-within-a-freeze",
        ),
        pytest.param(
            utc(2026, 6, 10, 10),
            [(utc(2026, 6, 10, 12), utc(2026, 6, 10, 13)), (utc(2026, 6, 10, 10, 30), utc(2026, 6, 10, 11))],
            utc(2026, 6, 10, 15, 30),
            id="freezes-in-any-order",
        ),
        pytest.param(
            utc(2026, 6, 10, 10),
            [(utc(2026, 6, 10, 11), utc(2026, 6, 10, 12)), (utc(2026, 6, 10, 14, 30), utc(2026, 6, 10, 15))],
            utc(2026, 6, 10, 15, 30),
            id="second-freeze-before-the-pushed-deadline",
        ),
        pytest.param(
            utc(2026, 6, 10, 10),
            [(utc(2026, 6, 10, 11), utc(2026, 6, 10, 12)), (utc(2026, 6, 10, 15, 30), utc(2026, 6, 10, 16))],
            utc(2026, 6, 10, 15),
            id="second-freeze-after-the-pushed-deadline",
        ),
        pytest.param(
            utc(2026, 6, 12, 16),
            [(utc(2026, 6, 12, 17), utc(2026, 6, 15, 7))],
            utc(2026, 6, 15, 10),
            id="freeze-over-a-weekend",
        ),
    ],
)
def test_gtr_4h_skips_frozen_wall_clock_time(deposited_at: datetime, frozen: list[Freeze], expected: datetime) -> None:
    """GTR_4H is pushed back by the frozen time that falls before the (moving) deadline."""
    assert gtr_deadline(GtrOption.GTR_4H, deposited_at, frozen) == expected


@pytest.mark.parametrize(
    ("deposited_at", "frozen", "expected"),
    [
        pytest.param(
            paris(2026, 6, 11, 16),
            [(paris(2026, 6, 12, 10), paris(2026, 6, 15, 9))],
            utc(2026, 6, 15, 13),
            id="freeze-over-a-weekend",
        ),
        pytest.param(
            paris(2026, 6, 11, 16),
            [(paris(2026, 6, 12, 10), paris(2026, 6, 13, 12))],
            utc(2026, 6, 15, 12),
            id="freeze-ending-on-saturday",
        ),
        pytest.param(
            paris(2026, 11, 10, 15),
            [(paris(2026, 11, 11, 9), paris(2026, 11, 11, 17))],
            utc(2026, 11, 12, 14),
            id="freeze-on-a-holiday-changes-nothing",
        ),
        pytest.param(
            paris(2026, 6, 8, 8),
            [(paris(2026, 6, 8, 10), paris(2026, 6, 8, 12)), (paris(2026, 6, 8, 11), paris(2026, 6, 8, 13))],
            utc(2026, 6, 9, 9),
            id="overlapping-freezes-count-once",
        ),
        pytest.param(
            paris(2026, 6, 8, 8),
            [
                (paris(2026, 6, 8, 17), paris(2026, 6, 9, 9)),
                (paris(2026, 6, 9, 9, 30), paris(2026, 6, 9, 9, 45)),
            ],
            utc(2026, 6, 9, 8, 15),
            id="second-freeze-before-the-pushed-deadline",
        ),
        pytest.param(
            paris(2026, 6, 8, 8),
            [(paris(2026, 6, 8, 17), paris(2026, 6, 9, 9)), (paris(2026, 6, 9, 12), paris(2026, 6, 9, 13))],
            utc(2026, 6, 9, 8),
            id="second-freeze-after-the-pushed-deadline",
        ),
        pytest.param(
            paris(2026, 3, 27, 14),
            [(paris(2026, 3, 27, 16), paris(2026, 3, 30, 10))],
            utc(2026, 3, 30, 16),
            id="freeze-over-the-spring-dst-change",
        ),
    ],
)
def test_gtr_10ho_skips_frozen_business_hours(deposited_at: datetime, frozen: list[Freeze], expected: datetime) -> None:
    """GTR_10HO is pushed back by the business hours frozen before the (moving) deadline."""
    assert gtr_deadline(GtrOption.GTR_10HO, deposited_at, frozen) == expected


@pytest.mark.parametrize(
    ("deposited_at", "frozen", "expected"),
    [
        pytest.param(
            paris(2026, 6, 9, 10),
            [(paris(2026, 6, 10, 14), paris(2026, 6, 11, 9))],
            utc(2026, 6, 11, 11),
            id="freeze-overnight",
        ),
        pytest.param(
            paris(2026, 6, 12, 10),
            [(paris(2026, 6, 12, 12), paris(2026, 6, 15, 12))],
            utc(2026, 6, 16, 16),
            id="freeze-over-a-weekend",
        ),
        pytest.param(
            paris(2026, 11, 10, 10),
            [(paris(2026, 11, 10, 16), paris(2026, 11, 12, 8))],
            utc(2026, 11, 13, 9),
            id="freeze-over-armistice",
        ),
    ],
)
def test_standard_skips_frozen_business_hours(deposited_at: datetime, frozen: list[Freeze], expected: datetime) -> None:
    """STANDARD's business-hour budget (deposit to next business day's close) excludes frozen time."""
    assert gtr_deadline(GtrOption.STANDARD, deposited_at, frozen) == expected


@pytest.mark.parametrize(
    ("option", "deposited_at", "frozen_from", "now", "expected"),
    [
        (
            GtrOption.GTR_4H,
            utc(2026, 6, 10, 10),
            utc(2026, 6, 10, 11),
            utc(2026, 6, 10, 13),
            utc(2026, 6, 10, 16),
        ),
        (
            GtrOption.GTR_4H,
            utc(2026, 6, 10, 10),
            utc(2026, 6, 10, 15),
            utc(2026, 6, 10, 16),
            utc(2026, 6, 10, 14),
        ),
        (
            GtrOption.GTR_10HO,
            paris(2026, 6, 8, 8),
            paris(2026, 6, 8, 12),
            paris(2026, 6, 9, 10),
            utc(2026, 6, 9, 14),
        ),
        (
            GtrOption.STANDARD,
            paris(2026, 6, 9, 10),
            paris(2026, 6, 9, 11),
            paris(2026, 6, 10, 12),
            utc(2026, 6, 12, 7),
        ),
    ],
)
def test_an_open_freeze_counts_until_now(
    option: GtrOption, deposited_at: datetime, frozen_from: datetime, now: datetime, expected: datetime
) -> None:
    """A freeze still running pushes the deadline as if it ended now (unless it began after it)."""
    assert gtr_deadline(option, deposited_at, [(frozen_from, None)], now=now) == expected


def test_an_open_freeze_needs_now() -> None:
    """Computing a deadline with a freeze still running requires the current instant."""
    with pytest.raises(ValueError, match="now"):
        gtr_deadline(GtrOption.GTR_4H, utc(2026, 6, 10, 10), [(utc(2026, 6, 10, 11), None)])


def test_a_naive_deposit_time_is_refused() -> None:
    """A naive deposit time is refused rather than guessed as UTC or Paris time."""
    with pytest.raises(ValueError, match="aware"):
        gtr_deadline(GtrOption.GTR_4H, datetime(2026, 6, 10, 10))


@pytest.mark.parametrize(
    ("restored_at", "met"),
    [
        (utc(2026, 6, 10, 13, 59), True),
        (utc(2026, 6, 10, 14), True),  # exactly on the deadline
        (paris(2026, 6, 10, 16), True),  # the same instant in Paris time
        (utc(2026, 6, 10, 14, 0, 0, 1), False),
    ],
)
def test_gtr_met_when_restored_by_the_deadline(restored_at: datetime, met: bool) -> None:
    """The GTR is met when service is restored at or before the deadline, and not a microsecond later."""
    assert gtr_met(utc(2026, 6, 10, 14), restored_at) is met


def test_every_option_has_a_french_label() -> None:
    """Each GTR option has its own French label, and its value is its wire code."""
    labels = {option.libelle for option in GtrOption}
    assert len(labels) == len(GtrOption) and all(labels)
    assert [option.value for option in GtrOption] == ["GTR_4H", "GTR_10HO", "STANDARD"]
