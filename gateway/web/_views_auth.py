"""Login and logout."""

from __future__ import annotations

from gateway.errors import AuthenticationError

from ._app import STAFF_PREFIX, Context
from ._http import Response, redirect
from ._redirects import same_origin_path

__all__ = ["login_form", "login_submit", "logout"]


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
    return ctx.page("connexion.html", suite=same_origin_path(ctx.request.arg("suite", "/")), erreur=None, login="")


def login_submit(ctx: Context) -> Response:
    request = ctx.request
    login = request.field("login")
    try:
        session = ctx.gateway.accounts.login(login, request.field("password"), request.client_ip, ctx.session)
    except AuthenticationError as exc:
        status = 429 if exc.reessayer_dans else 401
        suite = same_origin_path(request.field("suite"))
        return ctx.page("connexion.html", status=status, suite=suite, erreur=exc.libelle, login=login)
    ctx.new_cookie = session.session_id  # a new id at login: a planted session id is worth nothing
    return redirect(_landing(same_origin_path(request.field("suite", "/")), session.record.agent_id is not None))


def logout(ctx: Context) -> Response:
    ctx.gateway.accounts.end_session(ctx.session.session_id)
    ctx.new_cookie = ctx.gateway.accounts.new_session().session_id
    return redirect("/connexion", ok="deconnecte")
