"""Use cases of the operator's side of e-SAV Signalisation (contract §3), whatever the door."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from lxml import etree

from gateway.catalogue import Catalogue
from gateway.domain.clock import Clock, to_paris
from gateway.domain.gtr import GtrOption, gtr_deadline, gtr_met
from gateway.domain.states import (
    CLOSED_STATES,
    HISTORY_WINDOW,
    OPEN_STATES,
    Action,
    Actor,
    TicketState,
    check_closure_refusal,
)
from gateway.errors import (
    DuplicateError,
    HistoryOutOfRangeError,
    InvalidRequestError,
    NotEntitledError,
    TransitionForbiddenError,
    UnknownPrestationError,
    UnknownTicketError,
    quote,
)
from gateway.store import AttachmentRecord, Page, Store, TicketRecord, WriteTransaction

from ._contract_ends import ContractEndService
from ._events import record_state_change
from ._lifecycle import Lifecycle
from ._offer_launches import OFF_WEB_PROCEDURE, OfferLaunchService
from ._text import check_text
from ._views import (
    AttachmentIn,
    Caller,
    DepositReceipt,
    DepositRequest,
    GtrView,
    HistoryQuery,
    SearchQuery,
    StateView,
    TicketDetail,
)

__all__ = [
    "ATTACHMENT_TYPES",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "WEB_SERVICES_ONLY_OFFERS",
    "SignalisationService",
]

GRAVITES = ("MINEURE", "MAJEURE", "CRITIQUE")
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
ATTACHMENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "text/plain", "text/csv"})
MAX_PAGE_SIZE = 100
REFERENCE_PREFIX = "SIG"
#: Offers whose tickets are deposited through the web services only, never from the portal's pages.
WEB_SERVICES_ONLY_OFFERS = frozenset({"FTTH_ACCES"})


class SignalisationService:
    """Deposit, follow, complete, cancel and refuse closure of an operator's own tickets."""

    def __init__(self, store: Store, catalogue: Catalogue, clock: Clock, lifecycle: Lifecycle) -> None:
        self._store = store
        self._catalogue = catalogue
        self._clock = clock
        self._lifecycle = lifecycle
        self._launches = OfferLaunchService(store, clock, [])
        self._contract_ends = ContractEndService(store, clock)

    # Deposit ------------------------------------------------------------------------------------

    def offer_set_up_until(self, operator_code: str, offer: str) -> date | None:
        """The day tickets of ``offer`` are first handled in e-SAV while the offer is in its month of
        set-up from the provider's commercial launch (the same for every operator); None once ready."""
        return self._launches.set_up_until(offer)

    def deposit(self, caller: Caller, request: DepositRequest) -> DepositReceipt:
        """Store a new ticket durably and return its reference (the acknowledgement of receipt)."""
        now = self._clock.now()
        if caller.channel == "WEB" and request.code_offre in WEB_SERVICES_ONLY_OFFERS:
            raise InvalidRequestError(
                f"Offre {quote(request.code_offre)} : dépôt par web services uniquement (e-SAV intégré), "
                "pas par le portail.",
                chemin="codeOffre",
                valeur=request.code_offre,
            )
        check_text(request.commentaire, chemin="commentaire", label="Commentaire", max_length=MAX_COMMENTAIRE)
        check_text(
            request.reference_operateur,
            chemin="referenceOperateur",
            label="Référence opérateur",
            max_length=MAX_REFERENCE_OPERATEUR,
        )
        if request.gravite not in GRAVITES:
            raise InvalidRequestError(
                f"Gravité « {quote(request.gravite)} » inconnue : attendu {', '.join(GRAVITES)}.",
                chemin="gravite",
                valeur=request.gravite,
            )
        prestation = self._store.get_prestation(request.identifiant_prestation)
        if (
            prestation is None
            or prestation.operator_code != caller.operator_code
            or prestation.code_offre != request.code_offre
        ):
            # Same answer whether it does not exist or belongs to someone else: never reveal.
            raise UnknownPrestationError(
                f"Prestation {quote(request.identifiant_prestation)} inconnue pour l'offre "
                f"{quote(request.code_offre)}.",
                chemin="identifiantPrestation",
                valeur=request.identifiant_prestation,
            )
        self._contract_ends.refuse_if_ended(caller.operator_code, request.code_offre)
        ready_on = self.offer_set_up_until(caller.operator_code, request.code_offre)
        if ready_on is not None:  # a new offer's month of set-up from its launch (e-SAV annex 1)
            raise NotEntitledError(
                f"Offre {quote(request.code_offre)} en cours de mise en place dans e-SAV : ses signalisations y "
                f"sont traitées à partir du {ready_on:%d/%m/%Y} (un mois après son lancement commercial). "
                + OFF_WEB_PROCEDURE,
                chemin="codeOffre",
                valeur=ready_on.isoformat(),
            )
        self._catalogue.check_deposit(request.code_offre, request.form_code, request.form_version, request.form, now)
        _check_attachments(request.attachments, already=0)
        form_xml = etree.tostring(request.form, encoding="unicode")
        # The hash only serves to recognise a resent deposit by its operator reference (idempotency).
        content_hash = _content_hash(request) if request.reference_operateur else ""

        with self._store.write() as tx:
            if request.reference_operateur:
                existing = tx.tickets.by_operator_reference(caller.operator_code, request.reference_operateur)
                if existing is not None:
                    if existing.content_hash != content_hash:
                        raise DuplicateError(
                            f"La référence opérateur {quote(request.reference_operateur)} a déjà servi pour la "
                            f"signalisation {existing.reference}, avec un autre contenu.",
                            chemin="referenceOperateur",
                            valeur=existing.reference,
                        )
                    return _receipt(existing)
            # The ticket, its prestation as deposited and its DEPOSER transition (at ``now``).
            ticket = tx.tickets.deposit(
                {
                    "operator_code": caller.operator_code,
                    "reference_operateur": request.reference_operateur,
                    "content_hash": content_hash,
                    "prestation": prestation.identifiant,
                    "code_offre": request.code_offre,
                    "gravite": request.gravite,
                    "form_code": request.form_code,
                    "form_version": request.form_version,
                    "form_xml": form_xml,
                    "commentaire": request.commentaire,
                    "gtr": prestation.gtr,
                    "state": TicketState.EN_DEPOT.value,
                    "state_at": now,
                    "deposited_at": now,
                    "api_version": request.api_version,
                },
                REFERENCE_PREFIX,
                prestation,
                action="DEPOSER",
                to_state=TicketState.EN_DEPOT.value,
                actor=Actor.OPERATEUR.value,
                author=caller.who,
            )
            record_state_change(
                tx, ticket, from_state=None, to_state=TicketState.EN_DEPOT.value, action="DEPOSER", at=now
            )
            if request.commentaire:
                tx.tickets.add_comment(ticket.id, side="OPERATEUR", author=caller.who, at=now, text=request.commentaire)
            self._add_attachments(tx, ticket.id, request.attachments, now)
        # The write block has committed (synchronous=FULL): only now is the reference a receipt.
        return _receipt(ticket)

    # Follow -------------------------------------------------------------------------------------

    def state(self, caller: Caller, reference: str) -> StateView:
        """The ticket's state (a counted request, §8)."""
        view = self._state_view(caller, reference)
        return view

    def _state_view(self, caller: Caller, reference: str) -> StateView:
        ticket = self._own_ticket(caller, reference)
        state = TicketState(ticket.state)
        return StateView(ticket.reference, state.value, ticket.state_at, state.libelle)

    def detail(self, caller: Caller, reference: str) -> TicketDetail:
        return self.detail_of(self._own_ticket(caller, reference))

    def detail_of(self, ticket: TicketRecord) -> TicketDetail:
        """Everything known about a ticket (also used by the provider's back office)."""
        # As at deposit: a later import or transfer of the prestation does not rewrite the ticket. Only
        # rows written around the store (bench data) lack it; they show the prestation as it is now.
        prestation = self._store.prestation_at_deposit(ticket) or self._store.get_prestation(ticket.prestation)
        assert prestation is not None  # a ticket's prestation is a foreign key
        transitions = self._store.transitions(ticket.id)
        return TicketDetail(
            ticket=ticket,
            state_libelle=TicketState(ticket.state).libelle,
            prestation=prestation,
            transitions=transitions,
            comments=self._store.comments(ticket.id),
            attachments=self._store.attachments(ticket.id),
            gtr=self._gtr(ticket, transitions),
            rejection_libelle=self._label("MOTIFS_REJET", ticket.rejection_code),
            closure_libelle=self._label("CODES_CLOTURE", ticket.closure_code),
            freeze_libelle=self._label("MOTIFS_GEL", ticket.freeze_code),
            appointments=self._store.appointments_of_ticket(ticket.id),
        )

    def history(self, caller: Caller, query: HistoryQuery) -> Page[TicketRecord]:
        """Closed tickets closed within the period, which may reach at most 90 days back."""
        now = self._clock.now()
        oldest = now - HISTORY_WINDOW
        if query.start < oldest:
            raise HistoryOutOfRangeError(
                "L'historique ne remonte qu'à 90 jours : la période doit commencer après "
                f"le {to_paris(oldest).strftime('%d/%m/%Y %H:%M')}.",
                chemin="dateDebut",
                valeur=query.start.isoformat(),
            )
        end = min(query.end or now, now)
        if end < query.start:
            raise InvalidRequestError("La fin de la période précède son début.", chemin="dateFin")
        if query.state is not None and query.state not in {s.value for s in CLOSED_STATES}:
            raise InvalidRequestError(
                f"L'historique ne contient que les états clos ({', '.join(sorted(CLOSED_STATES))}).",
                chemin="etat",
                valeur=query.state,
            )
        states = [query.state] if query.state else [s.value for s in CLOSED_STATES]
        page, size = _paging(query.page, query.size)
        return self._store.closed_tickets(
            caller.operator_code,
            closed_from=query.start,
            closed_to=end,
            states=states,
            prestation=query.prestation,
            page=page,
            size=size,
            offers=query.offers,
        )

    def search(self, caller: Caller, query: SearchQuery) -> Page[TicketRecord]:
        """The operator's open tickets, filtered by state, prestation and deposit period."""
        open_values = {s.value for s in OPEN_STATES}
        for state in query.states:
            if state not in open_values:
                raise InvalidRequestError(
                    f"État « {quote(state)} » : la recherche porte sur les signalisations ouvertes "
                    f"({', '.join(sorted(open_values))}) ; les closes sont dans l'historique.",
                    chemin="etats",
                    valeur=state,
                )
        page, size = _paging(query.page, query.size)
        return self._store.open_tickets(
            caller.operator_code,
            states=list(query.states) or sorted(open_values),
            prestation=query.prestation,
            deposited_from=query.deposited_from,
            deposited_to=query.deposited_to,
            page=page,
            size=size,
            offers=query.offers,
        )

    def attachment(self, caller: Caller, reference: str, attachment_id: int) -> AttachmentRecord:
        ticket = self._own_ticket(caller, reference)
        found = self._store.attachment(ticket.id, attachment_id)
        if found is None:
            raise InvalidRequestError(
                f"Pièce jointe {attachment_id} inconnue sur la signalisation {quote(reference)}.",
                chemin="idPieceJointe",
                valeur=str(attachment_id),
            )
        return found

    # Act ----------------------------------------------------------------------------------------

    def complete(
        self, caller: Caller, reference: str, commentaire: str, attachments: tuple[AttachmentIn, ...] = ()
    ) -> StateView:
        """Add the operator's note (and files); on a ticket frozen for it, resume handling."""
        now = self._clock.now()
        with self._store.write() as tx:
            # Read inside the write transaction: the state and the files checked are the ones added to.
            ticket = self._own(caller, reference, tx.tickets.get(reference))
            state = TicketState(ticket.state)
            if state in CLOSED_STATES:
                raise TransitionForbiddenError(
                    f"La signalisation {quote(reference)} est {state.value} : elle ne peut plus être complétée.",
                    valeur=state.value,
                )
            if not commentaire or not commentaire.strip():
                raise InvalidRequestError("Le commentaire est obligatoire.", chemin="commentaire")
            check_text(commentaire, chemin="commentaire", label="Commentaire")
            _check_attachments(attachments, already=tx.tickets.count_attachments(ticket.id))
            tx.tickets.add_comment(ticket.id, side="OPERATEUR", author=caller.who, at=now, text=commentaire)
            self._add_attachments(tx, ticket.id, attachments, now)
            if state is TicketState.GELE and ticket.freeze_code != "ATTENTE_RENDEZ_VOUS":
                # The completion is the awaited action; an appointment freeze waits for a booking instead.
                self._lifecycle.transition(
                    reference,
                    Action.REPRENDRE,
                    Actor.OPERATEUR,
                    author=caller.who,
                    reason="Complément de l'opérateur",
                    at=now,
                )
        return self._state_view(caller, reference)

    def cancel(self, caller: Caller, reference: str, motif: str) -> StateView:
        self._own_ticket(caller, reference)
        check_text(motif, chemin="motif", label="Motif d'annulation")
        self._lifecycle.transition(reference, Action.ANNULER, Actor.OPERATEUR, author=caller.who, reason=motif)
        return self._state_view(caller, reference)

    def refuse_closure(self, caller: Caller, reference: str, motif: str) -> StateView:
        self._own_ticket(caller, reference)
        check_text(motif, chemin="motif", label="Motif du refus de clôture")
        with self._store.write() as tx:  # the closure checked is the closure refused (the transition joins it)
            ticket = self._own(caller, reference, tx.tickets.get(reference))
            if ticket.state == TicketState.CLOS.value and ticket.closed_at is not None:
                check_closure_refusal(ticket.closed_at, self._clock.now())
            self._lifecycle.transition(
                reference, Action.REFUSER_CLOTURE, Actor.OPERATEUR, author=caller.who, reason=motif
            )
        return self._state_view(caller, reference)

    # Helpers ------------------------------------------------------------------------------------

    @staticmethod
    def _add_attachments(
        tx: WriteTransaction, ticket_id: int, attachments: tuple[AttachmentIn, ...], at: datetime
    ) -> None:
        for attachment in attachments:
            tx.tickets.add_attachment(
                ticket_id,
                side="OPERATEUR",
                name=attachment.name,
                mime_type=attachment.mime_type,
                content=attachment.content,
                sha256=hashlib.sha256(attachment.content).hexdigest(),
                at=at,
            )

    def _own_ticket(self, caller: Caller, reference: str) -> TicketRecord:
        return self._own(caller, reference, self._store.get_ticket(reference))

    @staticmethod
    def _own(caller: Caller, reference: str, ticket: TicketRecord | None) -> TicketRecord:
        if ticket is None or ticket.operator_code != caller.operator_code:
            raise UnknownTicketError(
                f"Signalisation {quote(reference)} inconnue.", chemin="referenceSignalisation", valeur=reference
            )
        return ticket

    def _gtr(self, ticket: TicketRecord, transitions: list) -> GtrView:
        option = GtrOption(ticket.gtr)
        freezes: list[tuple[datetime, datetime | None]] = []
        for row in transitions:
            if row.to_state == TicketState.GELE.value:
                freezes.append((row.at, None))
            elif row.from_state == TicketState.GELE.value and freezes and freezes[-1][1] is None:
                freezes[-1] = (freezes[-1][0], row.at)
        now = self._clock.now()
        deadline = gtr_deadline(option, ticket.deposited_at, freezes, now=now)
        restored = ticket.closed_at if ticket.state in {s.value for s in CLOSED_STATES} else None
        met = (
            gtr_met(deadline, restored) if restored is not None and ticket.state != TicketState.EN_REJET.value else None
        )
        return GtrView(option.value, option.libelle, deadline, met)

    def _label(self, list_code: str, code: str | None) -> str | None:
        if not code:
            return None
        return self._catalogue.nomenclature(list_code).libelle_of(code) or code


