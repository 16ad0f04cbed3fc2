"""The e-SAV order form ("bon de commande"), submitted by the operator's administrator."""

from __future__ import annotations

from gateway.domain.subscriptions import ACCESS_MODES, FIELDS, MANDATORY
from gateway.errors import EsavError

from ._app import Context
from ._http import Response

__all__ = ["subscription_form", "subscription_submit"]


def subscription_form(
    ctx: Context,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    sent: object = None,
    status: int = 200,
) -> Response:
    admin = ctx.require_admin()
    return ctx.page(
        "espace/abonnement.html",
        status=status,
        fields=FIELDS,
        mandatory=MANDATORY,
        modes=ACCESS_MODES,
        values=values or {},
        chosen=set((values or {}).get("acces", "").split()),
        errors=errors or {},
        sent=sent,
        subscriptions=ctx.gateway.subscriptions.of_operator(admin.caller.operator_code),
    )


def subscription_submit(ctx: Context) -> Response:
    admin = ctx.require_admin()
    request = ctx.request
    values = {name: request.field(name) for name in FIELDS}
    access = frozenset(request.fields("acces"))
    try:
        sent = ctx.gateway.subscriptions.submit(admin.caller.operator_code, values, access, admin.user.login)
    except EsavError as exc:
        errors = {d.chemin: d.libelle for d in exc.details} or {"": exc.libelle}
        return subscription_form(ctx, {**values, "acces": " ".join(sorted(access))}, errors, status=422)
    return subscription_form(ctx, sent=sent)
