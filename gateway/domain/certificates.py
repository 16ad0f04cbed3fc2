"""Certificate lifecycle rules (contract §8): the provider is reminded 15 business days before expiry."""

from __future__ import annotations

from datetime import date, datetime

from gateway.domain.calendar import add_business_days, business_days_between
from gateway.domain.clock import to_paris

__all__ = ["CERTIFICATE_REMINDER_BUSINESS_DAYS", "expires_within", "reminder_date"]

CERTIFICATE_REMINDER_BUSINESS_DAYS = 15


def expires_within(not_after: datetime, now: datetime, business_days: int = CERTIFICATE_REMINDER_BUSINESS_DAYS) -> bool:
    """Whether a certificate still valid at ``now`` expires within ``business_days`` business days:
    at most that many business days lie after today (Paris) up to and including its expiry day."""
    if not_after <= now:
        return False
    return business_days_between(to_paris(now).date(), to_paris(not_after).date()) <= business_days


def reminder_date(not_after: datetime, business_days: int = CERTIFICATE_REMINDER_BUSINESS_DAYS) -> date:
    """The Paris day the reminder is due: ``business_days`` business days before the expiry day."""
    return add_business_days(to_paris(not_after).date(), -business_days)
