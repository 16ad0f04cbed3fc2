"""Announced form versions against real deposits: the operator's "Évolutions" page (its own deposits
only) and the provider's page of operators not ready (/fournisseur/evolutions).

The operator's previews are computed once a day and kept (``FormPreviewService.for_operator``); the
button recomputes them now. Everything shown comes from the service, which reads the deposits of the
user's own operator and only for the forms of offers the user reaches.
"""

from __future__ import annotations

from gateway.errors import EsavError
from gateway.services import FormPreviewService, PortalUser

from ._app import STAFF_PREFIX, Context
from ._http import HttpError, Response, redirect

__all__ = ["announce_evolution", "evolutions", "provider_evolutions", "refresh_evolutions"]


def _user(ctx: Context) -> PortalUser:
    user = ctx.portal_user
    if not FormPreviewService.may_see(user):
        raise HttpError(404, "Page introuvable.")
    return user


def evolutions(ctx: Context) -> Response:
    user = _user(ctx)
    items = ctx.gateway.form_previews.for_operator(user)
    return ctx.page("espace/evolutions.html", items=items, recalcule=ctx.request.arg("recalcul") == "1")


def refresh_evolutions(ctx: Context) -> Response:
    user = _user(ctx)
    ctx.gateway.form_previews.for_operator(user, refresh=True)
    return redirect("/evolutions", recalcul="1")


def provider_evolutions(
    ctx: Context, erreur: str | None = None, status: int = 200, annonce: str | None = None
) -> Response:
    if annonce is None and ctx.request.arg("annonce"):
        annonce = "L'annonce est publiée : chaque opérateur concerné reçoit son propre aperçu."
    return ctx.page(
        "fournisseur/evolutions.html",
        status=status,
        items=ctx.gateway.form_previews.readiness(),
        erreur=erreur,
        annonce=annonce,
    )


def announce_evolution(ctx: Context) -> Response:
    """Publish the notice of an announced version (the same use case as ``esav catalogue annoncer``)."""
    code, version = ctx.request.field("formulaire"), ctx.request.field("version")
    try:
        ctx.gateway.form_previews.announce(code, version, author=ctx.staff.author, text=ctx.request.field("texte"))
    except EsavError as exc:
        return provider_evolutions(ctx, erreur=exc.libelle, status=422)
    return redirect(f"{STAFF_PREFIX}/evolutions", annonce="1")
