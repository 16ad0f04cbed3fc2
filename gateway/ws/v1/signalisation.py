"""Service ``signalisation`` v1 (contract §2, §3): the previous contract, a thin skin over ``gateway.services``.

Same use cases as v2; what differs is only the wire: no ``referenceOperateur``, dates as
``JJ/MM/AAAA HH:MM`` Paris-time strings, history and search unpaged and capped at 100 items (newest
first), and none of v2's later operations (annulerSignalisation, refuserCloture, obtenirPieceJointe,
consulterEvenements). Tickets are shared: a v1 ticket is followed in v2 and the other way round.
"""

from __future__ import annotations

from typing import Any

from spyne import Application, Unicode, rpc
from spyne.model.complex import Array

from gateway.services import DepositRequest, Gateway, HistoryQuery, SearchQuery, TicketDetail
from gateway.services.records import TicketRecord

from .._base import Guard, form_payload, make_service_base
from .._fast_signalisation import signalisation_fast_path
from .._fastpath import FastPath
from .._faults import make_fault_types
from .._models import MAX_CODE, MAX_IDENTIFIER, MAX_REFERENCE, MAX_TEXT
from .._protocol import esav_application
from .._translate import attachments_in, detail_fields, summary_fields
from ._dates import format_paris, parse_paris
from ._types import make_types

__all__ = ["LIST_LIMIT", "NAMESPACE", "build_application", "build_fast_path"]

NAMESPACE = "urn:esav:signalisation:v1"
#: v1 lists (history, search) are not paged: the newest 100 items at most.
LIST_LIMIT = 100


def build_application(gateway: Gateway, guards: tuple[Guard, ...] = ()) -> Application:
    """The spyne Application of ``/esav/v1/signalisation``."""
    faults = make_fault_types(NAMESPACE)
    t = make_types(NAMESPACE)
    req, opt = t.req, t.opt
    base = make_service_base(gateway, "signalisation", faults, guards)
    throws = [faults.fault]

    def state_out(view: Any) -> tuple[str, str, str | None, str]:
        return view.reference, view.state, format_paris(view.state_at), view.libelle

    def resume(ticket: TicketRecord) -> Any:
        return t.resume(**summary_fields(ticket, format_paris))

    def detail_out(d: TicketDetail) -> Any:
        return t.detail(**detail_fields(d, t, format_paris))

    etat_out = dict(
        _returns=(req(Unicode), req(Unicode), req(t.date), req(Unicode)),
        _out_variable_names=("referenceSignalisation", "etat", "dateEtat", "libelleEtat"),
    )
    list_returns = dict(
        _returns=req(Array(t.resume, wrapped=True, nillable=False)),
        _out_variable_name="signalisations",
    )

    class SignalisationService(base):  # type: ignore[misc, valid-type]
        @rpc(
            req(Unicode(max_len=MAX_IDENTIFIER)),
            req(Unicode(max_len=MAX_CODE)),
            req(t.gravite),
            req(t.formulaire),
            opt(Unicode(max_len=MAX_TEXT)),
            opt(Array(t.piece_jointe, wrapped=True, nillable=False)),
            _returns=(req(Unicode), req(t.date), req(Unicode)),
            _out_variable_names=("referenceSignalisation", "dateDepot", "etat"),
            _throws=throws,
        )
        def deposerSignalisation(
            ctx, identifiantPrestation, codeOffre, gravite, formulaire, commentaire, piecesJointes
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
                    attachments=attachments_in(piecesJointes),
                    api_version="v1",
                ),
            )
            return receipt.reference, format_paris(receipt.deposited_at), receipt.state

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
            req(t.date),
            opt(t.date),
            opt(Unicode(max_len=MAX_CODE)),
            opt(Unicode(max_len=MAX_IDENTIFIER)),
            **list_returns,
            _throws=throws,
        )
        def consulterHistorique(ctx, dateDebut, dateFin, etat, identifiantPrestation):
            start = parse_paris(dateDebut, "dateDebut")
            assert start is not None  # mandatory in the WSDL, so validated as present
            page = gateway.tickets.history(
                ctx.udc,
                HistoryQuery(
                    start=start,
                    end=parse_paris(dateFin, "dateFin"),
                    state=etat,
                    prestation=identifiantPrestation,
                    page=1,
                    size=LIST_LIMIT,
                ),
            )
            return [resume(x) for x in page.items]

        @rpc(
            opt(t.etats),
            opt(Unicode(max_len=MAX_IDENTIFIER)),
            opt(t.date),
            opt(t.date),
            **list_returns,
            _throws=throws,
        )
        def rechercherSignalisations(ctx, etats, identifiantPrestation, dateDepotDebut, dateDepotFin):
            page = gateway.tickets.search(
                ctx.udc,
                SearchQuery(
                    states=tuple(etats or ()),
                    prestation=identifiantPrestation,
                    deposited_from=parse_paris(dateDepotDebut, "dateDepotDebut"),
                    deposited_to=parse_paris(dateDepotFin, "dateDepotFin"),
                    page=1,
                    size=LIST_LIMIT,
                ),
            )
            return [resume(x) for x in page.items]

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

    return esav_application([SignalisationService], NAMESPACE, "signalisation", faults)


def build_fast_path(gateway: Gateway, application: Application, guards: tuple[Guard, ...] = ()) -> FastPath:
    """The deposit and the state query of ``/esav/v1/signalisation`` without spyne's object mapping
    (``gateway.ws._fastpath``); ``application`` is that endpoint's, whose schema validates them."""
    return signalisation_fast_path(gateway, application, NAMESPACE, guards, api_version="v1", date=format_paris)
