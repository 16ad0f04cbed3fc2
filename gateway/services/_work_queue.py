"""The provider's after-sales work queue: every operator's tickets by GTR deadline, and acting on them.

Used by the staff's pages (/fournisseur/sav) and ``esav sav liste|show``. Actions go through the same
``SavService``/``Lifecycle`` as the command line (same rules, codes, reasons and audit rows); the pages
add an optimistic check: the form carries the id of the last transition the agent saw, compared with
the ticket's inside the write transaction, so that a second agent acting on a ticket that moved
meanwhile is told so and overwrites nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from gateway.catalogue import Catalogue
from gateway.domain.calendar import aware_utc, business_seconds_between
from gateway.domain.clock import Clock
from gateway.domain.gtr import GtrOption, gtr_deadline
from gateway.domain.states import CLOSED_STATES, OPEN_STATES, RULES, Action, Actor, TicketState
from gateway.errors import InvalidRequestError, TicketChangedError, UnknownTicketError
from gateway.store import LineTestRecord, QueueFilter, Store, TicketRecord

from ._declared_form import DeclaredField, declared_form
from ._lifecycle import CODE_LISTS, Lifecycle
from ._sav import SavService
from ._text import check_text
from ._tickets import ATTACHMENT_TYPES, GRAVITES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, SignalisationService
from ._views import TicketDetail

__all__ = ["DUE_SOON", "QueueItem", "QueuePage", "QueueQuery", "SavTicket", "WorkQueueService"]

#: A ticket whose GTR deadline falls within this much business time is flagged "due soon".
DUE_SOON = timedelta(hours=2)
MAX_QUEUE_PAGE = 100
#: The actions an agent takes on a ticket, in the order the pages offer them.
SAV_ACTIONS = (
    Action.QUALIFIER,
    Action.REJETER,
    Action.DEMARRER,
    Action.GELER,
    Action.REPRENDRE,
    Action.CLORE,
    Action.VALIDER,
    Action.ARCHIVER,
)


@dataclass(frozen=True)
class QueueQuery:
    """The queue's filters (empty: any); no state means the open states."""

    states: tuple[str, ...] = ()
    operator_code: str | None = None
    code_offre: str | None = None
    gravite: str | None = None
    deposited_from: datetime | None = None
    deposited_to: datetime | None = None
    search: str | None = None
    page: int = 1
    size: int = 50


@dataclass(frozen=True)
class QueueItem:
    ticket: TicketRecord
    deadline: datetime
    overdue: bool  # open and past its GTR deadline
    due_soon: bool  # open, not overdue, deadline within two business hours

    @property
    def state_libelle(self) -> str:
        return TicketState(self.ticket.state).libelle


@dataclass(frozen=True)
class QueuePage:
    items: list[QueueItem]
    total: int
    number: int
    size: int
    counts: dict[str, int]  # per state, under every filter but the state

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass(frozen=True)
class SavTicket:
    """Everything the agent's ticket page shows."""

    detail: TicketDetail
    declared: list[DeclaredField]
    last_transition_id: int
    frozen_for: timedelta  # time spent in GELE so far (does not count towards the GTR)
    line_tests: list[LineTestRecord]
    actions: list[Action]  # what an agent may do in the ticket's state
    overdue: bool
    due_soon: bool
    gravite_libelle: str
    codes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # code list → (code, label)


