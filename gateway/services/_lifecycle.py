"""Moving a ticket from one state to another: the one place every door's transitions go through."""

from __future__ import annotations

from datetime import datetime

from gateway.catalogue import Catalogue
from gateway.domain.clock import Clock
from gateway.domain.states import (
    CLOSED_STATES,
    CONFIRMATION_WINDOW,
    FREEZE_TIMEOUT,
    Action,
    Actor,
    TicketState,
    apply,
    due_automatic_action,
)
from gateway.errors import InvalidRequestError, TransitionForbiddenError, UnknownTicketError, quote
from gateway.store import Store, TicketRecord

from ._events import record_state_change
from ._text import check_text

__all__ = ["CODE_LISTS", "Lifecycle"]

# Which code list a transition's code must come from.
CODE_LISTS = {
    Action.REJETER: "MOTIFS_REJET",
    Action.GELER: "MOTIFS_GEL",
    Action.CLORE: "CODES_CLOTURE",
}


class Lifecycle:
    """Applies the domain's state machine to stored tickets, one durable transaction per change."""

    def __init__(self, store: Store, catalogue: Catalogue, clock: Clock) -> None:
        self._store = store
        self._catalogue = catalogue
        self._clock = clock

    def transition(
        self,
        reference: str,
        action: Action,
        actor: Actor,
        *,
        author: str,
        reason: str | None = None,
        code: str | None = None,
        at: datetime | None = None,
    ) -> TicketRecord:
        """Apply ``action`` to the ticket and record it; returns the ticket as it now is."""
        # Every door's transitions come here: what the event feed and the detail will carry is checked once.
        check_text(reason, chemin="motif", label="Motif")
        check_text(author, chemin="auteur", label="Auteur")
        list_code = CODE_LISTS.get(action)
        if list_code and code is not None and not self._catalogue.has_value(list_code, code):
            raise InvalidRequestError(
                f"Le code « {quote(code)} » n'est pas dans la nomenclature {list_code}.", chemin="code", valeur=code
            )
        at = at or self._clock.now()
        with self._store.write() as tx:
            # Read inside the write transaction: the state we check is the state we change.
            ticket = tx.tickets.get(reference)
            if ticket is None:
                raise UnknownTicketError(f"Signalisation {quote(reference)} inconnue.", valeur=reference)
            record = apply(action, TicketState(ticket.state), actor, author=author, at=at, reason=reason, code=code)
            changes: dict[str, object] = {"state": record.to_state.value, "state_at": at}
            if record.to_state in CLOSED_STATES and TicketState(ticket.state) not in CLOSED_STATES:
                changes["closed_at"] = at
            if record.to_state not in CLOSED_STATES:
                changes["closed_at"] = None
            if action is Action.REJETER:
                changes["rejection_code"] = record.code
            elif action is Action.GELER:
                changes["freeze_code"] = record.code
            elif record.to_state is TicketState.CLOS and record.code:
                changes["closure_code"] = record.code
            elif action is Action.REFUSER_CLOTURE:
                changes["closure_code"] = None
            tx.tickets.update(ticket.id, **changes)
            tx.tickets.add_transition(
                ticket.id,
                action=action.value,
                from_state=record.from_state.value,
                to_state=record.to_state.value,
                actor=actor.value,
                author=author,
                at=at,
                reason=reason,
                code=record.code,
            )
            # The operator's event feed (outbox): committed with the transition or not at all.
            record_state_change(
                tx, ticket, from_state=record.from_state.value, to_state=record.to_state.value,
                action=action.value, at=at, code=record.code, reason=reason,
            )  # fmt: skip
            if actor is Actor.SAV:  # a provider action: audited with the transition, same transaction
                tx.audit.add(
                    at=at, actor=author, action=f"signalisation.{action.value.lower()}", target=reference,
                    details={"de": record.from_state.value, "vers": record.to_state.value, "code": record.code,
                             "motif": reason},
                )  # fmt: skip
        updated = self._store.get_ticket(reference)
        assert updated is not None
        return updated

    def run_automatic(self, now: datetime | None = None) -> list[tuple[str, Action]]:
        """Apply the automatic transitions that are due (§4): CLOS → VALIDE, GELE expiry."""
        now = now or self._clock.now()
        done: list[tuple[str, Action]] = []
        candidates = [
            *self._store.tickets_in_state_since(TicketState.CLOS.value, now - CONFIRMATION_WINDOW),
            *self._store.tickets_in_state_since(TicketState.GELE.value, now - FREEZE_TIMEOUT),
        ]
        for ticket in candidates:
            action = due_automatic_action(TicketState(ticket.state), ticket.state_at, now)
            if action is None:
                continue
            # Recorded at the instant the rule fell due, not when the sweep happened to run.
            due_at = ticket.state_at + (CONFIRMATION_WINDOW if action is Action.VALIDER else FREEZE_TIMEOUT)
            try:
                self.transition(ticket.reference, action, Actor.SYSTEME, author="SYSTEME", at=min(due_at, now))
            except TransitionForbiddenError:
                continue  # moved meanwhile (closure refused, ticket resumed): nothing is due any more
            done.append((ticket.reference, action))
        return done
