"""Mutual TLS on a real Twisted server: who gets through the handshake, and what the app sees."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
from twisted.internet import reactor as _reactor
from twisted.internet.threads import blockingCallFromThread
from twisted.web.resource import Resource
from twisted.web.server import Request, Site

from gateway.errors import ConfigError
from gateway.security.pki import (
    IssuedCertificate,
    create_ca,
    fingerprint,
    issue_client_certificate,
    issue_server_certificate,
    write_pem_files,
)
from gateway.server.tls import peer_certificate_der, server_tls_options

reactor: Any = _reactor  # the global reactor's interfaces are not visible to type checkers
T = TypeVar("T")

# --- the reactor in a background thread ----------------------------------------------------------
#
# Twisted's reactor can run only once per process, so it is started on first use and left running
# in a daemon thread until the interpreter exits; tests talk to it with blockingCallFromThread.

_reactor_lock = threading.Lock()


def in_reactor(f: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``f`` in the reactor thread (starting the reactor if needed) and return its result."""
    with _reactor_lock:
        if not reactor.running:
            started = threading.Event()
            reactor.callWhenRunning(started.set)
            threading.Thread(
                target=reactor.run, kwargs={"installSignalHandlers": False}, name="reactor", daemon=True
            ).start()
            if not started.wait(10):
                raise RuntimeError("the Twisted reactor did not start")
    return blockingCallFromThread(reactor, f, *args, **kwargs)


# --- certificates and the server under test ------------------------------------------------------


class PeerFingerprint(Resource):
    """Answers with the fingerprint of the client certificate of the connection, or ``none``."""

    isLeaf = True  # noqa: N815 - Twisted's attribute name

    def render_GET(self, request: Request) -> bytes:  # noqa: N802 - Twisted's naming
        der = peer_certificate_der(request.channel.transport)
        return (fingerprint(der) if der else "none").encode()


@dataclass(frozen=True)
class Pki:
    """Paths of the files a client uses, and the certificates behind them."""

    ca: IssuedCertificate
    server: IssuedCertificate
    ca_file: Path
    files: dict[str, tuple[Path, Path]]  # name -> (certificate, key)
    certs: dict[str, IssuedCertificate]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca, other_ca = create_ca(), create_ca("AC étrangère")
    now = datetime.now(UTC)
    certs = {
        "good": issue_client_certificate(ca, "OP042", "Opérateur Exemple"),
        "foreign": issue_client_certificate(other_ca, "OP042", "Opérateur Exemple"),
        "expired": issue_client_certificate(
            ca,
            "OP042",
            "Opérateur Exemple",
            not_before=now - timedelta(days=30),
            not_after=now - timedelta(days=1),
        ),
    }
    files = {}
    for name, issued in certs.items():
        files[name] = (directory / f"{name}.pem", directory / f"{name}.key")
        write_pem_files(issued, *files[name])
    write_pem_files(ca, directory / "ca.pem")
    return Pki(ca, issue_server_certificate(ca), directory / "ca.pem", files, certs)


def _listen(pki: Pki, *, require_client_certificate: bool) -> Iterator[str]:
    options = server_tls_options(
        pki.server.cert_pem,
        pki.server.key_pem or b"",
        [pki.ca.cert_pem],
        require_client_certificate=require_client_certificate,
    )
    port = in_reactor(reactor.listenSSL, 0, Site(PeerFingerprint()), options, interface="127.0.0.1")
    try:
        yield f"https://localhost:{port.getHost().port}/"
    finally:
        in_reactor(port.stopListening)


@pytest.fixture(scope="module")
def url(pki: Pki) -> Iterator[str]:
    """A server that requires a client certificate."""
    yield from _listen(pki, require_client_certificate=True)


@pytest.fixture(scope="module")
def optional_url(pki: Pki) -> Iterator[str]:
    """A server that asks for a client certificate but lets callers in without one."""
    yield from _listen(pki, require_client_certificate=False)


def get(url: str, pki: Pki, client: str | None) -> requests.Response:
    with requests.Session() as session:
        # An environment CA bundle (REQUESTS_CA_BUNDLE...) would override `verify`.
        session.trust_env = False
        cert = (str(pki.files[client][0]), str(pki.files[client][1])) if client else None
        return session.get(url, verify=str(pki.ca_file), cert=cert, timeout=10)


def refused(alert: str) -> str:
    """What requests reports when the server refuses the client's certificate with ``alert``.

    With TLS 1.3 the server checks the client certificate after the client has finished its side
    of the handshake, so the client normally reads the server's alert
    ("[SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca"), but may instead see the connection
    closed or reset if it writes its request first; all are refusals.
    """
    return rf"{alert}|Connection reset|EOF occurred|Connection aborted"


# --- tests ---------------------------------------------------------------------------------------


