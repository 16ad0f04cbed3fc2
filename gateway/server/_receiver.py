"""The reference receiver of notifications: what an operator's endpoint does, runnable to try it.

It serves ``notifierEvenement`` (``gateway.ws.v2.notification``) over HTTPS, accepts only clients
whose certificate chains to the given CA (the provider's), and hands every ``evenement`` received to
a sink; ``EventLog`` appends them to a JSON-lines file and prints one line each. Duplicates (the
same ``idEvenement`` again, after a retry) are kept in the file and flagged, so that a test or an
operator sees them; a real endpoint drops them by ``idEvenement``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree
from spyne.server.wsgi import WsgiApplication

from gateway.config import Settings
from gateway.ws.v2 import notification

from ._host import SoapResource
from ._site import limited_site
from .tls import server_tls_options

__all__ = ["EventLog", "ReceivedEvent", "start_receiver"]


class ReceivedEvent(dict[str, Any]):
    """One received event: ``idEvenement``, ``typeEvenement``, ``reference``, ``xml`` (as received)."""


class EventLog:
    """Keeps every event received, in arrival order, optionally appended to a JSON-lines file."""

    def __init__(self, path: Path | None = None, echo: Callable[[str], None] | None = None) -> None:
        self._path = path
        self._echo = echo
        self._lock = threading.Lock()
        self.received: list[ReceivedEvent] = []

    def __call__(self, element: etree._Element) -> None:
        def text(name: str) -> str | None:
            found = element.find(f"{{{notification.NAMESPACE}}}{name}")
            return found.text if found is not None else None

        event = ReceivedEvent(
            idEvenement=int(text("idEvenement") or 0),
            typeEvenement=text("typeEvenement"),
            reference=text("referenceSignalisation") or text("idTest"),
            xml=etree.tostring(element, encoding="unicode"),
        )
        with self._lock:
            duplicate = any(e["idEvenement"] == event["idEvenement"] for e in self.received)
            self.received.append(event)
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(event, ensure_ascii=False) + "\n")
        if self._echo is not None:
            flag = " (doublon)" if duplicate else ""
            self._echo(f"{event['idEvenement']} {event['typeEvenement']} {event['reference']}{flag}")


def start_receiver(
    reactor: Any,
    *,
    port: int,
    cert: Path,
    key: Path,
    ca: Path,
    on_event: notification.EventHandler,
    host: str = "127.0.0.1",
) -> Any:
    """Listen on ``host:port`` (0: chosen by the OS) with mutual TLS; returns the listening port."""
    options = server_tls_options(cert.read_bytes(), key.read_bytes(), [ca.read_bytes()])
    app = WsgiApplication(notification.build_application(on_event=on_event))
    root = SoapResource(app, notification.NAMESPACE, max_depth=64, version="v2", service="notification")
    # Twisted's channel for every path (the receiver answers on any), with the gateway's limits.
    site = limited_site(root, Settings())
    return reactor.listenSSL(port, site, options, interface=host)
