"""The SOAP requests the benchmark sends, and a one-shot HTTPS call to check them first."""

from __future__ import annotations

import http.client
import re
import ssl
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ._processes import REPO

__all__ = ["DEPOSIT_FORMS", "Operation", "deposit", "echo", "one_call", "state_query"]

GATEWAY_PATH = "/esav/v2/signalisation"
_NS = "urn:esav:signalisation:v2"
_ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<soap-env:Envelope xmlns:soap-env="http://schemas.xmlsoap.org/soap/envelope/"><soap-env:Body>'
    "{}</soap-env:Body></soap-env:Envelope>"
)

#: form code → (prestation of OPE001 in the demo data, its offer)
DEPOSIT_FORMS = {
    "SIG_CUIVRE": ("0140000001", "CUIVRE_DEGROUPAGE"),
    "SIG_FTTH": ("FI-0001-0001", "FTTH_ACCES"),
}


@dataclass(frozen=True)
class Operation:
    """One request, sent unchanged in a loop, and what a successful answer contains."""

    name: str
    path: str
    soap_action: str
    body: str
    marker: str


def deposit(form_code: str = "SIG_CUIVRE", version: str = "1.0", prestation: str | None = None) -> Operation:
    """``deposerSignalisation`` of OPE001 with the catalogue's example form (as zeep sends it)."""
    default_prestation, offer = DEPOSIT_FORMS[form_code]
    form_file = REPO / "catalogue" / "forms" / form_code / f"{version}.example.xml"
    form = etree.tostring(etree.parse(str(form_file)).getroot(), encoding="unicode")
    call = (
        f'<ns0:deposerSignalisation xmlns:ns0="{_NS}">'
        f"<ns0:identifiantPrestation>{prestation or default_prestation}</ns0:identifiantPrestation>"
        f"<ns0:codeOffre>{offer}</ns0:codeOffre><ns0:gravite>MAJEURE</ns0:gravite>"
        f'<ns0:formulaire code="{form_code}" version="{version}">{form}</ns0:formulaire>'
        "</ns0:deposerSignalisation>"
    )
    return Operation("deposit", GATEWAY_PATH, "deposerSignalisation", _ENVELOPE.format(call), "referenceSignalisation>")


def state_query(reference: str) -> Operation:
    """``consulterEtatSignalisation`` of one ticket."""
    call = (
        f'<ns0:consulterEtatSignalisation xmlns:ns0="{_NS}">'
        f"<ns0:referenceSignalisation>{reference}</ns0:referenceSignalisation></ns0:consulterEtatSignalisation>"
    )
    return Operation("state", GATEWAY_PATH, "consulterEtatSignalisation", _ENVELOPE.format(call), "libelleEtat>")


def echo() -> Operation:
    """The yardstick's ``echo`` (see ``bench.echo_server``)."""
    from .echo_server import ECHO_NAMESPACE, ECHO_PATH

    call = f'<ns0:echo xmlns:ns0="{ECHO_NAMESPACE}"><ns0:texte>Bonjour, écho.</ns0:texte></ns0:echo>'
    return Operation("echo", ECHO_PATH, "echo", _ENVELOPE.format(call), "echoResult>")


def one_call(port: int, operation: Operation, pki: Path, operator: str = "OPE001") -> tuple[int, str]:
    """Send ``operation`` once over mutual TLS; returns (HTTP status, body)."""
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    context.load_cert_chain(str(pki / f"{operator}.pem"), str(pki / f"{operator}.key"))
    connection = http.client.HTTPSConnection("localhost", port, context=context, timeout=30)
    try:
        connection.request(
            "POST",
            operation.path,
            body=operation.body.encode(),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{operation.soap_action}"'},
        )
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def reference_in(answer: str) -> str | None:
    found = re.search(r"referenceSignalisation>([^<]+)<", answer)
    return found.group(1) if found else None