def _receipt(ticket: TicketRecord) -> DepositReceipt:
    return DepositReceipt(ticket.reference, ticket.deposited_at, TicketState.EN_DEPOT.value, ticket.reference_operateur)


def _paging(page: int, size: int) -> tuple[int, int]:
    if page < 1:
        raise InvalidRequestError("Le numéro de page commence à 1.", chemin="numeroPage", valeur=str(page))
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidRequestError(
            f"La taille de page va de 1 à {MAX_PAGE_SIZE}.", chemin="taillePage", valeur=str(size)
        )
    return page, size


def _check_attachments(attachments: tuple[AttachmentIn, ...], *, already: int) -> None:
    if already + len(attachments) > MAX_ATTACHMENTS:
        raise InvalidRequestError(
            f"Au plus {MAX_ATTACHMENTS} pièces jointes par signalisation ({already} déjà présentes).",
            chemin="piecesJointes",
        )
    for index, attachment in enumerate(attachments, start=1):
        path = f"piecesJointes[{index}]"
        # First: the messages below quote the name and the type.
        check_text(attachment.name, chemin=f"{path}/nom", label=f"Nom de la pièce jointe {index}")
        check_text(attachment.mime_type, chemin=f"{path}/typeMime", label=f"Type de la pièce jointe {index}")
        if attachment.mime_type not in ATTACHMENT_TYPES:
            raise InvalidRequestError(
                f"Type « {quote(attachment.mime_type)} » refusé pour {quote(attachment.name)} : acceptés "
                "PDF, PNG, JPEG, texte et CSV.",
                chemin=f"{path}/typeMime",
                valeur=attachment.mime_type,
            )
        if len(attachment.content) > MAX_ATTACHMENT_BYTES:
            raise InvalidRequestError(
                f"La pièce jointe {quote(attachment.name)} dépasse 5 Mo.",
                chemin=f"{path}/contenu",
                valeur=attachment.name,
            )
        if not attachment.name.strip():
            raise InvalidRequestError("Une pièce jointe doit avoir un nom.", chemin=f"{path}/nom")


def _content_hash(request: DepositRequest) -> str:
    """What makes two deposits "the same" for idempotency: everything the operator sent."""
    digest = hashlib.sha256()
    digest.update(
        json.dumps(
            [
                request.identifiant_prestation,
                request.code_offre,
                request.gravite,
                request.form_code,
                request.form_version,
                request.commentaire,
                [[a.name, a.mime_type, hashlib.sha256(a.content).hexdigest()] for a in request.attachments],
            ]
        ).encode()
    )
    digest.update(etree.tostring(request.form, method="c14n"))
    return digest.hexdigest()


#: The contract's longest ``referenceOperateur`` and ``commentaire`` (maxLength in the v2 WSDL).
MAX_REFERENCE_OPERATEUR = 64
MAX_COMMENTAIRE = 4000
