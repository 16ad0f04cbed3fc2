"""Interoperability: the SOAP clients operators use deposit, follow and read faults, in v1 and v2.

Each client deposits a SIG_CUIVRE ticket with its form, reads the ticket's state and detail (the
form comes back as xs:any), and receives a fault whose erreurEsav code it reads — over mutual TLS
against a real gateway, with code generated from (or driven by) the frozen WSDLs of ``wsdl/``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
import zeep
from client_builds import CLIENTS
from interop_support import FORM, KEYSTORE_PASSWORD, require_commands, run_client
from lxml import etree
from support import DEFAULT_NOW, REPO, LiveGateway, fault_code

from gateway.domain.clock import PARIS

pytestmark = pytest.mark.slow  # a JVM, Mono or node process per call, seconds each

VERSIONS = ("v1", "v2")
CLIENT_NAMES = ("zeep", "suds-community", "node-soap", "php-soapclient", "jaxws-ri", "mono-wsdl")
#: What the clients deposit (see clients/*): OPE001's copper line, and a prestation nobody has.
PRESTATION, UNKNOWN_PRESTATION = "0140000001", "0149999999"
#: The deposit instant (the gateway's fixed clock) and its GTR deadline, 10 business hours later.
DEPOSIT_AT = DEFAULT_NOW
DEADLINE = datetime(2026, 11, 19, 10, 0, tzinfo=PARIS)
V1_TEXT = {DEPOSIT_AT: "18/11/2026 10:00", DEADLINE: "19/11/2026 10:00"}

#: A JAX-WS client runs for one call: the quick compiler only and the serial collector start it in about
#: half the CPU time (what it does over the wire is the same).
SHORT_LIVED_JVM = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
#: One call: (version, operation, reference, wsdl) -> the JSON object the client printed.
Call = Callable[[str, str, str | None, str], dict[str, Any]]


@dataclass(frozen=True)
class Client:
    """A client of the matrix: how to call it, what it writes as the deposit's comment, its fault type."""

    name: str
    call: Call
    comment: str
    fault_type: str  # {version} is replaced

    def __call__(self, version: str, operation: str, reference: str | None, wsdl: str) -> dict[str, Any]:
        return self.call(version, operation, reference, wsdl)


def _zeep(live: LiveGateway) -> Call:
    """zeep, in process: the same operations and the same JSON shape as the external clients."""

    def call(version: str, operation: str, reference: str | None, wsdl: str) -> dict[str, Any]:
        transport = zeep.Transport(session=live.session("OPE001"), timeout=30, operation_timeout=30)
        client = zeep.Client(wsdl, transport=transport)
        service = client.create_service(f"{{urn:esav:signalisation:{version}}}signalisation", live.url(version=version))
        try:
            if operation in ("deposit", "fault"):
                receipt = service.deposerSignalisation(
                    identifiantPrestation=PRESTATION if operation == "deposit" else UNKNOWN_PRESTATION,
                    codeOffre="CUIVRE_DEGROUPAGE",
                    gravite="MAJEURE",
                    formulaire={"code": "SIG_CUIVRE", "version": "1.0", "_value_1": etree.parse(str(FORM)).getroot()},
                    commentaire="zeep",
                )
                return {
                    "reference": receipt.referenceSignalisation,
                    "etat": receipt.etat,
                    "dateDepot": str(receipt.dateDepot),
                }
            if operation == "state":
                state = service.consulterEtatSignalisation(reference)
                return {"reference": state.referenceSignalisation, "etat": state.etat, "dateEtat": str(state.dateEtat)}
            detail = service.consulterDetailSignalisation(reference)
            form = detail.defautDeclare.formulaire
            return {
                "reference": detail.referenceSignalisation,
                "etat": detail.etat,
                "prestation": detail.prestation.numero,
                "echeance": str(detail.gtr.echeance),
                "formulaire": {
                    "code": form.code,
                    "version": form.version,
                    "codeDefaut": form._value_1.findtext(".//{urn:esav:formulaire:SIG_CUIVRE}codeDefaut"),
                },
            }
        except zeep.exceptions.Fault as fault:
            libelle = fault.detail.findtext(f".//{{urn:esav:signalisation:{version}}}libelle")
            return {"fault": {"type": "zeep.exceptions.Fault", "code": fault_code(fault), "libelle": libelle}}

    return call


