"""Pure business rules: ticket states and transitions, the GTR clock, the French business calendar.

Imports no framework (no spyne, Twisted or SQLite): the standard library and ``holidays`` only.
"""

from gateway.domain.calendar import (
    BUSINESS_CLOSE,
    BUSINESS_OPEN,
    add_business_days,
    add_business_seconds,
    aware_utc,
    business_days_between,
    business_seconds_between,
    is_business_day,
    is_public_holiday,
)
from gateway.domain.clock import PARIS, Clock, FixedClock, SystemClock, to_paris
from gateway.domain.gtr import GtrOption, gtr_deadline, gtr_met
from gateway.domain.states import (
    CLOSED_STATES,
    CONFIRMATION_WINDOW,
    FREEZE_TIMEOUT,
    HISTORY_WINDOW,
    OPEN_STATES,
    RULES,
    Action,
    ActionRule,
    Actor,
    TicketState,
    TransitionRecord,
    apply,
    check_closure_refusal,
    closure_refusal_deadline,
    due_automatic_action,
    freeze_expiry,
    next_state,
)

__all__ = [
    "BUSINESS_CLOSE",
    "BUSINESS_OPEN",
    "CLOSED_STATES",
    "CONFIRMATION_WINDOW",
    "FREEZE_TIMEOUT",
    "HISTORY_WINDOW",
    "OPEN_STATES",
    "PARIS",
    "RULES",
    "Action",
    "ActionRule",
    "Actor",
    "Clock",
    "FixedClock",
    "GtrOption",
    "SystemClock",
    "TicketState",
    "TransitionRecord",
    "add_business_days",
    "add_business_seconds",
    "apply",
    "aware_utc",
    "business_days_between",
    "business_seconds_between",
    "check_closure_refusal",
    "closure_refusal_deadline",
    "due_automatic_action",
    "freeze_expiry",
    "gtr_deadline",
    "gtr_met",
    "is_business_day",
    "is_public_holiday",
    "next_state",
    "to_paris",
]
