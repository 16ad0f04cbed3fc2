"""The lean SOAP channel: plain calls read without twisted.web, everything else handed to Twisted unchanged."""

from __future__ import annotations

import datetime
import hashlib
import http.client
import io
import ssl
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support import deposit
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET, Site

from gateway.server import lean_soap, limit_connection_times
from gateway.server._lean_http import LeanRequest, parse_head

PATH = b"/esav/v2/signalisation"
PATHS = {PATH: object()}


def _post(body: bytes = b"<x/>", *, headers: bytes = b"", path: bytes = PATH, version: bytes = b"HTTP/1.1") -> bytes:
    return (
        b"POST " + path + b" " + version + b"\r\nHost: localhost\r\nContent-Type: text/xml; charset=utf-8\r\n"
        b"Content-Length: %d\r\n" % len(body) + headers + b"\r\n" + body
    )


def _head(request: bytes) -> bytes:
    return request.partition(b"\r\n\r\n")[0]


class _Soap(Resource):
    """An endpoint that answers each call's body back, at once or when the test says."""

    isLeaf = True  # noqa: N815 - Twisted's attribute name

    def __init__(self, *, later: bool = False, fail: bool = False) -> None:
        super().__init__()
        self.later, self.fail = later, fail
        self.waiting: list[Any] = []
        self.served: list[tuple[str, bytes]] = []

    def render_POST(self, request: Any) -> Any:  # noqa: N802 - Twisted's interface
        if self.fail:
            raise RuntimeError("boom")
        body = request.content.read()
        self.served.append((type(request).__name__, body))
        request.setHeader("Content-Type", "text/xml; charset=utf-8")
        if self.later:
            self.waiting.append((request, body))
        else:
            request.write(b"<echo>" + body + b"</echo>")
            request.finish()
        return NOT_DONE_YET

    def render_GET(self, request: Any) -> bytes:  # noqa: N802 - Twisted's interface
        self.served.append((type(request).__name__, b"GET"))
        return b"<wsdl/>"


class _Transport:
    """The part of a TCP transport the channels use, keeping what they write. (Not Twisted's
    ``StringTransport``: importing ``twisted.internet.testing`` breaks xmlschema's schema building in
    the rest of the test process, ``AttributeError: __provides__``; conftest says why and catches it.)"""

    disconnecting = False

    def __init__(self) -> None:
        self._written = io.BytesIO()

    def value(self) -> bytes:
        return self._written.getvalue()

    def write(self, data: bytes) -> None:
        self._written.write(data)

    def writeSequence(self, data: list[bytes]) -> None:  # noqa: N802 - Twisted's interface
        self._written.write(b"".join(data))

    def loseConnection(self) -> None:  # noqa: N802 - Twisted's interface
        self.disconnecting = True

    abortConnection = loseConnection  # noqa: N815 - Twisted's interface

    def getPeer(self) -> IPv4Address:  # noqa: N802 - Twisted's interface
        return IPv4Address("TCP", "127.0.0.1", 4321)

    def getHost(self) -> IPv4Address:  # noqa: N802 - Twisted's interface
        return IPv4Address("TCP", "127.0.0.1", 8443)


def _channel(resource: _Soap, *, max_body: int = 1024) -> tuple[Any, _Transport, Clock]:
    root = Resource()
    esav, v2 = Resource(), Resource()
    root.putChild(b"esav", esav)
    esav.putChild(b"v2", v2)
    v2.putChild(b"signalisation", resource)
    clock = Clock()
    site = Site(root, reactor=clock)
    limit_connection_times(site, 30.0, 60.0, None)
    lean_soap(site, {PATH: resource}, max_body)
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 4321))
    transport = _Transport()
    channel.makeConnection(transport)
    return channel, transport, clock


def _answers(transport: _Transport) -> list[bytes]:
    return [part for part in transport.value().split(b"HTTP/1.1 ") if part]


