"""SOAP calls read and answered without twisted.web's request machinery.

twisted.web's ``HTTPChannel`` and ``Request`` cost about 0.25 ms of CPU a request here, four times
what TLS and the reactor cost together (bench/README.md, "The host's HTTP"): header objects, the
resource traversal, the producer pause and resume around every request, the ``Date`` string, the
deferreds of ``notifyFinish``. An operator's information system sends SOAP calls, nothing else, on
its keep-alive connections: ``LeanChannel`` reads those itself and hands each to its endpoint's
``SoapResource`` as a small request object (``LeanRequest``) offering the part of Twisted's request
interface the resource uses.

Only the plainest requests are read here: ``POST`` in HTTP/1.1 to an endpoint's exact path, a
``Content-Length`` within the body limit, no ``Transfer-Encoding``, no ``Expect``, no header line
Twisted might read differently (a repeated framing header, a folded line, a control character, a
space before the colon). Anything else — a WSDL ``GET``, HTTP/1.0, a chunked or oversized body, an
unknown path, a malformed request — hands the connection to Twisted's channel for good, the bytes
received so far included, and Twisted answers it exactly as it did before this channel existed.
The same limits apply on both sides: the request timer of ``TimedChannel`` (a request must arrive
whole within ``request_timeout_s``) and the idle timeout between requests.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from typing import Any, ClassVar

from twisted.internet.interfaces import ISSLTransport
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from twisted.web.http import RESPONSES
from twisted.web.server import NOT_DONE_YET, version

from ._timeouts import TimedChannel

__all__ = ["LeanChannel", "LeanRequest", "lean_soap"]

#: The longest request head (request line and headers) read here; a longer one goes to Twisted.
MAX_HEAD = 16 * 1024
#: Bytes buffered while a call is being answered before reading from the connection pauses.
MAX_BUFFERED = 256 * 1024

_CRLF2 = b"\r\n\r\n"
# A header line Twisted might read otherwise: a control character (tab aside), a lone CR or LF.
_UNUSUAL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# (A pattern rather than ``b"\r" in value``: CPython's ``in`` on bytes first tries the operand as an
# integer, and raises and clears a TypeError each time it is not one.)
_LINE_BREAK = re.compile(rb"[\r\n]")
# Headers that must appear once at most for this channel to read the request itself.
_SINGLE = frozenset({b"content-length", b"transfer-encoding", b"expect", b"host", b"content-type", b"connection"})
_SERVER = b"Server: " + version + b"\r\n"


class _Date:
    """The ``Date`` header's line, formatted once a second rather than once a request."""

    second = -1
    line = b""

    @classmethod
    def now(cls) -> bytes:
        second = int(time.time())
        if second != cls.second:
            cls.line = b"Date: " + time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(second)).encode() + b"\r\n"
            cls.second = second
        return cls.line


class _Head:
    """What the channel needs of a request's head."""

    __slots__ = ("close", "headers", "length", "uri")

    def __init__(self, uri: bytes, headers: list[tuple[bytes, bytes]], length: int, close: bool) -> None:
        self.uri, self.headers, self.length, self.close = uri, headers, length, close


