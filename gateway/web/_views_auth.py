"""Login and logout."""

from __future__ import annotations

from gateway.errors import AuthenticationError

from ._app import STAFF_PREFIX, Context
from ._http import Response, redirect

__all__ = ["login_form", "login_submit", "logout"]


def _next_page(value: str) -> str:
    """Where to go after login: a path of this site only (never ``//host`` or ``https://...``)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _landing(suite: str, agent: bool) -> str:
    """Where an account lands after login: the staff's pages for an agent, the operator's otherwise."""
    staff_page = suite == STAFF_PREFIX or suite.startswith(STAFF_PREFIX + "/")
    if agent:
        return suite if staff_page else STAFF_PREFIX
    return "/" if staff_page else suite


def login_form(ctx: Context) -> Response:
    if ctx.user is not None:
        return redirect("/")
    if ctx.agent is not None:
        return redirect(STAFF_PREFIX)
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
    return redirect(_landing(_next_page(request.field("suite", "/")), session.record.agent_id is not None))


def logout(ctx: Context) -> Response:
    ctx.gateway.accounts.end_session(ctx.session.session_id)
    ctx.new_cookie = ctx.gateway.accounts.new_session().session_id
    return redirect("/connexion", ok="deconnecte")