@pytest.mark.parametrize(
    ("name", "request_bytes"),
    [
        ("GET", b"GET " + PATH + b"?wsdl HTTP/1.1\r\nHost: x\r\n"),
        ("HTTP/1.0", _head(_post(version=b"HTTP/1.0"))),
        ("unknown path", _head(_post(path=b"/esav/v2/inconnu"))),
        ("query string", _head(_post(path=PATH + b"?a=1"))),
        ("path with a trailing slash", _head(_post(path=PATH + b"/"))),
        ("two lengths", _head(_post(headers=b"Content-Length: 4\r\n"))),
        ("chunked", b"POST " + PATH + b" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"),
        ("length and chunked", _head(_post(headers=b"Transfer-Encoding: chunked\r\n"))),
        ("expect", _head(_post(headers=b"Expect: 100-continue\r\n"))),
        ("no length", b"POST " + PATH + b" HTTP/1.1\r\nHost: x\r\n"),
        ("signed length", _head(_post()).replace(b"Content-Length: 4", b"Content-Length: +4")),
        ("folded header", _head(_post(headers=b"X-A: 1\r\n  2\r\n"))),
        ("space before the colon", _head(_post(headers=b"X-A : 1\r\n"))),
        ("control character", _head(_post(headers=b"X-A: 1\x002\r\n"))),
        ("line without a colon", _head(_post(headers=b"X-A\r\n"))),
        ("body over the limit", _head(_post(b"x" * 2000))),
    ],
)
def test_anything_but_a_plain_soap_post_is_left_to_twisted(name: str, request_bytes: bytes) -> None:
    """Requests Twisted might read differently (or that need its features) are not read by the lean channel."""
    assert parse_head(request_bytes, PATHS, 1024) is None, name


def test_a_plain_soap_post_is_read_with_its_length_headers_and_close() -> None:
    """A plain POST's head gives its path, its body's length, its headers and whether it closes."""
    head = parse_head(_head(_post(b"abc", headers=b"Connection: keep-alive, Close\r\n")), PATHS, 1024)
    assert head is not None
    assert (head.uri, head.length, head.close) == (PATH, 3, True)
    assert (b"Content-Type", b"text/xml; charset=utf-8") in head.headers


def test_calls_are_answered_by_the_lean_channel_with_twisteds_headers() -> None:
    """Two calls on one connection: each answered by the lean channel, with status, date, server, type and length."""
    resource = _Soap()
    channel, transport, _ = _channel(resource)
    channel.dataReceived(_post(b"<a/>") + _post(b"<b/>"))
    assert [kind for kind, _ in resource.served] == ["LeanRequest", "LeanRequest"]
    first, second = _answers(transport)
    head, _, body = first.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"200 OK"
    names = {line.partition(b":")[0].lower() for line in lines[1:]}
    assert names == {b"server", b"date", b"content-type", b"content-length"}
    assert b"Content-Length: %d" % len(b"<echo><a/></echo>") in lines
    assert body == b"<echo><a/></echo>"
    assert second.endswith(b"<echo><b/></echo>")
    assert not transport.disconnecting


def test_a_call_arriving_byte_by_byte_is_served_once_whole() -> None:
    """A call split into single bytes is served once, when its last byte arrives."""
    resource = _Soap()
    channel, transport, _ = _channel(resource)
    data = _post(b"<a/>")
    for index in range(len(data) - 1):
        channel.dataReceived(data[index : index + 1])
    assert resource.served == []
    channel.dataReceived(data[-1:])
    assert resource.served == [("LeanRequest", b"<a/>")]
    assert transport.value().endswith(b"<echo><a/></echo>")


def test_pipelined_calls_are_answered_in_order_one_at_a_time() -> None:
    """The next call waits for the answer of the one before it, and answers leave in request order."""
    resource = _Soap(later=True)
    channel, transport, _ = _channel(resource)
    channel.dataReceived(_post(b"<a/>") + _post(b"<b/>"))
    assert [body for _, body in resource.served] == [b"<a/>"]
    request, _ = resource.waiting.pop()
    request.write(b"first")
    request.finish()
    assert [body for _, body in resource.served] == [b"<a/>", b"<b/>"]
    assert transport.value().endswith(b"first")
    request, _ = resource.waiting.pop()
    request.write(b"second")
    request.finish()
    assert transport.value().endswith(b"second") and transport.value().count(b"HTTP/1.1 200") == 2


