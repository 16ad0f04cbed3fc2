"""The portal's request cycle: routing, the server-side session and its CSRF token, rights, errors.

Every request gets a session (anonymous before login) kept server-side; the browser holds only its
random id in a Secure, HttpOnly, SameSite=Lax cookie. Every POST must carry the session's CSRF token
(403 otherwise). Pages that need a user redirect to the login page; a page or object the user may
not reach answers 404, so that its existence is not revealed.

Two kinds of accounts share the login page and the session machinery: an operator's users (the
operator's pages) and the provider's agents (the staff's pages under /fournisseur). Each kind gets
404 on the other's pages; an agent's home is /fournisseur.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.errors import EsavError, NotEntitledError, NotRecordedError
from gateway.services import Gateway, PortalUser, ProviderAgent, WebSession

from ._http import HttpError, Response, WebRequest, redirect
from ._templates import Templates

__all__ = ["SESSION_COOKIE", "SIGN_IN_PATH", "STAFF_PREFIX", "Context", "Route", "WebApp"]

log = logging.getLogger("gateway.web")

SESSION_COOKIE = "esav_session"
#: The login page; a POST there is a sign-in (logged as such, with the login tried).
SIGN_IN_PATH = "/connexion"
STAFF_PREFIX = "/fournisseur"
Handler = Callable[..., Response]


@dataclass
class Context:
    """What a handler works with: the request, the session and user, the gateway, the templates."""

    request: WebRequest
    gateway: Gateway
    templates: Templates
    session: WebSession
    user: PortalUser | None
    new_cookie: str | None = None  # a session id to set on the response
    nav: list[tuple[str, str]] = field(default_factory=list)
    agent: ProviderAgent | None = None  # a provider's agent (staff pages), never with ``user``

    @property
    def staff(self) -> ProviderAgent:
        assert self.agent is not None  # staff routes are only reached with an agent
        return self.agent

    @property
    def portal_user(self) -> PortalUser:
        assert self.user is not None  # routes needing a user are only reached with one
        return self.user

    def page(self, template: str, status: int = 200, **variables: Any) -> Response:
        body = self.templates.render(
            template,
            user=self.user,
            agent=self.agent,
            csrf=self.session.record.csrf_token,
            nav=self.nav,
            path=self.request.path,
            message=_MESSAGES.get(self.request.arg("ok")),
            **variables,
        )
        return Response(status=status, body=body)

    def require_eservice(self, eservice: str) -> PortalUser:
        """The user, if its profile and operator open ``eservice``; 404 otherwise."""
        user = self.portal_user
        if eservice not in user.eservices:
            raise HttpError(404, "Page introuvable.")
        return user

    def require_admin(self) -> PortalUser:
        user = self.portal_user
        if not user.is_admin:
            raise HttpError(404, "Page introuvable.")
        return user


#: Confirmation messages shown after a redirect (``?ok=code``): fixed texts, nothing echoed.
_MESSAGES = {
    "complete": "Votre complément a été enregistré.",
    "annule": "La signalisation a été annulée.",
    "refus": "Le refus de clôture a été enregistré.",
    "rdv": "Le rendez-vous est réservé.",
    "profil": "Le profil a été enregistré.",
    "statut": "Le statut du compte a été changé.",
    "supprime": "L'utilisateur a été supprimé.",
    "cree": "L'utilisateur a été créé.",
    "deconnecte": "Vous êtes déconnecté.",
    "publie": "La publication est enregistrée.",
    "abonnement": "L'abonnement est enregistré.",
    "adresse": "L'adresse de notification est ajoutée.",
    "adresse-retiree": "L'adresse de notification est retirée.",
}


def _account(context: Context) -> str | None:
    """Who the request is from, for the log: the login tried at sign-in, else the session's account."""
    if context.request.path == SIGN_IN_PATH and context.request.method == "POST":
        return context.request.field("login") or None
    if context.user is not None:
        return f"{context.user.caller.operator_code}/{context.user.user.login}"
    if context.agent is not None:
        return context.agent.author
    return None


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    login_required: bool = True
    staff: bool = False  # a provider's agent only (404 to operators' users)
    shared: bool = False  # any logged-in account, user or agent (logout)


