"""e-SAV en ligne: deposit from the catalogue form, follow, complete, cancel, refuse closure.

The pages call the same use cases as the web services, as a ``Caller`` on channel WEB whose author
is the user. On top of the operator's ownership (checked by the services), the user's profile
bounds what it sees (offers it reads) and does (offers it writes); anything outside answers 404.
"""

from __future__ import annotations

import re

from gateway.domain.states import CLOSED_STATES, OPEN_STATES, Action, Actor, TicketState
from gateway.domain.xml_text import xml_safe
from gateway.errors import EsavError, NotEntitledError, UnknownTicketError
from gateway.services import (
    WEB_SERVICES_ONLY_OFFERS,
    AttachmentIn,
    DepositRequest,
    PortalUser,
    SearchQuery,
    TicketDetail,
)
from gateway.services.records import PrestationRecord

from ._app import Context
from ._forms import build_form_xml, errors_by_field, form_page, refused_characters
from ._http import HttpError, Response, redirect

__all__ = [
    "attachment",
    "cancel",
    "complete",
    "deposit_form",
    "deposit_submit",
    "refuse_closure",
    "ticket_detail",
    "tickets",
    "writable_prestation",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")  # never in a header, even from a row stored long ago
GRAVITES = (("MINEURE", "Mineure"), ("MAJEURE", "Majeure"), ("CRITIQUE", "Critique"))
PAGE_SIZE = 100


def _esav(ctx: Context) -> PortalUser:
    return ctx.require_eservice("ESAV")


def writable_prestation(ctx: Context, user: PortalUser, identifiant: str) -> PrestationRecord:
    """The prestation the user acts on; 404 whatever the reason it may not (never revealing which)."""
    try:
        return ctx.gateway.portal.prestation(user, identifiant, write=True)
    except NotEntitledError:
        raise HttpError(404, "Prestation introuvable.") from None


def tickets(ctx: Context) -> Response:
    """Open tickets of the offers the user reads, filtered by state and prestation."""
    user = _esav(ctx)
    state = ctx.request.arg("etat")
    prestation = ctx.request.arg("prestation").strip()
    states = (state,) if state in {s.value for s in OPEN_STATES} else ()
    number = ctx.request.arg("page")
    number_value = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
    # The user's offers filter the query itself, before paging: a page is never short of readable tickets.
    query = SearchQuery(
        states=states,
        prestation=prestation or None,
        size=PAGE_SIZE,
        page=number_value,
        offers=tuple(sorted(user.offers)),
    )
    page = ctx.gateway.tickets.search(user.caller, query)
    return ctx.page(
        "esav/liste.html",
        tickets=page.items,
        total=page.total,
        number=page.number,
        pages=max(1, -(-page.total // PAGE_SIZE)),
        states=sorted((s.value, s.libelle) for s in OPEN_STATES),
        state_labels={s.value: s.libelle for s in TicketState},
        gravite_labels=dict(GRAVITES),
        etat=state,
        prestation=prestation,
    )


def deposit_form(ctx: Context) -> Response:
    user = _esav(ctx)
    identifiant = ctx.request.arg("prestation")
    if not identifiant:
        return ctx.page("esav/choisir.html", prestations=ctx.gateway.portal.prestations(user, write=True))
    return _deposit_page(ctx, user, identifiant, values={}, errors={})


def _deposit_page(
    ctx: Context,
    user: PortalUser,
    identifiant: str,
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
) -> Response:
    prestation = writable_prestation(ctx, user, identifiant)
    catalogue = ctx.gateway.catalogue
    set_up_until = ctx.gateway.tickets.offer_set_up_until(user.caller.operator_code, prestation.code_offre)
    if prestation.code_offre in WEB_SERVICES_ONLY_OFFERS or set_up_until is not None:
        return ctx.page(
            "esav/deposer.html",
            status=status,
            prestation=prestation,
            page=None,
            web_only=set_up_until is None,
            set_up_until=set_up_until,
            values={},
            errors=errors,
            gravites=GRAVITES,
        )
    form = catalogue.form_for_offer(prestation.code_offre)
    version = catalogue.version_in_force(form.code, ctx.gateway.clock.now())
    if version is None:
        raise HttpError(404, "Aucun formulaire en production pour cette offre.")
    page = form_page(catalogue, form.code, version)
    return ctx.page(
        "esav/deposer.html",
        status=status,
        prestation=prestation,
        page=page,
        web_only=False,
        set_up_until=None,
        values=values,
        errors=errors,
        gravites=GRAVITES,
    )


def deposit_submit(ctx: Context) -> Response:
    user = _esav(ctx)
    request = ctx.request
    prestation = writable_prestation(ctx, user, request.field("prestation"))
    values = {name: vals[0] for name, vals in request.form.items() if vals}
    catalogue = ctx.gateway.catalogue
    form = catalogue.form_for_offer(prestation.code_offre)
    version = catalogue.version_in_force(form.code, ctx.gateway.clock.now()) or ""
    page = form_page(catalogue, form.code, version) if version else None
    missing: list[str] = []
    form_xml = None
    if page is not None:
        refused = refused_characters(page, values)
        if refused:  # nothing reaches the service: the form's XML could not even hold them
            return _deposit_page(ctx, user, prestation.identifiant, _shown(values), refused, status=422)
        # Mandatory fields left empty are left out of the XML: the XSD then refuses the form too,
        # so nothing is stored, and each empty field is named under itself.
        form_xml, missing = build_form_xml(page, values)
    errors: dict[str, list[str]] = {}
    try:
        # A web-services-only offer (FTTH) has no form on the page; a crafted POST still reaches
        # the service, which refuses it for the WEB channel.
        receipt = ctx.gateway.tickets.deposit(
            user.caller,
            DepositRequest(
                identifiant_prestation=prestation.identifiant,
                code_offre=prestation.code_offre,
                gravite=request.field("gravite"),
                form_code=form.code,
                form_version=version,
                form=form_xml,  # None only for FTTH: the service refuses before reading it
                commentaire=request.field("commentaire").strip() or None,
                reference_operateur=request.field("referenceOperateur").strip() or None,
            ),
        )
    except EsavError as exc:
        if page is not None and (exc.details or missing):
            errors = errors_by_field(page, exc.details, missing)
        if exc.chemin in ("gravite", "referenceOperateur"):  # the page's own fields
            errors.setdefault(exc.chemin, []).append(exc.libelle)
        if not errors or exc.chemin in ("codeOffre", "commentaire"):  # no field of its own on the page
            errors.setdefault("", []).append(exc.libelle)
        return _deposit_page(ctx, user, prestation.identifiant, _shown(values), errors, status=422)
    return ctx.page("esav/accuse.html", receipt=receipt, prestation=prestation)


def _shown(values: dict[str, str]) -> dict[str, str]:
    """What the user typed, shown back with U+FFFD where a character XML cannot carry was."""
    return {name: xml_safe(value)[0] for name, value in values.items()}


def _ticket_for(ctx: Context, reference: str) -> tuple[PortalUser, TicketDetail]:
    user = _esav(ctx)
    try:
        detail = ctx.gateway.tickets.detail(user.caller, reference)
    except UnknownTicketError:
        raise HttpError(404, "Signalisation introuvable.") from None
    if not user.can_read(detail.ticket.code_offre):
        raise HttpError(404, "Signalisation introuvable.")
    return user, detail


def ticket_detail(
    ctx: Context,
    reference: str,
    erreur: str | None = None,
    status: int = 200,
    field_errors: dict[str, str] | None = None,
) -> Response:
    user, detail = _ticket_for(ctx, reference)
    ticket = detail.ticket
    state = TicketState(ticket.state)
    return ctx.page(
        "esav/detail.html",
        status=status,
        d=detail,
        can_write=user.can_write(ticket.code_offre),
        is_open=state in OPEN_STATES,
        is_closed=state in CLOSED_STATES,
        state_labels={s.value: s.libelle for s in TicketState},
        erreur_action=erreur,
        declared=ctx.gateway.work_queue.declared(ticket),
        gravite_libelle=dict(GRAVITES).get(ticket.gravite, ticket.gravite),
        action_labels={a.value: a.libelle for a in Action} | {"DEPOSER": "dépôt"},
        actor_labels={a.value: a.libelle for a in Actor},
        field_errors=field_errors or {},
    )


def _act(ctx: Context, reference: str, action: str) -> Response:
    user, detail = _ticket_for(ctx, reference)
    if not user.can_write(detail.ticket.code_offre):
        raise HttpError(404, "Signalisation introuvable.")
    text = ctx.request.field("texte").strip()
    services = ctx.gateway.tickets
    try:
        if action == "complete":
            files = [p for p in ctx.request.files.get("pieces", []) if p.filename or p.content]
            attachments = tuple(AttachmentIn(p.filename, p.content_type, p.content) for p in files)
            services.complete(user.caller, reference, text, attachments)
        elif action == "annule":
            if ctx.request.field("confirme") != "oui":  # cancelling is final: the user ticks a box first
                return ticket_detail(
                    ctx,
                    reference,
                    status=422,
                    field_errors={"confirme": "Cochez la case pour confirmer l'annulation, qui est définitive."},
                )
            services.cancel(user.caller, reference, text)
        else:
            services.refuse_closure(user.caller, reference, text)
    except EsavError as exc:
        return ticket_detail(ctx, reference, erreur=exc.libelle, status=422)
    return redirect(f"/esav/signalisations/{reference}", ok=action)


def attachment(ctx: Context, reference: str, attachment_id: str) -> Response:
    """A file attached to the ticket (by either side), for a user who reads the ticket's offer."""
    user, _ = _ticket_for(ctx, reference)
    if not attachment_id.isdigit():
        raise HttpError(404, "Pièce jointe introuvable.")
    try:
        found = ctx.gateway.tickets.attachment(user.caller, reference, int(attachment_id))
    except EsavError:
        raise HttpError(404, "Pièce jointe introuvable.") from None
    safe = _CONTROL.sub("_", found.name.encode("ascii", "replace").decode()).replace('"', "_").replace("?", "_")
    headers = {"Content-Disposition": f'attachment; filename="{safe}"'}
    return Response(200, found.content or b"", found.mime_type, headers)


def complete(ctx: Context, reference: str) -> Response:
    return _act(ctx, reference, "complete")


def cancel(ctx: Context, reference: str) -> Response:
    return _act(ctx, reference, "annule")


def refuse_closure(ctx: Context, reference: str) -> Response:
    return _act(ctx, reference, "refus")