def test_other_requests_hand_the_connection_to_twisted_for_good() -> None:
    """After a lean call, a GET is served by Twisted, and so is every call after it on that connection."""
    resource = _Soap()
    channel, transport, _ = _channel(resource)
    channel.dataReceived(_post(b"<a/>"))
    channel.dataReceived(b"GET " + PATH + b"?wsdl HTTP/1.1\r\nHost: x\r\n\r\n" + _post(b"<b/>"))
    assert [kind for kind, _ in resource.served] == ["LeanRequest", "Request", "Request"]
    assert b"<wsdl/>" in transport.value() and b"<echo><b/></echo>" in transport.value()  # Twisted: chunked


def test_a_chunked_call_is_served_by_twisted() -> None:
    """A chunked body (which the lean channel does not read) reaches the endpoint through Twisted, whole."""
    resource = _Soap()
    channel, transport, _ = _channel(resource)
    channel.dataReceived(
        b"POST " + PATH + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n<a\r\n2\r\n/>\r\n0\r\n\r\n"
    )
    assert resource.served == [("Request", b"<a/>")]
    assert b"<echo><a/></echo>" in transport.value()


def test_connection_close_is_answered_then_closed_and_what_follows_is_dropped() -> None:
    """A call asking to close gets ``Connection: close``, the connection closes, later bytes are ignored."""
    resource = _Soap()
    channel, transport, _ = _channel(resource)
    channel.dataReceived(_post(b"<a/>", headers=b"Connection: close\r\n") + _post(b"<b/>"))
    assert [body for _, body in resource.served] == [b"<a/>"]
    assert b"Connection: close\r\n" in transport.value()
    assert transport.disconnecting


def test_a_call_not_received_within_the_request_timeout_gets_408() -> None:
    """A call whose body never completes is cut by the request timer (408, closed), as Twisted's channel does."""
    resource = _Soap()
    channel, transport, clock = _channel(resource)
    channel.dataReceived(_post(b"<a/>")[:-2])
    clock.advance(29)
    assert transport.value() == b""
    clock.advance(2)
    assert transport.value().startswith(b"HTTP/1.1 408 Request Timeout")
    assert transport.disconnecting and resource.served == []


def test_a_call_being_answered_is_not_cut_by_the_idle_timeout() -> None:
    """The idle timeout never closes a connection while its call is being answered."""
    resource = _Soap(later=True)
    channel, transport, clock = _channel(resource)
    channel.dataReceived(_post(b"<a/>"))
    clock.advance(120)
    assert not transport.disconnecting
    request, _ = resource.waiting.pop()
    request.finish()
    assert transport.value().startswith(b"HTTP/1.1 200 OK")
    clock.advance(61)
    assert transport.disconnecting  # idle now: the idle timeout applies again


def test_a_call_whose_connection_is_lost_finishes_without_writing() -> None:
    """The endpoint may finish a call whose client has gone: nothing is written, nothing raised."""
    resource = _Soap(later=True)
    channel, transport, _ = _channel(resource)
    channel.dataReceived(_post(b"<a/>"))
    channel.connectionLost(None)
    request, _ = resource.waiting.pop()
    assert isinstance(request, LeanRequest) and request._disconnected
    request.write(b"late")
    request.finish()
    assert transport.value() == b""


def test_an_endpoint_that_raises_gets_a_500_and_the_connection_goes_on() -> None:
    """A failure escaping the endpoint answers 500; the next call on the connection is served."""
    resource = _Soap(fail=True)
    channel, transport, _ = _channel(resource)
    channel.dataReceived(_post(b"<a/>"))
    assert transport.value().startswith(b"HTTP/1.1 500 Internal Server Error")
    resource.fail = False
    channel.dataReceived(_post(b"<b/>"))
    assert transport.value().endswith(b"<echo><b/></echo>")


def test_a_header_value_with_a_line_break_is_refused() -> None:
    """An answer header holding a line break is refused, as Twisted refuses it (no header injection)."""
    resource = _Soap(later=True)
    channel, _, _ = _channel(resource)
    channel.dataReceived(_post(b"<a/>"))
    request, _ = resource.waiting.pop()
    with pytest.raises(ValueError):
        request.setHeader("Retry-After", "1\r\nX-Injected: yes")


