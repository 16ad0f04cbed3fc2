"""Slow clients: a request not received whole within ``request_timeout_s`` (from its first byte) is
answered 408 and its connection closed, on the web-services port and on the portal's; the closures
are counted in ``/metrics``; other clients are served meanwhile; idle keep-alive connections are not
cut by the request timer."""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from support import LiveGateway, SessionPki, deposit, in_reactor, start_gateway

#: The bound the tests run with; the slow client sends one byte every DRIP seconds.
BOUND_S = 0.5
DRIP_S = 0.2


@pytest.fixture
def strict(tmp_path: Path, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """A gateway and its portal that allow one second per request, with /metrics on loopback."""
    server = start_gateway(
        tmp_path / "data",
        session_pki,
        settings_overrides={"request_timeout_s": BOUND_S, "metrics_port": 0},
        web=True,
    )
    try:
        yield server
    finally:
        server.stop()


def tls_connection(live: LiveGateway, port: int, *, client_cert: bool) -> ssl.SSLSocket:
    """A TLS socket to ``port`` on loopback (with OPE001's certificate for the web services)."""
    context = ssl.create_default_context(cafile=str(live.pki.directory / "ca.pem"))
    if client_cert:
        context.load_cert_chain(*live.cert_files("OPE001"))
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return context.wrap_socket(raw, server_hostname="localhost")


def drip_until_closed(conn: ssl.SSLSocket, request: bytes, limit_s: float = 10.0) -> tuple[float, bytes]:
    """Send ``request`` one byte every DRIP_S seconds until the server answers and closes;
    (seconds from the first byte to the close, what the server sent)."""
    started = time.monotonic()
    received = b""
    conn.settimeout(DRIP_S)
    for byte in request:
        try:
            conn.sendall(bytes([byte]))
            received = conn.recv(4096)  # the server's answer, if any, within DRIP_S
        except TimeoutError:  # nothing yet: keep dripping
            assert time.monotonic() - started < limit_s, "the server never closed the connection"
            continue
        except OSError:  # reset, or closed under our feet
            pass
        break
    conn.settimeout(limit_s)
    while True:
        try:
            chunk = conn.recv(4096)
        except (ConnectionResetError, ssl.SSLError):
            break
        if not chunk:
            break
        received += chunk
    return time.monotonic() - started, received


def timeouts(live: LiveGateway) -> dict[str, float]:
    """``esav_request_timeouts_total`` per port, as /metrics serves it once the counts are flushed."""
    in_reactor(live.running.operations.flush)
    port = live.running.operations.metrics_port_number
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return {s.labels["port"]: s.value for s in families["esav_request_timeouts"].samples}


SLOW_SOAP = (
    b"POST /esav/v2/signalisation HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n"
    b'SOAPAction: ""\r\nContent-Length: 400\r\n\r\n' + b"<" * 400
)


def test_slow_soap_request_is_cut_counted_and_others_are_served(strict):
    """A client dripping a SOAP request is answered 408 and closed after the bound, counted in /metrics
    under port="web_services", while a zeep client deposits on the same port meanwhile."""
    assert timeouts(strict) == {"web_services": 0, "portal": 0}
    outcome: dict[str, object] = {}

    def others() -> None:
        time.sleep(0.3)
        outcome["etat"] = deposit(strict.client()).etat

    helper = threading.Thread(target=others)
    helper.start()
    with tls_connection(strict, strict.port, client_cert=True) as conn:
        elapsed, answer = drip_until_closed(conn, SLOW_SOAP)
    helper.join(30)
    assert BOUND_S * 0.9 <= elapsed < BOUND_S + 3, elapsed
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert outcome.get("etat") == "EN_DEPOT"
    assert timeouts(strict) == {"web_services": 1, "portal": 0}
    assert deposit(strict.client()).etat == "EN_DEPOT"  # still serving after the cut


def test_slow_portal_request_is_cut_and_counted(strict):
    """A client dripping the headers of a portal page is closed after the bound and counted under port="portal"."""
    with tls_connection(strict, strict.web.port_number, client_cert=False) as conn:
        elapsed, answer = drip_until_closed(conn, b"GET /connexion HTTP/1.1\r\nHost: localhost\r\n" + b"X: y\r\n" * 50)
    assert BOUND_S * 0.9 <= elapsed < BOUND_S + 3, elapsed
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:100]
    assert timeouts(strict) == {"web_services": 0, "portal": 1}
    page = requests.get(f"{strict.web_url}/connexion", verify=str(strict.pki.directory / "ca.pem"), timeout=10)
    assert page.status_code == 200


def read_response(conn: ssl.SSLSocket) -> bytes:
    """One HTTP response with a Content-Length, read whole from ``conn``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"connection closed before the answer's headers: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")).split(b":")[1])
    while len(body) < length:
        chunk = conn.recv(65536)
        assert chunk, "connection closed in the middle of the answer"
        body += chunk
    return head


def test_idle_keep_alive_connection_outlives_the_request_bound(strict):
    """A connection idle between two requests for twice the bound is kept and serves the next request;
    a request sent in pieces but whole within the bound is served too."""
    wsdl = b"GET /esav/v2/signalisation?wsdl HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with tls_connection(strict, strict.port, client_cert=True) as conn:
        conn.sendall(wsdl)
        assert read_response(conn).startswith(b"HTTP/1.1 200 ")
        time.sleep(BOUND_S * 2)
        for piece in (wsdl[:10], wsdl[10:30], wsdl[30:]):
            conn.sendall(piece)
            time.sleep(BOUND_S / 5)
        assert read_response(conn).startswith(b"HTTP/1.1 200 ")
    assert timeouts(strict) == {"web_services": 0, "portal": 0}
