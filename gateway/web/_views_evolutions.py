"""Announced form versions against real deposits: the operator's "Évolutions" page (its own deposits
only) and the provider's page of operators not ready (/fournisseur/evolutions).

The operator's previews are computed once a day and kept (``FormPreviewService.for_operator``); the
button recomputes them now. Everything shown comes from the service, which reads the deposits of the
user's own operator and only for the forms of offers the user reaches.
"""

from __future__ import annotations

from gateway.services import FormPreviewService, PortalUser

from ._app import Context
from ._http import HttpError, Response, redirect

__all__ = ["evolutions", "provider_evolutions", "refresh_evolutions"]


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


def provider_evolutions(ctx: Context) -> Response:
    return ctx.page("fournisseur/evolutions.html", items=ctx.gateway.form_previews.readiness())
