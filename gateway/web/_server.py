"""Serving the portal from the gateway's Twisted process, over HTTPS on its own port (server TLS only)."""

from __future__ import annotations

import functools
import logging
import mimetypes
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from twisted.internet import reactor as default_reactor
from twisted.internet.ssl import CertificateOptions, TLSVersion
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.config import Settings
from gateway.errors import AuthenticationError, ConfigError, NotRecordedError
from gateway.security.pki import load_certificates
from gateway.server import PkiFiles, limited_site, listen_tls
from gateway.services import Gateway

from ._app import SIGN_IN_PATH
from ._http import Response, WebRequest
from ._multipart import UploadedPart, parse_multipart
from ._routes import build_app
from ._templates import STATIC_DIR

__all__ = ["RunningWeb", "build_web_site", "start_web", "web_tls_options"]

#: One record per sign-in, failed sign-in and write (every POST), after its commit: the portal's
#: counterpart of ``gateway.calls`` (the JSON formatter writes the fields as one object).
portal_log = logging.getLogger("gateway.portal")

# Pages are private to the user: no caching, no framing, no guessing of types, scripts from here only.
_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=31536000",
}


class PortalResource(Resource):
    """The one Twisted resource of the portal: turns a Twisted request into a WebRequest and back.

    A page is answered only once what its request wrote is durably committed (``Gateway.durable``,
    as for the SOAP calls): with group commit, the request's writes are committed before the page,
    its redirect or its cookie leave; a failed commit answers an error page instead.
    """

    isLeaf = True  # noqa: N815 - Twisted's interface

    def __init__(self, gateway: Gateway) -> None:
        super().__init__()
        self._app = build_app(gateway)
        self._durable = gateway.durable

    def render(self, request: Any) -> bytes:
        path = request.path.decode("utf-8", "replace")
        if getattr(request, "body_too_large", False):
            return self._send(request, Response(413, b"Envoi trop volumineux.", "text/plain; charset=utf-8"))
        if path.startswith("/static/"):
            return self._static(request, path.removeprefix("/static/"))
        form, files = _form(request)
        web_request = WebRequest(
            method=request.method.decode("ascii", "replace"),
            path=path.rstrip("/") or "/",
            query=parse_qs(request.uri.partition(b"?")[2].decode("utf-8", "replace")),
            form=form,
            files=files,
            cookies={k.decode("latin-1"): v.decode("latin-1") for k, v in request.received_cookies.items()},
            client_ip=str(getattr(request.getClientAddress(), "host", "")),
        )
        request_id = uuid.uuid4().hex[:16]
        started = time.time()
        handled: Response | None = None
        try:
            with self._durable.committed():
                handled = self._app.handle(web_request, request_id)
            response = handled
        except NotRecordedError as error:
            response = self._app.not_recorded(web_request, error)
            response.account = handled.account if handled is not None else None
        response.headers["X-Request-Id"] = request_id
        _log_event(web_request, response, request_id, started)
        return self._send(request, response)

    def _static(self, request: Any, name: str) -> bytes:
        target = (STATIC_DIR / name).resolve()
        if STATIC_DIR.resolve() not in target.parents or not target.is_file():
            return self._send(request, Response(404, b"Introuvable", "text/plain; charset=utf-8"))
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        response = Response(200, target.read_bytes(), kind, {"Cache-Control": "max-age=3600"})
        return self._send(request, response)

    @staticmethod
    def _send(request: Any, response: Response) -> bytes:
        request.setResponseCode(response.status)
        request.setHeader(b"Content-Type", response.content_type.encode())
        headers = {"Cache-Control": "no-store", **_SECURITY_HEADERS, **response.headers}
        for name, value in headers.items():
            request.setHeader(name.encode(), value.encode("utf-8"))
        for name, (value, max_age) in response.cookies.items():
            request.addCookie(
                name.encode(),
                value.encode(),
                path=b"/",
                secure=True,
                httpOnly=True,
                sameSite="lax",
                max_age=None if max_age is None else str(max_age).encode(),
            )
        return response.body


def _log_event(request: WebRequest, response: Response, request_id: str, started: float) -> None:
    """Log a sign-in, a failed sign-in or a write, once its outcome is known (never a form's values)."""
    if request.method != "POST" or not portal_log.isEnabledFor(logging.INFO):
        return
    if request.path == SIGN_IN_PATH:
        event = "connexion" if response.status == 303 else "connexion_refusee"
    else:
        event = "ecriture"
    fields = {
        "ts": datetime.fromtimestamp(started, UTC).isoformat(timespec="milliseconds"),
        "request_id": request_id,
        "event": event,
        "account": response.account,
        "method": request.method,
        "path": request.path,
        "http_status": response.status,
        "client_ip": request.client_ip,
        "duration_ms": round((time.time() - started) * 1000.0, 3),
    }
    portal_log.info(
        "%s %s %s %s %d %r", request_id, event, request.method, request.path, response.status, response.account,
        extra={"esav_event": fields},
    )  # fmt: skip


def _form(request: Any) -> tuple[dict[str, list[str]], dict[str, list[UploadedPart]]]:
    """The POSTed fields and files (urlencoded or multipart), decoded as UTF-8."""
    if request.method != b"POST" or request.content is None:
        return {}, {}
    request.content.seek(0)  # Twisted has already read it once to fill ``args``
    body = request.content.read()
    kind = (request.getHeader(b"content-type") or b"").decode("latin-1")
    if kind.startswith("multipart/form-data"):
        return parse_multipart(body, kind)
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True), {}


def web_tls_options(server_cert_pem: bytes, server_key_pem: bytes) -> CertificateOptions:
    """Server-only TLS for the portal: TLS 1.2 minimum and no client certificate asked for (browsers
    would otherwise offer a certificate picker); the web services keep mutual TLS on their own port."""
    try:
        chain = load_certificates(server_cert_pem)
        key = serialization.load_pem_private_key(server_key_pem, password=None)
    except (AuthenticationError, ValueError, TypeError) as exc:
        raise ConfigError(f"TLS du portail : certificat ou clé du serveur illisible ({exc})") from exc
    return CertificateOptions(
        privateKey=key,  # type: ignore[arg-type]
        certificate=chain[0],  # type: ignore[arg-type]
        extraCertChain=chain[1:],  # type: ignore[arg-type]
        raiseMinimumTo=TLSVersion.TLSv1_2,
    )


def build_web_site(gateway: Gateway, settings: Settings) -> Site:
    on_timeout = functools.partial(gateway.volumetry.record_request_timeout, "portal")
    return limited_site(PortalResource(gateway), settings, html_forms=True, on_request_timeout=on_timeout)


@dataclass
class RunningWeb:
    port: Any

    @property
    def port_number(self) -> int:
        return int(self.port.getHost().port)

    def stop(self) -> Any:
        return self.port.stopListening()


def start_web(gateway: Gateway, settings: Settings, pki: PkiFiles, reactor: Any = default_reactor) -> RunningWeb:
    """Listen for the portal on ``settings.web_port`` (call in the reactor thread)."""
    options = web_tls_options(pki.server_cert.read_bytes(), pki.server_key.read_bytes())
    gateway.documentation.versions = settings.versions  # the Documents page's specifications, per version
    site = build_web_site(gateway, settings)
    port = listen_tls(reactor, settings.web_port, site, options, settings.host, proxy_protocol=settings.proxy_protocol)
    return RunningWeb(port)