def _external(live: LiveGateway, command: list[str], cert: str, key: str) -> Call:
    """A client program of clients/, called with the suite's common arguments."""

    def call(version: str, operation: str, reference: str | None, wsdl: str) -> dict[str, Any]:
        ca = str(live.pki.directory / "ca.pem")
        argv = [*command, version, live.url(version=version), wsdl, ca, cert, key, str(FORM), operation]
        return run_client(argv + ([reference] if reference else []))

    return call


@pytest.fixture(params=CLIENT_NAMES)
def client(request: pytest.FixtureRequest, interop_gateway: LiveGateway) -> Client:
    """Each client, or a skip naming the command its toolchain lacks."""
    live = interop_gateway
    cert, key = live.cert_files("OPE001")
    name = request.param
    if name == "zeep":
        return Client(name, _zeep(live), "zeep", "zeep.exceptions.Fault")
    if name == "suds-community":
        pytest.importorskip("suds", reason="suds-community is not installed (pip install -e '.[test]')")
        call = _external(live, [sys.executable, str(CLIENTS / "suds_client.py")], cert, key)
        return Client(name, call, "suds-community", "suds.WebFault")
    if name == "node-soap":
        require_commands("node")
        if not (CLIENTS.parent / "node_modules" / "soap" / "package.json").exists():
            pytest.skip("npm package soap not installed (`npm ci` in tests/interop)")
        return Client(name, _external(live, ["node", str(CLIENTS / "client.js")], cert, key), "node-soap", "soap fault")
    if name == "php-soapclient":
        require_commands("php")
        _require_php_soap()
        return Client(
            name, _external(live, ["php", str(CLIENTS / "client.php")], cert, key), "PHP SoapClient", "SoapFault"
        )
    if name == "mono-wsdl":
        mono = request.getfixturevalue("mono_client")

        def call(version: str, operation: str, reference: str | None, wsdl: str) -> dict[str, Any]:
            # The proxy is compiled from the WSDL: the served one's program (downloaded and compiled on
            # first use) for a served WSDL.
            program = mono.served() if wsdl.startswith("https:") else mono.frozen
            external = _external(live, ["mono", str(program)], str(mono.pkcs12), KEYSTORE_PASSWORD)
            return external(version, operation, reference, wsdl)

        return Client(name, call, ".NET (Mono)", "System.Web.Services.Protocols.SoapException")
    java = request.getfixturevalue("java_client")
    call = _external(
        live, ["java", *SHORT_LIVED_JVM, "-cp", java.classpath, "Main"], str(java.keystore), KEYSTORE_PASSWORD
    )
    # The generated exception of the wsdl:fault, not a generic SOAPFaultException.
    return Client(name, call, "JAX-WS RI", "esav.{version}.ErreurEsav_Exception")


def _require_php_soap() -> None:
    probe = run_client(["php", "-r", 'echo json_encode(["soap" => class_exists("SoapClient")]), "\\n";'])
    if not probe["soap"]:
        pytest.skip("`php` has no SoapClient (Debian php-soap)")


def frozen_wsdl(version: str) -> str:
    return str(REPO / "wsdl" / version / "signalisation.wsdl")


def served_wsdl(live: LiveGateway, version: str) -> str:
    return live.url(version=version) + "?wsdl"


def expected_date(version: str, value: str | None, instant: datetime) -> None:
    """v1 dates are exactly JJ/MM/AAAA HH:MM; v2 dates are the same instant, however printed."""
    assert value is not None
    if version == "v1":
        assert value == V1_TEXT[instant]
    else:
        assert datetime.fromisoformat(value) == instant


