"""Service ``signalisation`` v2 (contract §3): a thin skin over ``gateway.services``.

Each operation translates wire values into a use-case call and the result back; no rule lives here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spyne import Application, Boolean, ByteArray, DateTime, Integer, Unicode, rpc
from spyne.model.complex import Array

from gateway.domain.clock import to_paris
from gateway.services import DepositRequest, Gateway, HistoryQuery, SearchQuery, TicketDetail
from gateway.services.records import Page, TicketRecord

from .._base import Guard, form_payload, make_service_base
from .._fast_signalisation import signalisation_fast_path
from .._fastpath import FastPath
from .._faults import make_fault_types
from .._models import MAX_CODE, MAX_IDENTIFIER, MAX_REFERENCE, MAX_TEXT
from .._protocol import esav_application
from .._translate import attachments_in, detail_fields, summary_fields
from ._events import event_out, make_event_types
from ._types import make_types

__all__ = ["NAMESPACE", "build_application", "build_fast_path"]

NAMESPACE = "urn:esav:signalisation:v2"


def _paris(instant: datetime | None) -> datetime | None:
    return None if instant is None else to_paris(instant)


def build_application(gateway: Gateway, guards: tuple[Guard, ...] = ()) -> Application:
    """The spyne Application of ``/esav/v2/signalisation``."""
    faults = make_fault_types(NAMESPACE)
    t = make_types(NAMESPACE)
    ev = make_event_types(NAMESPACE)
    req, opt = t.req, t.opt
    base = make_service_base(gateway, "signalisation", faults, guards)
    throws = [faults.fault]

    def state_out(view: Any) -> tuple[str, str, datetime | None, str]:
        return view.reference, view.state, _paris(view.state_at), view.libelle

    def resume(ticket: TicketRecord) -> Any:
        return t.resume(referenceOperateur=ticket.reference_operateur, **summary_fields(ticket, _paris))

    def page_out(page: Page[TicketRecord]) -> tuple[int, int, int, list[Any]]:
        return page.total, page.number, page.size, [resume(x) for x in page.items]

    def detail_out(d: TicketDetail) -> Any:
        return t.detail(
            referenceOperateur=d.ticket.reference_operateur,
            rendezVous=[
                t.rendez_vous(
                    idRendezVous=r.reference,
                    typeIntervention=r.intervention_type,
                    idCreneau=r.slot_id,
                    debut=_paris(r.slot_start),
                    fin=_paris(r.slot_end),
                    statut=r.status,
                )
                for r in d.appointments
            ],
            **detail_fields(d, t, _paris),
        )

    etat_out = dict(
        _returns=(req(Unicode), req(Unicode), req(DateTime), req(Unicode)),
        _out_variable_names=("referenceSignalisation", "etat", "dateEtat", "libelleEtat"),
    )
    page_returns = dict(
        _returns=(req(Integer), req(Integer), req(Integer), req(Array(t.resume, wrapped=True, nillable=False))),
        _out_variable_names=("nombreTotal", "numeroPage", "taillePage", "signalisations"),
    )

    class SignalisationService(base):  # type: ignore[misc, valid-type]
        @rpc(
            opt(Unicode(max_len=MAX_IDENTIFIER)),
            req(Unicode(max_len=MAX_IDENTIFIER)),
            req(Unicode(max_len=MAX_CODE)),
            req(t.gravite),
            req(t.formulaire),
            opt(Unicode(max_len=MAX_TEXT)),
            opt(Array(t.piece_jointe, wrapped=True, nillable=False)),
            _returns=(req(Unicode), req(DateTime), req(Unicode)),
            _out_variable_names=("referenceSignalisation", "dateDepot", "etat"),
            _throws=throws,
        )
        def deposerSignalisation(
            ctx, referenceOperateur, identifiantPrestation, codeOffre, gravite, formulaire, commentaire, piecesJointes
        ):
            receipt = gateway.tickets.deposit(
                ctx.udc,
                DepositRequest(
                    identifiant_prestation=identifiantPrestation,
                    code_offre=codeOffre,
                    gravite=str(gravite),
                    form_code=formulaire.code,
                    form_version=formulaire.version,
                    form=form_payload(ctx, NAMESPACE),
                    commentaire=commentaire,
                    reference_operateur=referenceOperateur,
                    attachments=attachments_in(piecesJointes),
                    api_version="v2",
                ),
            )
            return receipt.reference, _paris(receipt.deposited_at), receipt.state

        @rpc(req(Unicode(max_len=MAX_REFERENCE)), **etat_out, _throws=throws)
        def consulterEtatSignalisation(ctx, referenceSignalisation):
            return state_out(gateway.tickets.state(ctx.udc, referenceSignalisation))

        @rpc(
            req(Unicode(max_len=MAX_REFERENCE)),
            _returns=req(t.detail),
            _out_variable_name="signalisation",
            _throws=throws,
        )
        def consulterDetailSignalisation(ctx, referenceSignalisation):
            return detail_out(gateway.tickets.detail(ctx.udc, referenceSignalisation))

        @rpc(
            req(DateTime),
            opt(DateTime),
            opt(Unicode(max_len=MAX_CODE)),
            opt(Unicode(max_len=MAX_IDENTIFIER)),
            opt(Integer),
            opt(Integer),
            **page_returns,
            _throws=throws,
        )
        def consulterHistorique(ctx, dateDebut, dateFin, etat, identifiantPrestation, numeroPage, taillePage):
            page = gateway.tickets.history(
                ctx.udc,
                HistoryQuery(
                    start=dateDebut,
                    end=dateFin,
                    state=etat,
                    prestation=identifiantPrestation,
                    page=numeroPage or 1,
                    size=taillePage or 50,
                ),
            )
            return page_out(page)

        @rpc(
            opt(t.etats),
            opt(Unicode(max_len=MAX_IDENTIFIER)),
            opt(DateTime),
            opt(DateTime),
            opt(Integer),
            opt(Integer),
            **page_returns,
            _throws=throws,
        )
        def rechercherSignalisations(
            ctx, etats, identifiantPrestation, dateDepotDebut, dateDepotFin, numeroPage, taillePage
        ):
            page = gateway.tickets.search(
                ctx.udc,
                SearchQuery(
                    states=tuple(etats or ()),
                    prestation=identifiantPrestation,
                    deposited_from=dateDepotDebut,
                    deposited_to=dateDepotFin,
                    page=numeroPage or 1,
                    size=taillePage or 50,
                ),
            )
            return page_out(page)

        @rpc(
            req(Unicode(max_len=MAX_REFERENCE)),
            req(Unicode(max_len=MAX_TEXT)),
            opt(Array(t.piece_jointe, wrapped=True, nillable=False)),
            **etat_out,
            _throws=throws,
        )
        def completerSignalisation(ctx, referenceSignalisation, commentaire, piecesJointes):
            view = gateway.tickets.complete(ctx.udc, referenceSignalisation, commentaire, attachments_in(piecesJointes))
            return state_out(view)

        @rpc(req(Unicode(max_len=MAX_REFERENCE)), req(Unicode(max_len=MAX_TEXT)), **etat_out, _throws=throws)
        def annulerSignalisation(ctx, referenceSignalisation, motif):
            return state_out(gateway.tickets.cancel(ctx.udc, referenceSignalisation, motif))

        @rpc(req(Unicode(max_len=MAX_REFERENCE)), req(Unicode(max_len=MAX_TEXT)), **etat_out, _throws=throws)
        def refuserCloture(ctx, referenceSignalisation, motif):
            return state_out(gateway.tickets.refuse_closure(ctx.udc, referenceSignalisation, motif))

        @rpc(
            req(Unicode(max_len=MAX_REFERENCE)),
            req(Integer),
            _returns=(req(Integer), req(Unicode), req(Unicode), req(Integer), req(ByteArray)),
            _out_variable_names=("idPieceJointe", "nom", "typeMime", "taille", "contenu"),
            _throws=throws,
        )
        def obtenirPieceJointe(ctx, referenceSignalisation, idPieceJointe):
            found = gateway.tickets.attachment(ctx.udc, referenceSignalisation, idPieceJointe)
            return found.id, found.name, found.mime_type, found.size, [found.content]

        @rpc(
            opt(Integer),
            opt(DateTime),
            opt(Integer),
            _returns=(req(Array(ev.event, wrapped=True, nillable=False)), req(Boolean), req(Integer)),
            _out_variable_names=("evenements", "plusDEvenements", "dernierIdEvenement"),
            _throws=throws,
        )
        def consulterEvenements(ctx, depuisId, depuisDate, nombreMax):
            page = gateway.events.since(ctx.udc, after_id=depuisId, since=depuisDate, size=nombreMax)
            return [event_out(ev, e) for e in page.events], page.more, page.last_id

    return esav_application([SignalisationService], NAMESPACE, "signalisation", faults)


def build_fast_path(gateway: Gateway, application: Application, guards: tuple[Guard, ...] = ()) -> FastPath:
    """The deposit and the state query of ``/esav/v2/signalisation`` without spyne's object mapping
    (``gateway.ws._fastpath``); ``application`` is that endpoint's, whose schema validates them."""
    return signalisation_fast_path(gateway, application, NAMESPACE, guards, api_version="v2", date=_paris)
