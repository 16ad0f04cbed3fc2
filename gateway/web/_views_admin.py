"""The operator's administrator: its users, their profiles (e-services, offers read or write), suspension."""

from __future__ import annotations

from gateway.errors import EsavError
from gateway.services import ADMINISTRATOR, ESERVICES, READ, USER, WRITE

from ._app import Context
from ._http import HttpError, Response, redirect

__all__ = ["create_user", "edit_user", "remove_user", "save_profile", "set_status", "users"]


def users(ctx: Context, erreur: str | None = None, status: int = 200) -> Response:
    admin = ctx.require_admin()
    return ctx.page(
        "admin/utilisateurs.html",
        status=status,
        users=ctx.gateway.accounts.users(admin),
        erreur=erreur,
        values=ctx.request.form if erreur else {},
    )


def create_user(ctx: Context) -> Response:
    admin = ctx.require_admin()
    request = ctx.request
    try:
        user = ctx.gateway.accounts.create_user(
            admin,
            admin.user.operator_code,
            request.field("login"),
            request.field("nom"),
            request.field("password"),
            role=USER,
        )
    except EsavError as exc:
        return users(ctx, erreur=exc.libelle, status=422)
    return redirect(f"/admin/utilisateurs/{user.id}", ok="cree")


def _user_id(text: str) -> int:
    if not text.isdigit():
        raise HttpError(404, "Utilisateur introuvable.")
    return int(text)


def edit_user(ctx: Context, user_id: str, erreur: str | None = None, status: int = 200) -> Response:
    admin = ctx.require_admin()
    try:
        user = ctx.gateway.accounts.user(admin, _user_id(user_id))
    except EsavError:
        raise HttpError(404, "Utilisateur introuvable.") from None
    return ctx.page(
        "admin/profil.html",
        status=status,
        u=user,
        eservices=ESERVICES,
        offers=ctx.gateway.accounts.offers_held(admin.user.operator_code),
        roles=((USER, "Utilisateur"), (ADMINISTRATOR, "Administrateur")),
        modes=(("", "Aucun accès"), (READ, "Lecture"), (WRITE, "Lecture et écriture")),
        erreur=erreur,
    )


def save_profile(ctx: Context, user_id: str) -> Response:
    admin = ctx.require_admin()
    request = ctx.request
    held = ctx.gateway.accounts.offers_held(admin.user.operator_code)
    offers = {offer: request.field(f"offre_{offer}") for offer in held if request.field(f"offre_{offer}")}
    try:
        ctx.gateway.accounts.set_profile(
            admin, _user_id(user_id), request.field("role"), frozenset(request.fields("eservice")), offers
        )
    except EsavError as exc:
        return edit_user(ctx, user_id, erreur=exc.libelle, status=422)
    return redirect(f"/admin/utilisateurs/{user_id}", ok="profil")


def set_status(ctx: Context, user_id: str) -> Response:
    admin = ctx.require_admin()
    try:
        ctx.gateway.accounts.set_status(admin, _user_id(user_id), ctx.request.field("actif") == "oui")
    except EsavError as exc:
        return edit_user(ctx, user_id, erreur=exc.libelle, status=422)
    return redirect(f"/admin/utilisateurs/{user_id}", ok="statut")


def remove_user(ctx: Context, user_id: str) -> Response:
    admin = ctx.require_admin()
    try:
        ctx.gateway.accounts.remove_user(admin, _user_id(user_id))
    except EsavError as exc:
        return edit_user(ctx, user_id, erreur=exc.libelle, status=422)
    return redirect("/admin/utilisateurs", ok="supprime")