def test_client_of_our_ca_gets_through_and_is_seen(url: str, pki: Pki) -> None:
    """A client certificate of our CA passes the handshake and the app sees its fingerprint."""
    response = get(url, pki, "good")
    assert response.status_code == 200
    assert response.text == pki.certs["good"].info.fingerprint


def test_client_without_certificate_is_refused(url: str, pki: Pki) -> None:
    """Without a client certificate the TLS handshake fails: requests raises a connection error."""
    with pytest.raises(requests.exceptions.ConnectionError, match=refused("CERTIFICATE_REQUIRED")):
        get(url, pki, None)


def test_client_of_another_ca_is_refused(url: str, pki: Pki) -> None:
    """A client certificate issued by a CA the server does not trust is refused during TLS."""
    with pytest.raises(requests.exceptions.ConnectionError, match=refused("UNKNOWN_CA")):
        get(url, pki, "foreign")


def test_expired_client_certificate_is_refused(url: str, pki: Pki) -> None:
    """OpenSSL itself refuses an expired client certificate of our CA during the handshake."""
    with pytest.raises(requests.exceptions.ConnectionError, match=refused("CERTIFICATE_EXPIRED")):
        get(url, pki, "expired")


def test_server_still_serves_after_refusals(url: str, pki: Pki) -> None:
    """Refused handshakes leave the server serving good clients on new connections."""
    for client in (None, "foreign", "good"):
        with contextlib.suppress(requests.exceptions.ConnectionError):
            get(url, pki, client)
    assert get(url, pki, "good").text == pki.certs["good"].info.fingerprint


def test_optional_mode_lets_anonymous_in_but_still_verifies(optional_url: str, pki: Pki) -> None:
    """With the certificate optional, no certificate gives ``none``; a foreign one is still refused."""
    assert get(optional_url, pki, None).text == "none"
    assert get(optional_url, pki, "good").text == pki.certs["good"].info.fingerprint
    with pytest.raises(requests.exceptions.ConnectionError, match=refused("UNKNOWN_CA")):
        get(optional_url, pki, "foreign")


def test_tls_1_1_is_refused(url: str, pki: Pki) -> None:
    """A client limited to TLS 1.1 cannot connect: the server's minimum is TLS 1.2."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(pki.ca_file)
    context.load_cert_chain(*pki.files["good"])
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # so that the refusal is the server's, not ours
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # ssl deprecates naming TLS 1.1
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    host, port = url.removeprefix("https://").rstrip("/").split(":")
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        pytest.raises(ssl.SSLError),
        context.wrap_socket(raw, server_hostname=host),
    ):
        pass


def test_tls_1_2_client_is_accepted(url: str, pki: Pki) -> None:
    """A TLS 1.2-only client with a good certificate completes the handshake."""
    context = ssl.create_default_context(cafile=pki.ca_file)
    context.load_cert_chain(*pki.files["good"])
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    host, port = url.removeprefix("https://").rstrip("/").split(":")
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        assert tls.version() == "TLSv1.2"


def test_peer_certificate_der_without_tls_is_none() -> None:
    """A transport that is not TLS, or has no peer certificate, gives None."""
    assert peer_certificate_der(object()) is None

    class NoPeer:
        def getPeerCertificate(self) -> None:  # noqa: N802 - Twisted's naming
            return None

    assert peer_certificate_der(NoPeer()) is None


def test_server_options_refuse_bad_configuration(pki: Pki) -> None:
    """A key that does not match the certificate, or no trusted CA, is a ConfigError at start-up."""
    other_key = pki.certs["good"].key_pem or b""
    with pytest.raises(ConfigError, match="ne correspond pas"):
        server_tls_options(pki.server.cert_pem, other_key, [pki.ca.cert_pem])
    with pytest.raises(ConfigError, match="aucune autorité"):
        server_tls_options(pki.server.cert_pem, pki.server.key_pem or b"", [])
    with pytest.raises(ConfigError, match="illisible"):
        server_tls_options(b"garbage", pki.server.key_pem or b"", [pki.ca.cert_pem])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command not installed")
def test_server_names_trusted_cas_to_clients(url: str, pki: Pki) -> None:
    """The server's certificate request lists the trusted CAs, so clients can pick the right cert."""
    port = url.rsplit(":", 1)[1].strip("/")
    good_cert, good_key = pki.files["good"]
    out = subprocess.run(
        [
            *("openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", "localhost"),
            *("-CAfile", str(pki.ca_file), "-cert", str(good_cert), "-key", str(good_key)),
        ],
        input=b"",
        capture_output=True,
        timeout=20,
        check=False,
    ).stdout.decode()
    assert "Acceptable client certificate CA names\nCN = e-SAV Demo Provider CA\n" in out
    assert "Verify return code: 0 (ok)" in out
