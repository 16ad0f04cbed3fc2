"""The provider's after-sales staff (and the scenario robot): moving tickets along, commenting."""

from __future__ import annotations

from gateway.domain.clock import Clock
from gateway.domain.states import OPEN_STATES, Action, Actor
from gateway.errors import InvalidRequestError, UnknownTicketError
from gateway.store import Page, Store, TicketRecord

from ._events import record_sav_comment
from ._lifecycle import Lifecycle
from ._text import check_text
from ._tickets import SignalisationService
from ._views import TicketDetail

__all__ = ["SavService"]


class SavService:
    """Back-office use cases; every change is recorded with its author."""

    def __init__(self, store: Store, clock: Clock, lifecycle: Lifecycle, tickets: SignalisationService) -> None:
        self._store = store
        self._clock = clock
        self._lifecycle = lifecycle
        self._tickets = tickets

    def act(
        self, reference: str, action: Action, *, author: str, reason: str | None = None, code: str | None = None
    ) -> TicketRecord:
        """Apply a provider-side action (qualify, reject, start, freeze, resume, close, validate, archive)."""
        if not author:
            raise InvalidRequestError("L'auteur de l'action est obligatoire.", chemin="auteur")
        return self._lifecycle.transition(reference, action, Actor.SAV, author=author, reason=reason, code=code)

    def comment(self, reference: str, *, author: str, text: str) -> None:
        """Add an SAV comment, which the operator sees in the ticket's detail."""
        if not text.strip():
            raise InvalidRequestError("Le commentaire est vide.", chemin="commentaire")
        check_text(text, chemin="commentaire", label="Commentaire")
        check_text(author, chemin="auteur", label="Auteur")
        ticket = self._ticket(reference)
        with self._store.write() as tx:
            now = self._clock.now()
            tx.tickets.add_comment(ticket.id, side="FOURNISSEUR", author=author, at=now, text=text)
            record_sav_comment(tx, ticket, author=author, text=text, at=now)
            tx.audit.add(at=now, actor=author, action="signalisation.commentaire", target=reference)

    def detail(self, reference: str) -> TicketDetail:
        return self._tickets.detail_of(self._ticket(reference))

    def list_open(self, operator_code: str, page: int = 1, size: int = 100) -> Page[TicketRecord]:
        return self._store.open_tickets(
            operator_code,
            states=sorted(s.value for s in OPEN_STATES),
            prestation=None,
            deposited_from=None,
            deposited_to=None,
            page=page,
            size=size,
        )

    def run_automatic(self) -> list[tuple[str, Action]]:
        return self._lifecycle.run_automatic()

    def _ticket(self, reference: str) -> TicketRecord:
        ticket = self._store.get_ticket(reference)
        if ticket is None:
            raise UnknownTicketError(f"Signalisation {reference} inconnue.", valeur=reference)
        return ticket
