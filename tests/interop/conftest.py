"""Fixtures of the interoperability suite: one gateway for the session, the clients' toolchains.

Every external client is a small program in ``clients/`` run as a subprocess with the same
arguments (VERSION ENDPOINT WSDL CA CERT KEY FORM OPERATION [REFERENCE]) and printing one JSON
object. A client whose toolchain is missing skips its tests naming the missing command; a client
whose toolchain is there but that fails is a failure: that is what the suite is for.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import pytest
from client_builds import JAXWS_RUNTIME, build_mono, check_call, java_classes, mono_program
from interop_support import KEYSTORE_PASSWORD, JavaClient, MonoClient, require_commands
from support import LiveGateway, SessionPki, start_gateway


@pytest.fixture(scope="session")
def interop_gateway(tmp_path_factory: pytest.TempPathFactory, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """One gateway with the demo data for the whole suite (each client deposits its own tickets)."""
    server = start_gateway(tmp_path_factory.mktemp("interop") / "data", session_pki)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def java_client(tmp_path_factory: pytest.TempPathFactory, session_pki: SessionPki) -> JavaClient:
    """The client classes generated from the frozen WSDLs and Main.java, compiled (``make toolchains``
    compiles them; compiled here when missing), and the operator's keystore."""
    require_commands("wsimport", "javac", "java", "openssl")
    if not JAXWS_RUNTIME.exists():
        pytest.skip(f"{JAXWS_RUNTIME} not found (Debian libjaxws-java)")
    classes = java_classes()
    work = tmp_path_factory.mktemp("jaxws")
    # Java wants the operator's certificate and key as one PKCS#12 keystore.
    keystore = work / "OPE001.p12"
    pki = session_pki.directory
    check_call(
        ["openssl", "pkcs12", "-export", "-in", str(pki / "OPE001.pem"), "-inkey", str(pki / "OPE001.key"),
         "-name", "ope001", "-out", str(keystore), "-passout", f"pass:{KEYSTORE_PASSWORD}"]
    )  # fmt: skip
    return JavaClient(classpath=f"{classes}:{JAXWS_RUNTIME}", keystore=keystore)


@pytest.fixture(scope="session")
def mono_client(
    tmp_path_factory: pytest.TempPathFactory, session_pki: SessionPki, interop_gateway: LiveGateway
) -> MonoClient:
    """Program.cs compiled with Mono's wsdl proxies of the frozen WSDLs (``make toolchains`` compiles it;
    compiled here when missing), the same with the proxies of the WSDLs the server serves (compiled on
    first use, by the test that downloads them), and the operator's PKCS#12 file."""
    require_commands("wsdl", "mcs", "mono", "openssl")
    program = mono_program()
    work = tmp_path_factory.mktemp("mono")

    @functools.cache
    def served() -> Path:
        # The wsdl tool cannot present a client certificate: the served WSDLs are downloaded first, as
        # an operator would with curl, then given to it as files.
        session = interop_gateway.session("OPE001")
        downloaded = {}
        for version in ("v1", "v2"):
            answer = session.get(interop_gateway.url(version=version) + "?wsdl", timeout=30)
            answer.raise_for_status()
            downloaded[version] = answer.content
        (work / "served").mkdir()
        return build_mono(work / "served", downloaded)

    # .NET wants the operator's certificate and key as one PKCS#12 file (X509Certificate2). Mono's
    # BoringSSL cannot read OpenSSL 3's default (AES-256, PBKDF2, HMAC-SHA256): "MonoBtlsPkcs12.Import
    # failed"; the classic 3DES/SHA-1 encryption is what every .NET reads.
    pkcs12 = work / "OPE001.p12"
    pki = session_pki.directory
    check_call(
        ["openssl", "pkcs12", "-export", "-in", str(pki / "OPE001.pem"), "-inkey", str(pki / "OPE001.key"),
         "-name", "ope001", "-out", str(pkcs12), "-passout", f"pass:{KEYSTORE_PASSWORD}",
         "-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"]
    )  # fmt: skip
    return MonoClient(frozen=program, served=served, pkcs12=pkcs12)
