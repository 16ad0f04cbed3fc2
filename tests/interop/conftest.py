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
from interop_support import CLIENTS, KEYSTORE_PASSWORD, JavaClient, check_call, require_commands
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