class WebApp:
    """Dispatches a WebRequest to its handler with the session, rights and CSRF checks around it."""

    def __init__(
        self,
        gateway: Gateway,
        nav: Callable[[PortalUser | None], list[tuple[str, str]]],
        staff_nav: Callable[[ProviderAgent], list[tuple[str, str]]] | None = None,
    ) -> None:
        self.gateway = gateway
        self.templates = Templates()
        self._routes: list[Route] = []
        self._nav = nav
        self._staff_nav = staff_nav or (lambda agent: [])

    def route(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        login_required: bool = True,
        staff: bool = False,
        shared: bool = False,
    ) -> None:
        """Add a route; ``{name}`` in ``path`` matches one path segment, passed to the handler by name."""
        regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
        self._routes.append(Route(method, re.compile(regex), handler, login_required, staff, shared))

    def handle(self, request: WebRequest, request_id: str | None = None) -> Response:
        """The response to ``request``; ``request_id`` (the portal's log) is the incident id of an internal error."""
        accounts = self.gateway.accounts
        session = accounts.session(request.cookies.get(SESSION_COOKIE))
        new_cookie = None
        if session is None:
            session = accounts.new_session()
            new_cookie = session.session_id
        user = accounts.portal_user(session)
        agent = accounts.agent(session) if user is None else None
        nav = self._staff_nav(agent) if agent is not None else self._nav(user)
        context = Context(request, self.gateway, self.templates, session, user, new_cookie, nav, agent)
        try:
            response = self._dispatch(context)
        except HttpError as exc:
            response = context.page("erreur.html", status=exc.status, erreur=exc.message)
        except NotEntitledError:
            response = context.page("erreur.html", status=404, erreur="Page introuvable.")
        except NotRecordedError as exc:  # group commit off: a write block's own commit failed
            return self.not_recorded(request, exc)
        except EsavError as exc:
            response = context.page("erreur.html", status=400, erreur=exc.libelle)
        except Exception:
            incident = request_id or secrets.token_hex(6)
            log.exception("web page failed, incident %s", incident)
            response = context.page(
                "erreur.html", status=500, erreur=f"Erreur interne du fournisseur, incident {incident}."
            )
        if context.new_cookie is not None:
            response.cookies[SESSION_COOKIE] = (context.new_cookie, None)
        response.account = _account(context)
        return response

    def not_recorded(self, request: WebRequest, error: NotRecordedError) -> Response:
        """The answer to a request whose writes could not be committed: an error page, 500, showing
        nothing as done (no confirmation, no reference) and setting no cookie (no session was stored)."""
        body = self.templates.render(
            "erreur.html", user=None, agent=None, csrf="", nav=[], path=request.path, message=None, erreur=error.libelle
        )
        return Response(status=500, body=body)

    def _dispatch(self, context: Context) -> Response:
        request = context.request
        allowed = []
        for route in self._routes:
            match = route.pattern.match(request.path)
            if match is None:
                continue
            allowed.append(route.method)
            if route.method != request.method:
                continue
            if request.method == "POST" and not context.gateway.accounts.csrf_ok(
                context.session, request.field("csrf")
            ):
                raise HttpError(403, "Formulaire expiré ou invalide (jeton CSRF) : rechargez la page et recommencez.")
            if route.staff and context.agent is None:
                if context.user is not None:  # an operator's user: the staff's pages do not exist for it
                    raise HttpError(404, "Page introuvable.")
                return redirect("/connexion", suite=request.path)
            if route.login_required and not route.staff and not route.shared and context.agent is not None:
                if request.path == "/":
                    return redirect(STAFF_PREFIX)
                raise HttpError(404, "Page introuvable.")  # an operator's page: not the staff's
            if route.login_required and context.user is None and context.agent is None:
                return redirect("/connexion", suite=request.path)
            return route.handler(context, **match.groupdict())
        if allowed:
            raise HttpError(405, "Méthode non autorisée.")
        raise HttpError(404, "Page introuvable.")