@pytest.mark.parametrize("version", VERSIONS)
def test_deposit_with_form_then_state_and_detail(client: Client, version: str, interop_gateway: LiveGateway):
    """A client deposits a ticket with its form, then reads its state and its detail with the form back."""
    wsdl = frozen_wsdl(version)
    receipt = client(version, "deposit", None, wsdl)
    reference = receipt["reference"]
    assert re.fullmatch(r"SIG\d{8}", reference) and receipt["etat"] == "EN_DEPOT"
    expected_date(version, receipt["dateDepot"], DEPOSIT_AT)
    stored = interop_gateway.gateway.store.get_ticket(reference)
    assert (stored.prestation, stored.api_version, stored.commentaire) == (PRESTATION, version, client.comment)
    assert (stored.form_code, stored.form_version) == ("SIG_CUIVRE", "1.0")
    assert "BRUIT_LIGNE" in stored.form_xml

    state = client(version, "state", reference, wsdl)
    assert (state["reference"], state["etat"]) == (reference, "EN_DEPOT")
    expected_date(version, state["dateEtat"], DEPOSIT_AT)

    detail = client(version, "detail", reference, wsdl)
    assert (detail["reference"], detail["etat"], detail["prestation"]) == (reference, "EN_DEPOT", PRESTATION)
    assert detail["formulaire"] == {"code": "SIG_CUIVRE", "version": "1.0", "codeDefaut": "BRUIT_LIGNE"}
    expected_date(version, detail["echeance"], DEADLINE)


@pytest.mark.parametrize("version", VERSIONS)
def test_fault_code_is_readable(client: Client, version: str):
    """A deposit on an unknown prestation reaches the client as a fault whose erreurEsav code it reads."""
    answer = client(version, "fault", None, frozen_wsdl(version))
    fault = answer["fault"]
    assert fault["code"] == "PRESTATION_INCONNUE"
    assert UNKNOWN_PRESTATION in fault["libelle"]
    assert fault["type"] == client.fault_type.format(version=version)


@pytest.mark.parametrize("version", VERSIONS)
def test_deposit_through_the_served_wsdl(client: Client, version: str, interop_gateway: LiveGateway):
    """A client that downloads the WSDL from the server (with its certificate) deposits as well."""
    receipt = client(version, "deposit", None, served_wsdl(interop_gateway, version))
    assert receipt["etat"] == "EN_DEPOT"
    assert interop_gateway.gateway.store.get_ticket(receipt["reference"]).api_version == version


def test_every_client_program_is_in_the_suite():
    """Every program of clients/ is driven by this suite (none left behind untested)."""
    programs = {p.name for p in CLIENTS.iterdir() if p.is_file()}
    assert programs == {"suds_client.py", "client.js", "client.php", "Main.java", "Program.cs"}


#: SOAP 1.1 §4.4: a Fault holds faultcode, faultstring, then optionally faultactor and detail, and
#: nothing else; strict clients (.NET's WCF reads up to the end of Fault after detail) fail otherwise.
FAULT_CHILDREN = ("faultcode", "faultstring", "faultactor", "detail")
_ENVELOPE = (
    '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
    '<s:consulterEtatSignalisation xmlns:s="urn:esav:signalisation:{version}">{content}'
    "</s:consulterEtatSignalisation></e:Body></e:Envelope>"
)
#: Requests that fail in the services and in spyne's schema validation (two ways a fault is written).
FAULTY_REQUESTS = {
    "SIGNALISATION_INCONNUE": "<s:referenceSignalisation>SIG99999999</s:referenceSignalisation>",
    "REQUETE_INVALIDE": "<s:inconnu>SIG99999999</s:inconnu>",
}


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("expected", "content"), FAULTY_REQUESTS.items(), ids=list(FAULTY_REQUESTS))
def test_fault_element_holds_only_the_soap11_children(interop_gateway: LiveGateway, version, expected, content):
    """Every fault is HTTP 500 with a soap:Fault of only faultcode, faultstring, faultactor, detail."""
    live = interop_gateway
    answer = live.session().post(
        live.url(version=version),
        data=_ENVELOPE.format(version=version, content=content).encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"consulterEtatSignalisation"'},
        timeout=30,
    )
    assert answer.status_code == 500
    fault = etree.fromstring(answer.content).find(".//{http://schemas.xmlsoap.org/soap/envelope/}Fault")
    children = [etree.QName(child).localname for child in fault]
    assert children == [name for name in FAULT_CHILDREN if name in children], etree.tostring(fault)
    assert all(etree.QName(child).namespace is None for child in fault)
    namespace = f"urn:esav:signalisation:{version}"
    assert fault.findtext(f"detail/{{{namespace}}}erreurEsav/{{{namespace}}}code") == expected
