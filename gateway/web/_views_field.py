"""e-SAV en ligne, in the field: appointment slots and booking, remote line tests, planned works and incidents."""

from __future__ import annotations

from gateway.errors import EsavError, UnknownPrestationError

from ._app import Context
from ._http import HttpError, Response, redirect
from ._views_esav import _ticket_for, writable_prestation

__all__ = ["book_slot", "launch_test", "network", "slots", "test_form", "test_result"]


def slots(ctx: Context, reference: str, erreur: str | None = None, status: int = 200) -> Response:
    """Free slots for the ticket, by intervention type (SAV by default)."""
    user, detail = _ticket_for(ctx, reference)
    ticket = detail.ticket
    if not user.can_write(ticket.code_offre):
        raise HttpError(404, "Signalisation introuvable.")
    kinds = ctx.gateway.catalogue.nomenclature("TYPES_INTERVENTION").values
    kind = ctx.request.arg("type") or ctx.request.field("type") or "SAV"
    found, problem = [], None
    try:
        now = ctx.gateway.clock.now()
        # The search may list the slot under way, which booking refuses: offer only slots to come.
        found = [s for s in ctx.gateway.appointments.search(user.caller, reference, kind, None, None) if s.start > now]
    except EsavError as exc:
        problem = exc.libelle
    return ctx.page(
        "esav/creneaux.html",
        status=status,
        ticket=ticket,
        kinds=kinds,
        kind=kind,
        slots=found[:40],
        erreur=erreur or problem,
    )


def book_slot(ctx: Context, reference: str) -> Response:
    user, detail = _ticket_for(ctx, reference)
    if not user.can_write(detail.ticket.code_offre):
        raise HttpError(404, "Signalisation introuvable.")
    request = ctx.request
    try:
        ctx.gateway.appointments.book(
            user.caller, reference, request.field("creneau"), request.field("contact"), request.field("telephone")
        )
    except EsavError as exc:
        return slots(ctx, reference, erreur=exc.libelle, status=422)
    return redirect(f"/esav/signalisations/{reference}", ok="rdv")


def test_form(ctx: Context, erreur: str | None = None, status: int = 200) -> Response:
    user = ctx.require_eservice("ESAV")
    activated = set(ctx.gateway.line_tests.activated_offers())
    prestations = [p for p in ctx.gateway.portal.prestations(user, write=True) if p.code_offre in activated]
    types = {p.identifiant: ctx.gateway.line_tests.available(user.caller, p.identifiant) for p in prestations}
    return ctx.page("esav/tests.html", status=status, prestations=prestations, types=types, erreur=erreur)


def launch_test(ctx: Context) -> Response:
    user = ctx.require_eservice("ESAV")
    identifiant = ctx.request.field("prestation")
    writable_prestation(ctx, user, identifiant)
    try:
        test = ctx.gateway.line_tests.launch(user.caller, identifiant, ctx.request.field("type"))
    except EsavError as exc:
        return test_form(ctx, erreur=exc.libelle, status=422)
    return redirect(f"/esav/tests/{test.reference}")


def test_result(ctx: Context, reference: str) -> Response:
    user = ctx.require_eservice("ESAV")
    try:
        result = ctx.gateway.line_tests.result(user.caller, reference)
    except EsavError:
        raise HttpError(404, "Test introuvable.") from None
    if not user.can_read(result.test.code_offre):
        raise HttpError(404, "Test introuvable.")
    return ctx.page("esav/test.html", r=result, running=result.test.status == "EN_COURS")


def network(ctx: Context) -> Response:
    """Planned works and current incidents of a prestation's commune."""
    user = ctx.require_eservice("ESAV")
    prestations = ctx.gateway.portal.prestations(user)
    identifiant = ctx.request.arg("prestation")
    works, incidents, chosen = [], [], None
    if identifiant:
        chosen = next((p for p in prestations if p.identifiant == identifiant), None)
        if chosen is None:
            raise HttpError(404, "Prestation introuvable.")
        try:
            works = ctx.gateway.network_events.planned_works(user.caller, identifiant_prestation=identifiant)
            incidents = ctx.gateway.network_events.incidents(user.caller, identifiant_prestation=identifiant)
        except UnknownPrestationError:
            raise HttpError(404, "Prestation introuvable.") from None
    return ctx.page("esav/reseau.html", prestations=prestations, chosen=chosen, works=works, incidents=incidents)
