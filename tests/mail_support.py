"""A real SMTP relay for the mail tests: aiosmtpd on a loopback port chosen by the OS, in its own thread.

It keeps every message it accepts (envelope and parsed MIME message) and can be told to refuse
recipients (5xx), to defer the data (4xx) a number of times, to require STARTTLS and a login.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

__all__ = ["Received", "SmtpRelay", "attachments_of", "parts_of"]


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    authenticated_as: str | None


@dataclass
class _Behaviour:
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    defer_data: int = 0  # DATA answered 451 this many times


class _Handler:
    def __init__(self, relay: SmtpRelay) -> None:
        self._relay = relay

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,
        options: Any,
    ) -> str:
        if address in self._relay.behaviour.refuse:
            return "550 5.1.1 Unknown recipient"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self,
        server: Any,
        session: Any,
        envelope: Any,
    ) -> str:
        if self._relay.behaviour.defer_data > 0:
            self._relay.behaviour.defer_data -= 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self._relay.lock:
            self._relay.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message, login))
        return "250 OK"


class SmtpRelay:
    """``with SmtpRelay() as relay:`` ... ``relay.port``, ``relay.wait_for(n)``."""

    def __init__(self, *, tls: tuple[Path, Path] | None = None, credentials: tuple[str, str] | None = None) -> None:
        self.behaviour = _Behaviour()
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self._tls = tls
        self._credentials = credentials
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="smtp-relay", daemon=True)
        self._server: Any = None
        self.port = 0

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login.decode(), data.password.decode()) == self._credentials
        # handled=False: the server answers 535 itself on a failure.
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def _factory(self) -> SMTP:
        context = None
        if self._tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self._tls[0]), str(self._tls[1]))
        return SMTP(
            _Handler(self),
            hostname="localhost",
            tls_context=context,
            require_starttls=context is not None,
            authenticator=self._authenticate if self._credentials else None,
            auth_require_tls=True,
            loop=self._loop,
        )

    def __enter__(self) -> SmtpRelay:
        self._thread.start()

        async def serve() -> Any:
            return await self._loop.create_server(self._factory, host="127.0.0.1", port=0)

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def __exit__(self, *exc: object) -> None:
        async def close() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """The messages received, once there are at least ``count`` (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} message(s) received, {count} expected")


def parts_of(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies of a message."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, "a plain and an HTML part are expected"
    return str(text.get_content()), str(html.get_content())


def attachments_of(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    """File name → (content type, bytes) of every attachment."""
    found = {}
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        name = part.get_filename()
        assert name is not None
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[name] = (part.get_content_type(), payload)
    return found
