"""Fixtures of the interoperability suite: one gateway for the session, the clients' toolchains.

Every external client is a small program in ``clients/`` run as a subprocess with the same
arguments (VERSION ENDPOINT WSDL CA CERT KEY FORM OPERATION [REFERENCE]) and printing one JSON
object. A client whose toolchain is missing skips its tests naming the missing command; a client
whose toolchain is there but that fails is a failure: that is what the suite is for.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from interop_support import CLIENTS, KEYSTORE_PASSWORD, JavaClient, MonoClient, check_call, require_commands
from support import REPO, LiveGateway, SessionPki, start_gateway


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
    """Generate the client classes from the frozen WSDLs and compile Main.java, once per session."""
    require_commands("wsimport", "javac", "java", "openssl")
    runtime = Path("/usr/share/java/jaxws-rt.jar")
    if not runtime.exists():
        pytest.skip(f"{runtime} not found (Debian libjaxws-java)")
    work = tmp_path_factory.mktemp("jaxws")
    generated, classes = work / "generated", work / "classes"
    generated.mkdir()
    classes.mkdir()
    for version in ("v1", "v2"):
        wsdl = REPO / "wsdl" / version / "signalisation.wsdl"
        check_call(
            ["wsimport", "-quiet", "-keep", "-Xnocompile", "-p", f"esav.{version}", "-d", str(generated), str(wsdl)]
        )
    sources = [str(p) for p in generated.rglob("*.java")] + [str(CLIENTS / "Main.java")]
    check_call(["javac", "-nowarn", "-encoding", "UTF-8", "-cp", str(runtime), "-d", str(classes), *sources])
    # Java wants the operator's certificate and key as one PKCS#12 keystore.
    keystore = work / "OPE001.p12"
    pki = session_pki.directory
    check_call(
        ["openssl", "pkcs12", "-export", "-in", str(pki / "OPE001.pem"), "-inkey", str(pki / "OPE001.key"),
         "-name", "ope001", "-out", str(keystore), "-passout", f"pass:{KEYSTORE_PASSWORD}"]
    )  # fmt: skip
    return JavaClient(classpath=f"{classes}:{runtime}", keystore=keystore)


def _build_mono(work: Path, wsdls: dict[str, Path]) -> Path:
    """Generate a SoapHttpClientProtocol proxy per version with Mono's wsdl, compile them with Program.cs."""
    sources = []
    for version, wsdl in wsdls.items():
        source = work / f"{version}.cs"
        check_call(["wsdl", "-nologo", f"-namespace:Esav.{version.upper()}", f"-out:{source}", str(wsdl)])
        sources.append(str(source))
    program = work / "client.exe"
    check_call(
        ["mcs", "-nologo", f"-out:{program}", "-r:System.Web.Services.dll", "-r:System.Xml.dll",
         *sources, str(CLIENTS / "Program.cs")]
    )  # fmt: skip
    return program


@pytest.fixture(scope="session")
def mono_client(
    tmp_path_factory: pytest.TempPathFactory, session_pki: SessionPki, interop_gateway: LiveGateway
) -> MonoClient:
    """Mono's wsdl proxies of the frozen WSDLs, and of the WSDLs the server serves, compiled once per session."""
    require_commands("wsdl", "mcs", "mono", "openssl")
    work = tmp_path_factory.mktemp("mono")
    frozen = work / "frozen"
    frozen.mkdir()
    program = _build_mono(frozen, {v: REPO / "wsdl" / v / "signalisation.wsdl" for v in ("v1", "v2")})
    # The wsdl tool cannot present a client certificate: the served WSDLs are downloaded first, as
    # an operator would with curl, then given to it as files.
    served = work / "served"
    served.mkdir()
    session = interop_gateway.session("OPE001")
    downloaded = {}
    for version in ("v1", "v2"):
        answer = session.get(interop_gateway.url(version=version) + "?wsdl", timeout=30)
        answer.raise_for_status()
        downloaded[version] = served / f"{version}.wsdl"
        downloaded[version].write_bytes(answer.content)
    served_program = _build_mono(served, downloaded)
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
    return MonoClient(frozen=program, served=served_program, pkcs12=pkcs12)
