"""The operator's administrator: the addresses that receive the provider's notices, list by list."""

from __future__ import annotations

from collections.abc import Callable

from gateway.domain.mail_lists import MailList
from gateway.errors import EsavError

from ._app import Context
from ._http import Response, redirect

__all__ = ["add_address", "addresses", "remove_address"]


def addresses(ctx: Context, erreur: str | None = None, status: int = 200) -> Response:
    admin = ctx.require_admin()
    return ctx.page(
        "admin/adresses.html",
        status=status,
        addresses=ctx.gateway.mail.addresses(admin.caller.operator_code),
        lists=[(m.value, m.libelle) for m in MailList],
        erreur=erreur,
        values=ctx.request.form if erreur else {},
    )


def add_address(ctx: Context) -> Response:
    return _change_address(ctx, ctx.gateway.mail.add_address, ok="adresse")


def remove_address(ctx: Context) -> Response:
    return _change_address(ctx, ctx.gateway.mail.remove_address, ok="adresse-retiree")


def _change_address(ctx: Context, change: Callable[..., object], *, ok: str) -> Response:
    """Add or remove one address of one list for the administrator's operator; errors under the form."""
    admin = ctx.require_admin()
    try:
        change(
            admin.caller.operator_code,
            ctx.request.field("liste"),
            ctx.request.field("adresse"),
            author=f"{admin.caller.operator_code}/{admin.user.login}",
        )
    except EsavError as exc:
        return addresses(ctx, erreur=exc.libelle, status=422)
    return redirect("/admin/adresses", ok=ok)
