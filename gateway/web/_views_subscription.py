"""The e-SAV order form ("bon de commande"), submitted by the operator's administrator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.domain.subscriptions import ACCESS_MODES, FIELDS, MANDATORY
from gateway.errors import EsavError

from ._app import Context
from ._http import Response

__all__ = ["order_form", "order_form_errors", "subscription_form", "subscription_submit"]


def order_form(values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What ``_bon_de_commande.html`` needs: the fields, what was typed and the errors by field
    (the operator's page and the provider's show the same form)."""
    values = values or {}
    return {
        "fields": FIELDS,
        "mandatory": MANDATORY,
        "modes": ACCESS_MODES,
        "values": values,
        "chosen": set(values.get("acces", "").split()),
        "errors": errors or {},
    }


def order_form_errors(exc: EsavError) -> dict[str, str]:
    """A refused order form's problems by field name (the whole refusal under its field, or none)."""
    return {d.chemin: d.libelle for d in exc.details} or {exc.chemin or "": exc.libelle}


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
        sent=sent,
        subscriptions=ctx.gateway.subscriptions.of_operator(admin.caller.operator_code),
        **order_form(values, errors),
    )


def subscription_submit(ctx: Context) -> Response:
    admin = ctx.require_admin()
    request = ctx.request
    values = {name: request.field(name) for name in FIELDS}
    access = frozenset(request.fields("acces"))
    try:
        sent = ctx.gateway.subscriptions.submit(admin.caller.operator_code, values, access, admin.user.login)
    except EsavError as exc:
        return subscription_form(ctx, {**values, "acces": " ".join(sorted(access))}, order_form_errors(exc), status=422)
    return subscription_form(ctx, sent=sent)
