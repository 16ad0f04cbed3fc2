"""Behind a TCP load balancer (setting ``proxy_protocol``): each connection starts with a PROXY protocol
v2 header naming the client, then the operator's own mutual TLS; logs see the address it names."""

from __future__ import annotations

import http.client
import socket
import ssl
import struct

import pytest
from support import start_gateway

# A SOAP call needing no data: its answer (a fault) is enough, the call is logged either way.
ENVELOPE = (
    b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    b'xmlns:s="urn:esav:signalisation:v2"><soapenv:Body><s:consulterEtatSignalisation>'
    b"<s:referenceSignalisation>SIG00000001</s:referenceSignalisation>"
    b"</s:consulterEtatSignalisation></soapenv:Body></soapenv:Envelope>"
)


def proxy_v2_header(source: str, source_port: int, destination: str, destination_port: int) -> bytes:
    """HAProxy's ``send-proxy-v2`` header for a TCP over IPv4 connection."""
    ports = struct.pack("!HH", source_port, destination_port)
    addresses = socket.inet_aton(source) + socket.inet_aton(destination) + ports
    return b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) + struct.pack("!H", len(addresses)) + addresses


class _Proxied(http.client.HTTPSConnection):
    """An HTTPS connection that sends ``header`` (or nothing) before its TLS handshake."""

    def __init__(self, port: int, context: ssl.SSLContext, header: bytes) -> None:
        super().__init__("localhost", port, context=context, timeout=10)
        self._header = header

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        raw.sendall(self._header)
        self.sock = self._context.wrap_socket(raw, server_hostname="localhost")  # type: ignore[attr-defined]


def _call(port: int, pki_dir, header: bytes) -> int:
    context = ssl.create_default_context(cafile=str(pki_dir / "ca.pem"))
    context.load_cert_chain(str(pki_dir / "OPE001.pem"), str(pki_dir / "OPE001.key"))
    connection = _Proxied(port, context, header)
    try:
        connection.request("POST", "/esav/v2/signalisation", ENVELOPE, {"Content-Type": "text/xml; charset=utf-8"})
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.fixture
def proxied(tmp_path, session_pki):
    records: list = []
    server = start_gateway(
        tmp_path / "data", session_pki, observers=[records.append], settings_overrides={"proxy_protocol": True}
    )
    try:
        yield server, records
    finally:
        server.stop()


def test_the_call_log_names_the_client_the_load_balancer_names(proxied):
    """A call behind a PROXY v2 header is served, and its record carries the address the header gives."""
    server, records = proxied
    status = _call(server.port, server.data_dir / "pki", proxy_v2_header("203.0.113.7", 40000, "127.0.0.1", 8443))
    assert status == 500  # SOAP fault: no such ticket
    assert [(r.operation, r.operator, r.client) for r in records] == [
        ("consulterEtatSignalisation", "OPE001", "203.0.113.7")
    ]


def test_a_connection_without_the_header_is_refused(proxied):
    """With proxy_protocol on, a client that starts its TLS handshake at once is cut, nothing is served."""
    server, records = proxied
    with pytest.raises((ssl.SSLError, ConnectionError, http.client.HTTPException, OSError)):
        _call(server.port, server.data_dir / "pki", b"")
    assert records == []


def test_without_the_setting_the_peer_is_the_connection(tmp_path, session_pki):
    """Off by default: the record's client is the TCP peer itself (loopback here)."""
    records: list = []
    server = start_gateway(tmp_path / "data", session_pki, observers=[records.append])
    try:
        assert _call(server.port, server.data_dir / "pki", b"") == 500
    finally:
        server.stop()
    assert [r.client for r in records] == ["127.0.0.1"]


def test_the_portal_throttles_the_address_the_load_balancer_names(tmp_path, session_pki):
    """Behind the load balancer, a failed portal sign-in is counted against the operator's own address (the
    header's), not the balancer's: the throttling of one address leaves the others alone."""
    from urllib.parse import urlencode

    from web_support import csrf_of

    server = start_gateway(tmp_path / "data", session_pki, web=True, settings_overrides={"proxy_protocol": True})
    try:
        context = ssl.create_default_context(cafile=str(server.data_dir / "pki" / "ca.pem"))
        connection = _Proxied(
            server.web.port_number, context, proxy_v2_header("198.51.100.9", 41000, "127.0.0.1", 8444)
        )
        connection.request("GET", "/connexion")
        page = connection.getresponse()
        cookie = page.getheader("Set-Cookie", "").split(";")[0]
        form = urlencode(
            {"csrf": csrf_of(page.read().decode()), "login": "admin.alpha", "password": "faux", "suite": "/"}
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
        connection.request("POST", "/connexion", form, headers)
        assert connection.getresponse().status == 401
        connection.close()
        since = server.clock.now().replace(year=2000)
        assert server.gateway.store.count_login_failures("admin.alpha", "198.51.100.9", since) == 1
        assert server.gateway.store.count_login_failures("admin.alpha", "127.0.0.1", since) == 0
    finally:
        server.stop()
