"""A ticket's life: its states, the actions that move it, who may act, and the two automatic rules.

The table in ``RULES`` is the whole state machine of contract §4: anything it does not allow is
``TRANSITION_INTERDITE``. Every transition yields a ``TransitionRecord`` (time, author, reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from gateway.domain.calendar import aware_utc
from gateway.domain.clock import PARIS, to_paris
from gateway.errors import InvalidRequestError, TransitionForbiddenError

__all__ = [
    "CLOSED_STATES",
    "CONFIRMATION_WINDOW",
    "FREEZE_TIMEOUT",
    "HISTORY_WINDOW",
    "OPEN_STATES",
    "RULES",
    "Action",
    "ActionRule",
    "Actor",
    "TicketState",
    "TransitionRecord",
    "apply",
    "check_closure_refusal",
    "closure_refusal_deadline",
    "due_automatic_action",
    "freeze_expiry",
    "next_state",
]


class TicketState(StrEnum):
    """The states of contract §4; values are the wire codes."""

    EN_DEPOT = "EN_DEPOT"
    EN_QUALIFICATION = "EN_QUALIFICATION"
    EN_COURS = "EN_COURS"
    GELE = "GELE"
    CLOS = "CLOS"
    VALIDE = "VALIDE"
    CLOS_TABLEAU_DE_BORD = "CLOS_TABLEAU_DE_BORD"
    EN_REJET = "EN_REJET"

    @property
    def libelle(self) -> str:
        """The French label shown to operators (``libelleEtat``)."""
        return _STATE_LABELS[self]


_STATE_LABELS: Mapping[TicketState, str] = {
    TicketState.EN_DEPOT: "En dépôt, recevabilité en cours d'étude",
    TicketState.EN_QUALIFICATION: "En qualification, en attente d'un technicien",
    TicketState.EN_COURS: "En cours de traitement",
    TicketState.GELE: "Gelée, en attente d'une action de l'opérateur",
    TicketState.CLOS: "Close",
    TicketState.VALIDE: "Validée, avis de clôture envoyé",
    TicketState.CLOS_TABLEAU_DE_BORD: "Close au tableau de bord, non modifiable",
    TicketState.EN_REJET: "Rejetée, non recevable",
}

# What the history (consulterHistorique) returns; the search returns the others.
CLOSED_STATES: frozenset[TicketState] = frozenset(
    {TicketState.CLOS, TicketState.VALIDE, TicketState.CLOS_TABLEAU_DE_BORD, TicketState.EN_REJET}
)
OPEN_STATES: frozenset[TicketState] = frozenset(TicketState) - CLOSED_STATES


class Actor(StrEnum):
    """Who acts on a ticket."""

    OPERATEUR = "OPERATEUR"  # the operator, over web services or the web pages
    SAV = "SAV"  # the provider's after-sales staff (CLI, pages) and the scenario robot
    SYSTEME = "SYSTEME"  # automatic transitions

    @property
    def libelle(self) -> str:
        """The French name of the actor, for messages."""
        return _ACTOR_LABELS[self]


_ACTOR_LABELS: Mapping[Actor, str] = {
    Actor.OPERATEUR: "l'opérateur",
    Actor.SAV: "le SAV du fournisseur",
    Actor.SYSTEME: "le système",
}


class Action(StrEnum):
    """What can be done to a ticket; ``RULES`` says from where, to where, and by whom."""

    QUALIFIER = "QUALIFIER"
    REJETER = "REJETER"
    DEMARRER = "DEMARRER"
    GELER = "GELER"
    REPRENDRE = "REPRENDRE"
    CLORE = "CLORE"
    VALIDER = "VALIDER"
    ARCHIVER = "ARCHIVER"
    ANNULER = "ANNULER"
    REFUSER_CLOTURE = "REFUSER_CLOTURE"
    EXPIRER_GEL = "EXPIRER_GEL"

    @property
    def libelle(self) -> str:
        """The French name of the action, for messages and history."""
        return _ACTION_LABELS[self]


_ACTION_LABELS: Mapping[Action, str] = {
    Action.QUALIFIER: "qualification",
    Action.REJETER: "rejet",
    Action.DEMARRER: "démarrage du traitement",
    Action.GELER: "gel",
    Action.REPRENDRE: "reprise",
    Action.CLORE: "clôture",
    Action.VALIDER: "validation de la clôture",
    Action.ARCHIVER: "clôture au tableau de bord",
    Action.ANNULER: "annulation par l'opérateur",
    Action.REFUSER_CLOTURE: "refus de clôture",
    Action.EXPIRER_GEL: "expiration du gel",
}


@dataclass(frozen=True)
class ActionRule:
    """Where an action may start, where it leads, who may take it, and what it needs.

    ``needs_reason``: the action cannot be taken without a code (``code_field`` names which:
    rejection, freeze or closure code) or, when ``code_field`` is None, without a free-text motif.
    ``fixed_closure_code``: the closure code the action always sets.
    """

    sources: frozenset[TicketState]
    target: TicketState
    actors: frozenset[Actor]
    needs_reason: bool
    fixed_closure_code: str | None
    code_field: str | None = None


def _rule(
    sources: set[TicketState],
    target: TicketState,
    actors: set[Actor],
    *,
    needs_reason: bool = False,
    fixed_closure_code: str | None = None,
    code_field: str | None = None,
) -> ActionRule:
    return ActionRule(frozenset(sources), target, frozenset(actors), needs_reason, fixed_closure_code, code_field)


_S = TicketState
_A = Actor

RULES: Mapping[Action, ActionRule] = MappingProxyType(
    {
        Action.QUALIFIER: _rule({_S.EN_DEPOT}, _S.EN_QUALIFICATION, {_A.SAV}),
        Action.REJETER: _rule({_S.EN_DEPOT}, _S.EN_REJET, {_A.SAV}, needs_reason=True, code_field="codeRejet"),
        Action.DEMARRER: _rule({_S.EN_QUALIFICATION}, _S.EN_COURS, {_A.SAV}),
        Action.GELER: _rule(
            {_S.EN_QUALIFICATION, _S.EN_COURS}, _S.GELE, {_A.SAV}, needs_reason=True, code_field="codeGel"
        ),
        # The operator resumes a frozen ticket by completing it or booking an appointment.
        Action.REPRENDRE: _rule({_S.GELE}, _S.EN_COURS, {_A.SAV, _A.OPERATEUR, _A.SYSTEME}),
        Action.CLORE: _rule({_S.EN_COURS, _S.GELE}, _S.CLOS, {_A.SAV}, needs_reason=True, code_field="codeCloture"),
        Action.VALIDER: _rule({_S.CLOS}, _S.VALIDE, {_A.SAV, _A.SYSTEME}),
        Action.ARCHIVER: _rule({_S.CLOS, _S.VALIDE}, _S.CLOS_TABLEAU_DE_BORD, {_A.SAV, _A.SYSTEME}),
        Action.ANNULER: _rule(
            {_S.EN_DEPOT, _S.EN_QUALIFICATION, _S.EN_COURS, _S.GELE},
            _S.CLOS,
            {_A.OPERATEUR},
            fixed_closure_code="ANNULATION_OPERATEUR",
        ),
        Action.REFUSER_CLOTURE: _rule({_S.CLOS}, _S.EN_COURS, {_A.OPERATEUR}, needs_reason=True),
        Action.EXPIRER_GEL: _rule({_S.GELE}, _S.CLOS, {_A.SYSTEME}, fixed_closure_code="DELAI_REPONSE_EXPIRE"),
    }
)

CONFIRMATION_WINDOW = timedelta(hours=72)
FREEZE_TIMEOUT = timedelta(days=30)
HISTORY_WINDOW = timedelta(days=90)


def next_state(action: Action, current: TicketState, actor: Actor) -> TicketState:
    """The state ``action`` leads to from ``current``; ``TransitionForbiddenError`` if not allowed."""
    rule = RULES[action]
    problems: list[str] = []
    if current not in rule.sources:
        allowed = ", ".join(s.value for s in TicketState if s in rule.sources)
        problems.append(f"elle n'est possible que depuis : {allowed}")
    if actor not in rule.actors:
        who = ", ".join(_ACTOR_LABELS[a] for a in Actor if a in rule.actors)
        problems.append(f"elle est réservée à : {who} (demandée par {actor.libelle})")
    if problems:
        raise TransitionForbiddenError(
            f"Action {action.value} ({action.libelle}) interdite sur une signalisation à l'état "
            f"{current.value} ({current.libelle}) : {' ; '.join(problems)}",
            valeur=current.value,
        )
    return rule.target


def closure_refusal_deadline(closed_at: datetime) -> datetime:
    """The last UTC instant at which the operator may still refuse a closure made at ``closed_at``."""
    return aware_utc(closed_at) + CONFIRMATION_WINDOW


def check_closure_refusal(closed_at: datetime, now: datetime) -> None:
    """Refuse (``TransitionForbiddenError``) a closure refusal made after the 72-hour window."""
    deadline = closure_refusal_deadline(closed_at)
    if aware_utc(now) > deadline:
        ended = to_paris(deadline)
        raise TransitionForbiddenError(
            "Le délai de 72 heures pour refuser la clôture est dépassé : il a pris fin le "
            f"{ended:%d/%m/%Y à %H:%M} (heure de Paris)",
            valeur=ended.isoformat(),
        )


def freeze_expiry(entered_at: datetime) -> datetime:
    """The UTC instant after which a ticket frozen at ``entered_at`` expires: 30 calendar days later.

    Calendar days are counted on the Paris wall clock, so across a DST change the span is 30 days
    plus or minus one hour.
    """
    # Aware arithmetic in one zone is wall-clock arithmetic; the offset is re-derived afterwards.
    return aware_utc(aware_utc(entered_at).astimezone(PARIS) + FREEZE_TIMEOUT)


def due_automatic_action(state: TicketState, entered_at: datetime, now: datetime) -> Action | None:
    """The action the system must take now on a ticket in ``state`` since ``entered_at``, if any.

    A ``CLOS`` ticket becomes due for validation once the refusal window has passed (strictly more
    than 72 hours), a ``GELE`` one for expiry strictly after 30 calendar days.
    """
    if state is TicketState.CLOS and aware_utc(now) > closure_refusal_deadline(entered_at):
        return Action.VALIDER
    if state is TicketState.GELE and aware_utc(now) > freeze_expiry(entered_at):
        return Action.EXPIRER_GEL
    return None


@dataclass(frozen=True)
class TransitionRecord:
    """One transition as recorded in a ticket's history; ``code`` is the rejection, freeze or
    closure code, ``reason`` the free-text motif or comment."""

    action: Action
    from_state: TicketState
    to_state: TicketState
    actor: Actor
    author: str
    at: datetime
    reason: str | None = None
    code: str | None = None


def apply(
    action: Action,
    current: TicketState,
    actor: Actor,
    *,
    author: str,
    at: datetime,
    reason: str | None = None,
    code: str | None = None,
) -> TransitionRecord:
    """Check that ``actor`` may take ``action`` on a ticket in ``current`` and record the transition.

    Raises ``TransitionForbiddenError`` for a transition the rules forbid, and
    ``InvalidRequestError`` (``chemin`` naming the field) for a missing or unexpected code or motif.
    """
    if not author.strip():
        raise ValueError("a transition needs an author")
    target = next_state(action, current, actor)
    rule = RULES[action]
    if rule.fixed_closure_code is not None:
        if code is not None and code != rule.fixed_closure_code:
            raise InvalidRequestError(
                f"L'action {action.value} impose le code de clôture {rule.fixed_closure_code}",
                chemin="codeCloture",
                valeur=code,
            )
        code = rule.fixed_closure_code
    elif rule.code_field is None and code is not None:
        raise InvalidRequestError(f"L'action {action.value} ne prend pas de code", chemin="code", valeur=code)
    if rule.needs_reason:
        field, value = (rule.code_field, code) if rule.code_field else ("motif", reason)
        if value is None or not value.strip():
            raise InvalidRequestError(
                f"L'action {action.value} ({action.libelle}) exige le champ {field}", chemin=field
            )
    return TransitionRecord(
        action=action,
        from_state=current,
        to_state=target,
        actor=actor,
        author=author,
        at=aware_utc(at),
        reason=reason,
        code=code,
    )
