"""Login and logout."""

from __future__ import annotations

from gateway.errors import AuthenticationError

from ._app import Context
from ._http import Response, redirect

__all__ = ["login_form", "login_submit", "logout"]


def _next_page(value: str) -> str:
    """Where to go after login: a path of this site only (never ``//host`` or ``https://...``)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def login_form(ctx: Context) -> Response:
    if ctx.user is not None:
        return redirect("/")
    return ctx.page("connexion.html", suite=_next_page(ctx.request.arg("suite", "/")), erreur=None, login="")


def login_submit(ctx: Context) -> Response:
    request = ctx.request
    login = request.field("login")
    try:
        session = ctx.gateway.accounts.login(login, request.field("password"), request.client_ip, ctx.session)
    except AuthenticationError as exc:
        status = 429 if exc.reessayer_dans else 401
        return ctx.page(
            "connexion.html", status=status, suite=_next_page(request.field("suite")), erreur=exc.libelle, login=login
        )
    ctx.new_cookie = session.session_id  # a new id at login: a planted session id is worth nothing
    return redirect(_next_page(request.field("suite", "/")))


def logout(ctx: Context) -> Response:
    ctx.gateway.accounts.end_session(ctx.session.session_id)
    ctx.new_cookie = ctx.gateway.accounts.new_session().session_id
    return redirect("/connexion", ok="deconnecte")
