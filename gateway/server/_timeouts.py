"""Time limits on connections: a whole request within ``request_timeout_s``, idle keep-alive
connections within ``idle_timeout_s``.

Twisted's own ``timeOut`` is an idle timer, reset by every byte received: a client sending one
byte every few seconds holds a connection, and the request it never finishes, for ever. The
channel here adds one timer per request, started by the request's first byte and cancelled once
the request (line, headers and body) is complete: a request still incomplete when it fires gets
``408 Request Timeout`` and its connection is closed. Between requests only the idle timer runs,
so a keep-alive connection waiting for its next request is never cut by the request timer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web.http import HTTPChannel
from twisted.web.server import Site

from gateway.security.pki import fingerprint

from .tls import peer_certificate_der

__all__ = ["TimedChannel", "limit_connection_times"]

log = logging.getLogger("gateway.server")

_REQUEST_TIMEOUT_BODY = "Requête reçue trop lentement : connexion fermée.\n".encode()
_REQUEST_TIMEOUT_ANSWER = (
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_REQUEST_TIMEOUT_BODY), _REQUEST_TIMEOUT_BODY)
)


class TimedChannel(HTTPChannel):
    """An HTTP/1.1 channel whose every request must be received within ``request_timeout_s``."""

    request_timeout_s: float = 30.0
    #: Called once per connection closed by the request timer (counting for ``/metrics``).
    on_request_timeout: Callable[[], None] | None = None
    _request_timer: Any = None
    _fingerprint: tuple[str | None] | None = None
    #: True once the connection is closed (a batch then waits for no request of it).
    closed = False

    def client_fingerprint(self) -> str | None:
        """SHA-256 of the connection's verified client certificate, if any, computed once per
        connection (OpenSSL 3 refuses a client's renegotiation and the server never starts one: the
        certificate cannot change)."""
        if self._fingerprint is None:
            der = peer_certificate_der(self.transport)
            self._fingerprint = (fingerprint(der) if der else None,)
        return self._fingerprint[0]

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's interface
        # A request's first byte: between requests (keep-alive) and during a request's processing
        # (its bytes are then buffered by Twisted) no request timer runs.
        if not self._handlingRequest and data:
            self._start_request_timer()
        super().dataReceived(data)

    def allContentReceived(self) -> None:  # noqa: N802 - Twisted's interface
        self._cancel_request_timer()
        super().allContentReceived()

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802 - Twisted's interface
        self.closed = True
        self._cancel_request_timer()
        super().connectionLost(reason)

    def _start_request_timer(self) -> None:
        """A request has begun: it must arrive whole within ``request_timeout_s`` (once per request)."""
        if self._request_timer is None:
            self._request_timer = self.callLater(self.request_timeout_s, self._request_timed_out)

    def _cancel_request_timer(self) -> None:
        if self._request_timer is not None:
            if self._request_timer.active():
                self._request_timer.cancel()
            self._request_timer = None

    def _request_timed_out(self) -> None:
        self._request_timer = None
        transport: Any = self.transport
        log.warning(
            "request not received within %g s from %s: connection closed",
            self.request_timeout_s,
            getattr(transport.getPeer(), "host", "?"),
        )
        if self.on_request_timeout is not None:
            try:
                self.on_request_timeout()
            except Exception:  # counting must never keep the connection open
                log.exception("counting a request timeout failed")
        transport.write(_REQUEST_TIMEOUT_ANSWER)
        # As Twisted's idle timeout does: close cleanly, and abort if the client does not let go.
        self.setTimeout(None)
        if self.abortTimeout is not None:
            self._abortingCall = self.callLater(self.abortTimeout, self.forceAbortClient)
        self.loseConnection()


def limit_connection_times(
    site: Site, request_timeout_s: float, idle_timeout_s: float, on_request_timeout: Callable[[], None] | None
) -> Site:
    """Serve ``site`` with ``TimedChannel`` connections and the given limits; returns ``site``."""
    attributes: dict[str, Any] = {"request_timeout_s": request_timeout_s}
    if on_request_timeout is not None:
        attributes["on_request_timeout"] = staticmethod(on_request_timeout)
    site.protocol = type("TimedChannelWithLimit", (TimedChannel,), attributes)  # type: ignore[method-assign]
    site.timeOut = idle_timeout_s
    return site