def parse_head(head: bytes, paths: Any, max_body: int) -> _Head | None:
    """The request's head if this channel may serve it (see the module's docstring), else None."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[0] != b"POST" or parts[2] != b"HTTP/1.1" or parts[1] not in paths:
        return None
    headers: list[tuple[bytes, bytes]] = []
    seen: set[bytes] = set()
    length = -1
    close = False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not name or name.strip(b" \t") != name or _UNUSUAL.search(line):
            return None
        key = name.lower()
        if key in _SINGLE:
            if key in seen:
                return None
            seen.add(key)
        value = value.strip(b" \t")
        if key == b"content-length":
            if not value.isdigit():
                return None
            length = int(value)
        elif key == b"transfer-encoding" or key == b"expect":
            return None
        elif key == b"connection":
            close = b"close" in [token.strip().lower() for token in value.split(b",")]
        headers.append((name, value))
    if length < 0 or length > max_body:
        return None
    return _Head(parts[1], headers, length, close)


class _RawHeaders:
    """``requestHeaders`` as the resource reads it: ``getAllRawHeaders`` only."""

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self._headers = headers

    def getAllRawHeaders(self) -> Iterator[tuple[bytes, list[bytes]]]:  # noqa: N802 - Twisted's interface
        grouped: dict[bytes, tuple[bytes, list[bytes]]] = {}
        for name, value in self._headers:
            grouped.setdefault(name.lower(), (name, []))[1].append(value)
        return iter(grouped.values())


class LeanRequest:
    """One SOAP call read by ``LeanChannel``: the part of ``twisted.web``'s request interface that
    ``SoapResource`` uses, and one write of the whole answer when it finishes."""

    method = b"POST"
    clientproto = b"HTTP/1.1"
    max_body = 0
    body_too_large = False

    def __init__(self, channel: LeanChannel, head: _Head, body: bytes) -> None:
        self.channel = channel
        self.uri = self.path = head.uri
        self.content = io.BytesIO(body)
        self.requestHeaders = _RawHeaders(head.headers)
        self.max_body = channel.max_body
        self._head = head
        self._out: dict[bytes, tuple[bytes, bytes]] = {}
        self._body: list[bytes] = []
        self.code = 200
        self.code_message = b"OK"
        self.finished = False
        self._disconnected = False

    # Reading -------------------------------------------------------------------------------------

    def getHeader(self, name: str | bytes) -> bytes | None:  # noqa: N802 - Twisted's interface
        key = (name.encode("latin-1") if isinstance(name, str) else name).lower()
        found = None
        for header, value in self._head.headers:
            if header.lower() == key:
                found = value
        return found

    def getClientAddress(self) -> Any:  # noqa: N802 - Twisted's interface
        return self.channel.client_address()

    def getHost(self) -> Any:  # noqa: N802 - Twisted's interface
        transport: Any = self.channel.transport
        return transport.getHost()

    def isSecure(self) -> bool:  # noqa: N802 - Twisted's interface
        return ISSLTransport(self.channel.transport, None) is not None

    # Answering -----------------------------------------------------------------------------------

    def setResponseCode(self, code: int, message: bytes | None = None) -> None:  # noqa: N802 - Twisted's interface
        self.code = code
        self.code_message = message or RESPONSES.get(code, b"Unknown Status")

    def setHeader(self, name: str | bytes, value: str | bytes) -> None:  # noqa: N802 - Twisted's interface
        raw_name = name.encode("latin-1") if isinstance(name, str) else name
        raw_value = value.encode("latin-1") if isinstance(value, str) else value
        if _LINE_BREAK.search(raw_name) or _LINE_BREAK.search(raw_value):
            raise ValueError("header name or value holding a line break")  # as Twisted refuses it
        self._out[raw_name.lower()] = (raw_name, raw_value)

    def write(self, data: bytes) -> None:
        if self.finished:
            raise RuntimeError("write() after finish()")
        self._body.append(data)

    def finish(self) -> None:
        if self.finished:
            raise RuntimeError("finish() called twice")
        self.finished = True
        if self._disconnected:
            return
        body = b"".join(self._body)
        self._out.pop(b"content-length", None)
        lines = [b"HTTP/1.1 %d %s\r\n" % (self.code, self.code_message), _SERVER, _Date.now()]
        lines.extend(b"%s: %s\r\n" % pair for pair in self._out.values())
        if self._head.close:
            lines.append(b"Connection: close\r\n")
        lines.append(b"Content-Length: %d\r\n\r\n" % len(body))
        lines.append(body)
        self.channel.lean_request_done(self, b"".join(lines))


class LeanChannel(TimedChannel):
    """Reads the plain SOAP calls of its connection itself; hands the connection to Twisted's
    ``HTTPChannel`` at the first request it does not read (see the module's docstring)."""

    #: The SOAP endpoints this channel serves itself, by exact request path.
    soap_paths: ClassVar[dict[bytes, Any]] = {}
    max_body = 8 * 1024 * 1024

    _lean = True
    _current: LeanRequest | None = None
    _peer: Any = None  # ``client_address``, once asked
    _paused = False
    _closing = False
    _serving = False

    def __init__(self) -> None:
        super().__init__()
        # A bytearray: a large body arriving in many chunks is appended, not copied again at each one.
        self._lean_buffer = bytearray()

    def client_address(self) -> Any:
        """The client's address (behind a load balancer with the PROXY protocol: the one it names). It
        stays the same while the connection lasts: asked of the transport once, not an address object
        made a call."""
        if self._peer is None:
            transport: Any = self.transport
            self._peer = transport.getPeer()
        return self._peer

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted's interface
        if not self._lean:
            super().dataReceived(data)
            return
        self.resetTimeout()
        if self._closing:
            return  # after a request that closes the connection, as Twisted drops what follows
        self._lean_buffer += data
        if self._current is None:
            self._serve()
        elif len(self._lean_buffer) > MAX_BUFFERED and not self._paused:
            self._paused = True  # as Twisted does while it answers, bounded here by MAX_BUFFERED
            producer: Any = self._networkProducer
            producer.pauseProducing()

    def _serve(self) -> None:
        """Serve the complete requests buffered, one at a time (answers leave in request order). A call
        answered at once (a fault) asks for the next one from inside this loop: the loop takes it, so
        many calls sent ahead never nest."""
        if self._serving:
            return
        self._serving = True
        try:
            self._serve_buffered()
        finally:
            self._serving = False
        # A request begun and not complete: the request timer runs from its first byte (TimedChannel).
        if self._lean and self._current is None and self._lean_buffer:
            self._start_request_timer()

    def _serve_buffered(self) -> None:
        buffer = self._lean_buffer
        while self._lean and self._current is None and buffer and not self._closing:
            end = buffer.find(_CRLF2)
            if end < 0:
                if len(buffer) > MAX_HEAD:
                    self._hand_over()
                return
            head = parse_head(bytes(buffer[:end]), self.soap_paths, self.max_body)
            if head is None:
                self._hand_over()
                return
            start = end + 4
            stop = start + head.length
            if len(buffer) < stop:
                return  # the body is on its way
            body = bytes(buffer[start:stop])
            del buffer[:stop]
            self._cancel_request_timer()
            self._dispatch(head, body)

    def _dispatch(self, head: _Head, body: bytes) -> None:
        request = LeanRequest(self, head, body)
        self._current = request
        if head.close:
            self._closing = True
        resource = self.soap_paths[head.uri]
        try:
            result = resource.render_POST(request)
        except Exception:  # the resource answers its own failures; this is the last resort
            self._log.failure("SOAP call failed", failure=Failure())
            result = NOT_DONE_YET
            if not request.finished:
                request.setResponseCode(500)
                request.finish()
        if result is not NOT_DONE_YET and not request.finished:
            request.write(result)
            request.finish()

    def lean_request_done(self, request: LeanRequest, answer: bytes) -> None:
        """The answer of the request being served, written at once; then the next request."""
        transport: Any = self.transport
        transport.write(answer)
        self._current = None
        if request._head.close:
            self.loseConnection()
            return
        if self._paused:
            self._paused = False
            if not self._waitingForTransport:  # the transport's own pause (a slow reader) stands
                producer: Any = self._networkProducer
                producer.resumeProducing()
        if self._lean_buffer:
            self._serve()

    def _hand_over(self) -> None:
        """From now on Twisted's channel reads this connection, starting with what is buffered."""
        self._lean = False
        data = bytes(self._lean_buffer)
        self._lean_buffer.clear()
        super().dataReceived(data)

    def timeoutConnection(self) -> None:  # noqa: N802 - Twisted's interface
        if self._lean and self._current is not None:
            self.setTimeout(self.timeOut)  # never idle while a call is being answered (as Twisted)
            return
        super().timeoutConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802 - Twisted's interface
        if self._current is not None:
            self._current._disconnected = True
            self._current = None
        super().connectionLost(reason)


def lean_soap(site: Any, paths: dict[bytes, Any], max_body: int) -> Any:
    """Serve ``site``'s connections with ``LeanChannel`` (keeping its channel's limits); returns ``site``."""
    base = site.protocol
    attributes = {"soap_paths": dict(paths), "max_body": max_body}
    site.protocol = type("LeanChannelWithLimit", (LeanChannel, base), attributes)
    return site
