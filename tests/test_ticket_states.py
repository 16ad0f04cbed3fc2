"""Ticket states: the transition table, who may act, the 72-hour refusal window, automatic actions."""

from __future__ import annotations

import itertools
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

import gateway.domain
from gateway.domain import calendar, clock, gtr, maintenance, states, xml_text
from gateway.domain.clock import PARIS
from gateway.domain.states import (
    CLOSED_STATES,
    CONFIRMATION_WINDOW,
    FREEZE_TIMEOUT,
    HISTORY_WINDOW,
    OPEN_STATES,
    Action,
    Actor,
    TicketState,
    TransitionRecord,
    apply,
    check_closure_refusal,
    due_automatic_action,
    next_state,
)
from gateway.errors import InvalidRequestError, TransitionForbiddenError

S = TicketState
A = Action

# contract §4, written out independently of RULES: (action, from) → to.
ALLOWED: dict[tuple[Action, TicketState], TicketState] = {
    (A.QUALIFIER, S.EN_DEPOT): S.EN_QUALIFICATION,
    (A.REJETER, S.EN_DEPOT): S.EN_REJET,
    (A.DEMARRER, S.EN_QUALIFICATION): S.EN_COURS,
    (A.GELER, S.EN_QUALIFICATION): S.GELE,
    (A.GELER, S.EN_COURS): S.GELE,
    (A.REPRENDRE, S.GELE): S.EN_COURS,
    (A.CLORE, S.EN_COURS): S.CLOS,
    (A.CLORE, S.GELE): S.CLOS,
    (A.VALIDER, S.CLOS): S.VALIDE,
    (A.ARCHIVER, S.CLOS): S.CLOS_TABLEAU_DE_BORD,
    (A.ARCHIVER, S.VALIDE): S.CLOS_TABLEAU_DE_BORD,
    (A.ANNULER, S.EN_DEPOT): S.CLOS,
    (A.ANNULER, S.EN_QUALIFICATION): S.CLOS,
    (A.ANNULER, S.EN_COURS): S.CLOS,
    (A.ANNULER, S.GELE): S.CLOS,
    (A.REFUSER_CLOTURE, S.CLOS): S.EN_COURS,
    (A.EXPIRER_GEL, S.GELE): S.CLOS,
}

WHO: dict[Action, set[Actor]] = {
    A.QUALIFIER: {Actor.SAV},
    A.REJETER: {Actor.SAV},
    A.DEMARRER: {Actor.SAV},
    A.GELER: {Actor.SAV},
    A.REPRENDRE: {Actor.SAV, Actor.OPERATEUR, Actor.SYSTEME},
    A.CLORE: {Actor.SAV},
    A.VALIDER: {Actor.SAV, Actor.SYSTEME},
    A.ARCHIVER: {Actor.SAV, Actor.SYSTEME},
    A.ANNULER: {Actor.OPERATEUR},
    A.REFUSER_CLOTURE: {Actor.OPERATEUR},
    A.EXPIRER_GEL: {Actor.SYSTEME},
}


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def paris(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=PARIS)


def a_source(action: Action) -> TicketState:
    return next(state for (act, state) in ALLOWED if act is action)


@pytest.mark.parametrize(("action", "state"), list(itertools.product(Action, TicketState)))
def test_transition_matrix(action: Action, state: TicketState) -> None:
    """Every (action, state) pair is allowed exactly when contract §4 allows it, to the state it names."""
    actor = sorted(WHO[action])[0]
    if (action, state) in ALLOWED:
        assert next_state(action, state, actor) is ALLOWED[action, state]
    else:
        with pytest.raises(TransitionForbiddenError) as caught:
            next_state(action, state, actor)
        assert caught.value.code == "TRANSITION_INTERDITE"
        assert caught.value.valeur == state.value


@pytest.mark.parametrize(("action", "actor"), list(itertools.product(Action, Actor)))
def test_only_entitled_actors_may_act(action: Action, actor: Actor) -> None:
    """Each action is open to its actors only; a refusal names who may take it."""
    state = a_source(action)
    if actor in WHO[action]:
        assert next_state(action, state, actor) is ALLOWED[action, state]
    else:
        with pytest.raises(TransitionForbiddenError) as caught:
            next_state(action, state, actor)
        assert "réservée" in caught.value.libelle
        assert all(allowed.libelle in caught.value.libelle for allowed in WHO[action])


def test_forbidden_transition_message_names_action_and_state() -> None:
    """A forbidden transition's French message names the action and the current state."""
    with pytest.raises(TransitionForbiddenError) as caught:
        next_state(A.QUALIFIER, S.EN_COURS, Actor.SAV)
    message = caught.value.libelle
    assert "QUALIFIER" in message and "EN_COURS" in message and "En cours de traitement" in message
    assert "EN_DEPOT" in message  # where it would have been possible
    assert "réservée" not in message  # the actor was entitled