class WorkQueueService:
    """The after-sales agent's view of every operator's tickets."""

    def __init__(
        self,
        store: Store,
        catalogue: Catalogue,
        clock: Clock,
        lifecycle: Lifecycle,
        tickets: SignalisationService,
        sav: SavService,
    ) -> None:
        self._store = store
        self._catalogue = catalogue
        self._clock = clock
        self._lifecycle = lifecycle
        self._tickets = tickets
        self._sav = sav

    # Reading ------------------------------------------------------------------------------------

    def queue(self, query: QueueQuery) -> QueuePage:
        """Tickets across operators matching the filters, soonest GTR deadline first, one page."""
        where = self._filter(query)
        if query.page < 1:
            raise InvalidRequestError("Le numéro de page commence à 1.", chemin="page", valeur=str(query.page))
        if not 1 <= query.size <= MAX_QUEUE_PAGE:
            raise InvalidRequestError(
                f"La taille de page va de 1 à {MAX_QUEUE_PAGE}.", chemin="taille", valeur=str(query.size)
            )
        now = self._clock.now()
        found = self._store.queue_tickets(where)
        moves = self._store.freeze_moves(t.id for t in found)
        items = [self._item(t, moves.get(t.id, []), now) for t in found]
        items.sort(key=lambda i: (i.deadline, i.ticket.id))
        start = (query.page - 1) * query.size
        return QueuePage(
            items=items[start : start + query.size],
            total=len(items),
            number=query.page,
            size=query.size,
            counts=self._store.queue_state_counts(where),
        )

    def ticket(self, reference: str) -> SavTicket:
        """The agent's page of one ticket (any operator's)."""
        ticket = self._ticket(reference)
        detail = self._tickets.detail_of(ticket)
        now = self._clock.now()
        moves = [(r.from_state, r.to_state, r.at) for r in detail.transitions if "GELE" in (r.from_state, r.to_state)]
        item = self._item(ticket, moves, now)
        state = TicketState(ticket.state)
        actions = [a for a in SAV_ACTIONS if state in RULES[a].sources and Actor.SAV in RULES[a].actors]
        codes = {
            list_code: [(v.code, v.libelle) for v in self._catalogue.nomenclature(list_code).values_for_offer(
                ticket.code_offre)]
            for list_code in sorted(set(CODE_LISTS.values()))
        }  # fmt: skip
        return SavTicket(
            detail=detail,
            declared=declared_form(self._catalogue, ticket),
            last_transition_id=detail.transitions[-1].id if detail.transitions else 0,
            frozen_for=sum((end - begin for begin, end in _freezes(moves, now) if end), timedelta()),
            line_tests=self._store.line_tests_of_prestation(ticket.prestation),
            actions=actions,
            overdue=item.overdue,
            due_soon=item.due_soon,
            gravite_libelle=self.gravite_libelle(ticket.gravite),
            codes=codes,
        )

    def declared(self, ticket: TicketRecord) -> list[DeclaredField]:
        """A ticket's declared form in words (for a ticket the caller has already been allowed to read)."""
        return declared_form(self._catalogue, ticket)

    def gravite_libelle(self, gravite: str) -> str:
        return self._catalogue.nomenclature("GRAVITES").libelle_of(gravite) or gravite

    # Acting -------------------------------------------------------------------------------------

    def act(
        self,
        reference: str,
        action: Action,
        *,
        author: str,
        seen: int | None,
        reason: str | None = None,
        code: str | None = None,
    ) -> TicketRecord:
        """Apply an agent's action, refused (``TicketChangedError``) if the ticket moved since ``seen``.

        ``seen`` is the id of the last transition the agent's page showed; None skips the check (the CLI).
        """
        if action not in SAV_ACTIONS:
            raise InvalidRequestError(f"Action « {action} » inconnue.", chemin="action", valeur=str(action))
        self._ticket(reference)
        with self._store.write() as tx:
            # Read inside the write transaction (the ticket locked): the check and the change are one.
            current = tx.tickets.get(reference)
            assert current is not None  # a ticket is never deleted
            last = tx.tickets.last_transition_id(current.id)
            if seen is not None and last != seen:
                raise TicketChangedError(
                    f"La signalisation {reference} a changé depuis que vous l'avez ouverte (elle est maintenant "
                    f"« {TicketState(current.state).libelle} ») : rien n'a été modifié. Rechargez la page, "
                    "relisez-la et recommencez si besoin.",
                    chemin="vu",
                    valeur=str(last),
                )
            return self._sav.act(reference, action, author=author, reason=reason, code=code)

    def comment(self, reference: str, *, author: str, text: str) -> None:
        """An SAV comment, visible to the operator (the CLI's ``sav comment``)."""
        self._sav.comment(reference, author=author, text=text)

    def attach(self, reference: str, *, author: str, name: str, mime_type: str, content: bytes) -> int:
        """Attach a provider's file to the ticket (same types and sizes as the operator's); audited."""
        ticket = self._ticket(reference)
        name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            raise InvalidRequestError("Choisissez un fichier.", chemin="fichier")
        check_text(name, chemin="fichier", label="Nom du fichier")
        if mime_type not in ATTACHMENT_TYPES:
            raise InvalidRequestError(
                f"Type « {mime_type} » refusé pour {name} : acceptés PDF, PNG, JPEG, texte et CSV.",
                chemin="fichier",
                valeur=mime_type,
            )
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise InvalidRequestError(f"La pièce jointe {name} dépasse 5 Mo.", chemin="fichier", valeur=name)
        now = self._clock.now()
        digest = hashlib.sha256(content).hexdigest()
        with self._store.write() as tx:
            current = tx.tickets.get(ticket.reference)  # the state and the files checked are the ones added to
            assert current is not None  # a ticket is never deleted
            if TicketState(current.state) is TicketState.CLOS_TABLEAU_DE_BORD:
                raise InvalidRequestError(
                    f"La signalisation {reference} est close au tableau de bord : plus rien ne s'y ajoute.",
                    chemin="fichier",
                )
            if tx.tickets.count_attachments(ticket.id) >= MAX_ATTACHMENTS:
                raise InvalidRequestError(
                    f"Au plus {MAX_ATTACHMENTS} pièces jointes par signalisation.", chemin="fichier"
                )
            attachment_id = tx.tickets.add_attachment(
                ticket.id, side="FOURNISSEUR", name=name, mime_type=mime_type, content=content,
                sha256=digest, at=now,
            )  # fmt: skip
            tx.audit.add(
                at=now, actor=author, action="signalisation.piece_jointe", target=reference,
                details={"nom": name, "sha256": digest, "taille": len(content)},
            )  # fmt: skip
        return attachment_id

    def attachment(self, reference: str, attachment_id: int, *, author: str) -> tuple[str, str, bytes]:
        """A ticket's attachment (either side's) for an agent: name, type, content; the download is audited."""
        ticket = self._ticket(reference)
        found = self._store.attachment(ticket.id, attachment_id)
        if found is None:
            raise InvalidRequestError(
                f"Pièce jointe {attachment_id} inconnue sur la signalisation {reference}.",
                chemin="piece",
                valeur=str(attachment_id),
            )
        with self._store.write() as tx:
            tx.audit.add(
                at=self._clock.now(), actor=author, action="signalisation.piece_jointe.telechargement",
                target=reference, details={"id": attachment_id, "nom": found.name},
            )  # fmt: skip
        return found.name, found.mime_type, found.content or b""

    # Helpers ------------------------------------------------------------------------------------

    def _filter(self, query: QueueQuery) -> QueueFilter:
        known_states = {s.value for s in TicketState}
        for state in query.states:
            if state not in known_states:
                raise InvalidRequestError(f"État « {state} » inconnu.", chemin="etat", valeur=state)
        if query.operator_code and self._store.get_operator(query.operator_code) is None:
            raise InvalidRequestError(
                f"Opérateur « {query.operator_code} » inconnu.", chemin="operateur", valeur=query.operator_code
            )
        if query.code_offre and query.code_offre not in self._catalogue.offers():
            raise InvalidRequestError(
                f"Offre « {query.code_offre} » inconnue.", chemin="offre", valeur=query.code_offre
            )
        if query.gravite and query.gravite not in GRAVITES:
            raise InvalidRequestError(
                f"Gravité « {query.gravite} » inconnue : {', '.join(GRAVITES)}.", chemin="gravite", valeur=query.gravite
            )
        if query.deposited_from and query.deposited_to and query.deposited_to < query.deposited_from:
            raise InvalidRequestError("La date de fin précède la date de début.", chemin="jusqua")
        return QueueFilter(
            states=query.states or tuple(sorted(s.value for s in OPEN_STATES)),
            operator_code=query.operator_code or None,
            code_offre=query.code_offre or None,
            gravite=query.gravite or None,
            deposited_from=query.deposited_from,
            deposited_to=query.deposited_to,
            search=(query.search or "").strip() or None,
        )

    def _item(self, ticket: TicketRecord, moves: list[tuple[str | None, str, datetime]], now: datetime) -> QueueItem:
        deadline = gtr_deadline(GtrOption(ticket.gtr), ticket.deposited_at, _freezes(moves, None), now=now)
        is_open = TicketState(ticket.state) not in CLOSED_STATES
        overdue = is_open and aware_utc(deadline) < aware_utc(now)
        due_soon = is_open and not overdue and business_seconds_between(now, deadline) <= DUE_SOON.total_seconds()
        return QueueItem(ticket, deadline, overdue, due_soon)

    def _ticket(self, reference: str) -> TicketRecord:
        ticket = self._store.get_ticket(reference.strip())
        if ticket is None:
            raise UnknownTicketError(f"Signalisation {reference} inconnue.", chemin="reference", valeur=reference)
        return ticket


def _freezes(
    moves: list[tuple[str | None, str, datetime]], now: datetime | None
) -> list[tuple[datetime, datetime | None]]:
    """The GELE intervals from a ticket's moves into and out of GELE; the open one ends at ``now`` if given."""
    intervals: list[tuple[datetime, datetime | None]] = []
    for from_state, to_state, at in moves:
        if to_state == TicketState.GELE.value:
            intervals.append((at, None))
        elif from_state == TicketState.GELE.value and intervals and intervals[-1][1] is None:
            intervals[-1] = (intervals[-1][0], at)
    if now is not None:
        intervals = [(begin, end or now) for begin, end in intervals]
    return intervals
