"""The provider's page of operators' access (``/fournisseur/acces``): suspend at once, lift a suspension."""

from __future__ import annotations

from datetime import datetime

from gateway.domain.clock import to_paris
from gateway.errors import EsavError

from ._app import STAFF_PREFIX, Context
from ._http import Response, redirect

__all__ = ["access", "resume_operator", "suspend_operator"]


def access(ctx: Context, erreur: str | None = None, status: int = 200) -> Response:
    rows = [
        (
            operator,
            to_paris(datetime.fromisoformat(operator.suspended_at)) if operator.suspended_at else None,
        )
        for operator in ctx.gateway.suspensions.operators()
    ]
    return ctx.page("fournisseur/acces.html", status=status, rows=rows, erreur=erreur, ok=ctx.request.arg("ok"))


def suspend_operator(ctx: Context, code: str) -> Response:
    try:
        ctx.gateway.suspensions.suspend(code, reason=ctx.request.field("motif"), author=ctx.staff.author)
    except EsavError as exc:
        return access(ctx, erreur=exc.libelle, status=422)
    return redirect(f"{STAFF_PREFIX}/acces", ok="suspendu")


def resume_operator(ctx: Context, code: str) -> Response:
    try:
        ctx.gateway.suspensions.resume(code, reason=ctx.request.field("motif"), author=ctx.staff.author)
    except EsavError as exc:
        return access(ctx, erreur=exc.libelle, status=422)
    return redirect(f"{STAFF_PREFIX}/acces", ok="repris")