def test_wrong_state_and_wrong_actor_are_both_reported() -> None:
    """When both the state and the actor are wrong, the message says both."""
    with pytest.raises(TransitionForbiddenError) as caught:
        next_state(A.REFUSER_CLOTURE, S.EN_COURS, Actor.SAV)
    assert "CLOS" in caught.value.libelle and "réservée à : l'opérateur" in caught.value.libelle


def test_closed_and_open_states() -> None:
    """The history's closed states are CLOS, VALIDE, CLOS_TABLEAU_DE_BORD and EN_REJET; the rest are open."""
    assert {S.CLOS, S.VALIDE, S.CLOS_TABLEAU_DE_BORD, S.EN_REJET} == CLOSED_STATES
    assert {S.EN_DEPOT, S.EN_QUALIFICATION, S.EN_COURS, S.GELE} == OPEN_STATES


def test_enum_values_are_their_wire_codes() -> None:
    """States, actions and actors have values equal to their names, the spec's wire codes."""
    for member in [*TicketState, *Action, *Actor]:
        assert member.value == member.name


def test_every_state_action_and_actor_has_its_own_french_label() -> None:
    """Each state, action and actor has a distinct, non-empty French label."""
    assert S.EN_COURS.libelle == "En cours de traitement"
    for enum in (TicketState, Action, Actor):
        labels = [member.libelle for member in enum]
        assert all(labels) and len(set(labels)) == len(labels)


def test_time_windows() -> None:
    """The refusal window is 72 hours, a freeze expires after 30 days, the history spans 90 days."""
    windows = (CONFIRMATION_WINDOW, FREEZE_TIMEOUT, HISTORY_WINDOW)
    assert windows == (timedelta(hours=72), timedelta(days=30), timedelta(days=90))


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (utc(2026, 11, 10, 9), True),
        (utc(2026, 11, 13, 8, 59, 59), True),
        (utc(2026, 11, 13, 9), True),  # exactly 72 hours: still allowed
        (utc(2026, 11, 13, 9, 0, 0, 1), False),
        (utc(2026, 11, 20, 9), False),
    ],
)
def test_closure_refusal_window_edges(now: datetime, allowed: bool) -> None:
    """The operator may refuse a closure up to exactly 72 hours after it, and not a microsecond later."""
    closed_at = utc(2026, 11, 10, 9)
    if allowed:
        check_closure_refusal(closed_at, now)
    else:
        with pytest.raises(TransitionForbiddenError, match="72 heures"):
            check_closure_refusal(closed_at, now)


def test_closure_refusal_message_gives_the_end_in_paris_time() -> None:
    """A late refusal says when the window ended, in Paris time (here across the autumn DST change)."""
    with pytest.raises(TransitionForbiddenError) as caught:
        check_closure_refusal(utc(2026, 10, 23, 12), utc(2026, 10, 27, 12))
    assert "26/10/2026 à 13:00" in caught.value.libelle
    assert caught.value.code == "TRANSITION_INTERDITE"


@pytest.mark.parametrize(
    ("state", "entered_at", "now", "expected"),
    [
        (S.CLOS, utc(2026, 11, 10, 9), utc(2026, 11, 11, 9), None),
        (S.CLOS, utc(2026, 11, 10, 9), utc(2026, 11, 13, 9), None),  # refusal still possible
        (S.CLOS, utc(2026, 11, 10, 9), utc(2026, 11, 13, 9, 0, 1), A.VALIDER),
        (S.GELE, utc(2026, 6, 1, 8), utc(2026, 7, 1, 8), None),  # exactly 30 days
        (S.GELE, utc(2026, 6, 1, 8), utc(2026, 7, 1, 8, 0, 1), A.EXPIRER_GEL),
        (S.GELE, utc(2026, 6, 1, 8), utc(2026, 9, 9, 8), A.EXPIRER_GEL),
        # 30 calendar days on the Paris clock: 10:00 CET → 10:00 CEST, one hour less in UTC.
        (S.GELE, paris(2026, 3, 10, 10), utc(2026, 4, 9, 8), None),
        (S.GELE, paris(2026, 3, 10, 10), utc(2026, 4, 9, 8, 0, 1), A.EXPIRER_GEL),
        # and 10:00 CEST → 10:00 CET, one hour more.
        (S.GELE, paris(2026, 10, 10, 10), utc(2026, 11, 9, 8, 30), None),
        (S.GELE, paris(2026, 10, 10, 10), utc(2026, 11, 9, 9, 0, 1), A.EXPIRER_GEL),
        (S.EN_COURS, utc(2026, 1, 1), utc(2026, 12, 1), None),
        (S.EN_QUALIFICATION, utc(2026, 1, 1), utc(2026, 12, 1), None),
        (S.VALIDE, utc(2026, 1, 1), utc(2026, 12, 1), None),  # archiving is not automatic
    ],
)
def test_due_automatic_action(state: TicketState, entered_at: datetime, now: datetime, expected: Action | None) -> None:
    """A CLOS ticket is validated after 72 hours, a GELE one expires after 30 calendar days; nothing else."""
    assert due_automatic_action(state, entered_at, now) is expected