def test_a_gateway_answers_alike_through_the_lean_channel_and_through_twisted(live: Any) -> None:
    """Over mutual TLS, one call answered by the lean channel and the same call chunked (Twisted's) agree."""
    context = ssl.create_default_context(cafile=str(live.pki.directory / "ca.pem"))
    context.load_cert_chain(*live.cert_files("OPE001"))
    reference = deposit(live.client("OPE001")).referenceSignalisation
    connection = http.client.HTTPSConnection("localhost", live.port, context=context, timeout=30)
    body = (
        b'<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>'
        b'<ns0:consulterEtatSignalisation xmlns:ns0="urn:esav:signalisation:v2">'
        b"<ns0:referenceSignalisation>%s</ns0:referenceSignalisation>"
        b"</ns0:consulterEtatSignalisation></soap-env:Body></soap-env:Envelope>" % reference.encode()
    )
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"consulterEtatSignalisation"'}
    answers = []
    try:
        for chunked in (False, True):
            if chunked:
                connection.request("POST", PATH.decode(), iter([body]), headers, encode_chunked=True)
            else:
                connection.request("POST", PATH.decode(), body, headers)
            response = connection.getresponse()
            answers.append((response.status, dict(response.getheaders()), response.read()))
    finally:
        connection.close()
    (lean_status, lean_headers, lean_body), (twisted_status, twisted_headers, twisted_body) = answers
    assert lean_status == twisted_status == 200, answers
    assert reference.encode() in lean_body
    assert lean_body == twisted_body
    lean_headers.pop("Date"), twisted_headers.pop("Date")
    assert lean_headers == twisted_headers


def test_thousands_of_calls_sent_ahead_and_answered_at_once_do_not_nest() -> None:
    """Calls sent ahead whose answers are written at once (faults) are served in a loop, not by recursion."""
    resource = _Soap()
    channel, transport, _ = _channel(resource)
    channel.dataReceived(_post(b"<a/>") * 3000)
    assert len(resource.served) == 3000
    assert transport.value().count(b"HTTP/1.1 200 OK") == 3000


def test_a_large_body_in_small_chunks_is_served_whole() -> None:
    """A body near the limit arriving in 1 KB chunks reaches the endpoint whole, once."""
    resource = _Soap()
    channel, transport, _ = _channel(resource, max_body=4 * 1024 * 1024)
    data = _post(b"<a>" + b"x" * (3 * 1024 * 1024) + b"</a>")
    for index in range(0, len(data), 1024):
        channel.dataReceived(data[index : index + 1024])
    assert len(resource.served) == 1 and len(resource.served[0][1]) == 3 * 1024 * 1024 + 7
    assert transport.value().startswith(b"HTTP/1.1 200 OK")


class _TlsTransport(_Transport):
    """A transport with a verified client certificate, counting how often it is asked for it."""

    def __init__(self, certificate: Any) -> None:
        super().__init__()
        self.certificate, self.asked = certificate, 0

    def getPeerCertificate(self) -> Any:  # noqa: N802 - Twisted's interface
        self.asked += 1
        return self.certificate


@pytest.mark.parametrize("lean", [True, False], ids=["lean channel", "Twisted's channel"])
def test_the_client_fingerprint_is_computed_once_per_connection(lean: bool) -> None:
    """Every call on a connection gets its certificate's SHA-256, asked of TLS once (the certificate cannot change)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "OPE001")])
    now = datetime.datetime.now(datetime.UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
    certificate = builder.sign(key, hashes.SHA256())
    site = Site(Resource(), reactor=Clock())
    limit_connection_times(site, 30.0, 60.0, None)
    if lean:
        lean_soap(site, PATHS, 1024)
    channel = site.buildProtocol(IPv4Address("TCP", "127.0.0.1", 4321))
    transport = _TlsTransport(certificate)
    channel.makeConnection(transport)
    expected = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    assert [channel.client_fingerprint() for _ in range(3)] == [expected] * 3
    assert transport.asked == 1
    assert site.buildProtocol(None).client_fingerprint() is None  # no transport that is TLS: no identity