def test_apply_records_the_transition() -> None:
    """A successful transition records action, states, actor, author, UTC time, reason and code."""
    record = apply(
        A.GELER,
        S.EN_COURS,
        Actor.SAV,
        author="jdupont",
        at=paris(2026, 6, 9, 10),
        reason="Accès au site impossible",
        code="ATTENTE_ACCES",
    )
    assert record == TransitionRecord(
        action=A.GELER,
        from_state=S.EN_COURS,
        to_state=S.GELE,
        actor=Actor.SAV,
        author="jdupont",
        at=utc(2026, 6, 9, 8),
        reason="Accès au site impossible",
        code="ATTENTE_ACCES",
    )
    assert record.at.tzinfo is UTC


@pytest.mark.parametrize(
    ("action", "state", "actor", "code", "reason", "chemin"),
    [
        (A.REJETER, S.EN_DEPOT, Actor.SAV, None, "hors périmètre", "codeRejet"),
        (A.GELER, S.EN_QUALIFICATION, Actor.SAV, None, None, "codeGel"),
        (A.CLORE, S.EN_COURS, Actor.SAV, None, None, "codeCloture"),
        (A.CLORE, S.GELE, Actor.SAV, "  ", None, "codeCloture"),
        (A.REFUSER_CLOTURE, S.CLOS, Actor.OPERATEUR, None, None, "motif"),
        (A.REFUSER_CLOTURE, S.CLOS, Actor.OPERATEUR, None, "", "motif"),
        (A.ANNULER, S.EN_COURS, Actor.OPERATEUR, "AUTRE", None, "codeCloture"),  # the code is imposed
        (A.QUALIFIER, S.EN_DEPOT, Actor.SAV, "X", None, "code"),  # takes no code
    ],
)
def test_apply_refuses_a_missing_or_unexpected_code_or_motif(
    action: Action, state: TicketState, actor: Actor, code: str | None, reason: str | None, chemin: str
) -> None:
    """A missing rejection, freeze or closure code or motif, or a code that does not belong, is refused."""
    with pytest.raises(InvalidRequestError) as caught:
        apply(action, state, actor, author="x", at=utc(2026, 6, 9, 8), reason=reason, code=code)
    assert caught.value.chemin == chemin
    assert caught.value.code == "REQUETE_INVALIDE"


@pytest.mark.parametrize(
    ("action", "state", "actor", "code"),
    [
        (A.ANNULER, S.EN_QUALIFICATION, Actor.OPERATEUR, "ANNULATION_OPERATEUR"),
        (A.EXPIRER_GEL, S.GELE, Actor.SYSTEME, "DELAI_REPONSE_EXPIRE"),
    ],
)
def test_apply_fills_the_imposed_closure_code(action: Action, state: TicketState, actor: Actor, code: str) -> None:
    """Cancellation and freeze expiry close the ticket with their own closure code."""
    record = apply(action, state, actor, author="x", at=utc(2026, 6, 9, 8))
    assert (record.to_state, record.code) == (S.CLOS, code)


def test_apply_accepts_a_closure_refusal_with_a_motif() -> None:
    """A closure refusal with a motif sends the ticket back to EN_COURS."""
    record = apply(
        A.REFUSER_CLOTURE,
        S.CLOS,
        Actor.OPERATEUR,
        author="OPE001",
        at=utc(2026, 6, 9, 8),
        reason="Toujours en panne",
    )
    assert (record.to_state, record.reason, record.code) == (S.EN_COURS, "Toujours en panne", None)


def test_apply_checks_the_transition_before_its_fields() -> None:
    """A forbidden transition is reported as such even when its code is also missing."""
    with pytest.raises(TransitionForbiddenError):
        apply(A.REJETER, S.EN_COURS, Actor.SAV, author="x", at=utc(2026, 6, 9, 8))


def test_apply_needs_an_aware_time_and_an_author() -> None:
    """A transition without an author or with a naive time is a programming error."""
    with pytest.raises(ValueError, match="aware"):
        apply(A.QUALIFIER, S.EN_DEPOT, Actor.SAV, author="x", at=datetime(2026, 6, 9, 8))
    with pytest.raises(ValueError, match="author"):
        apply(A.QUALIFIER, S.EN_DEPOT, Actor.SAV, author=" ", at=utc(2026, 6, 9, 8))


def test_domain_package_exports_every_public_name() -> None:
    """gateway.domain re-exports every public name of its modules."""
    public = {name for module in (calendar, clock, gtr, maintenance, states, xml_text) for name in module.__all__}
    assert public == set(gateway.domain.__all__)


def test_domain_imports_no_framework() -> None:
    """Importing the domain loads neither spyne, Twisted nor sqlite3."""
    code = "import sys, gateway.domain; print(sorted({'spyne', 'twisted', 'sqlite3'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
