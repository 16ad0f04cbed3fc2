"""suds-community client of the interoperability suite: one e-SAV operation, the result as JSON.

Usage: suds_client.py VERSION ENDPOINT WSDL CA CERT KEY FORM OPERATION [REFERENCE]

VERSION is v1 or v2; WSDL a file path or an https URL (fetched with the client certificate);
FORM the form's XML file (SIG_CUIVRE 1.0); OPERATION one of deposit, state, detail (with
REFERENCE), fault (a deposit on an unknown prestation). Prints one JSON object on stdout.

suds speaks SOAP 1.1 only (the gateway's binding) and has no client-certificate option: a small
Transport hands every request to a requests Session that carries the certificate.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import requests
import suds.client
from suds.sax.element import Element
from suds.sax.parser import Parser
from suds.transport import Reply, Transport, TransportError

PRESTATION, OFFER, FORM_CODE = "0140000001", "CUIVRE_DEGROUPAGE", "SIG_CUIVRE"
UNKNOWN_PRESTATION = "0149999999"


class RequestsTransport(Transport):  # type: ignore[misc]
    """suds transport over a requests Session (mutual TLS); reads file URLs from disk."""

    def __init__(self, session: requests.Session) -> None:
        super().__init__()
        self.session = session

    def open(self, request: Any) -> io.BytesIO:
        if request.url.startswith("file://"):
            return io.BytesIO(Path(request.url[len("file://") :]).read_bytes())
        answer = self.session.get(request.url, timeout=30)
        answer.raise_for_status()
        return io.BytesIO(answer.content)

    def send(self, request: Any) -> Reply:
        answer = self.session.post(request.url, data=request.message, headers=request.headers, timeout=30)
        if answer.status_code >= 300:
            # suds reads a SOAP fault only from a TransportError carrying the HTTP 500 answer.
            raise TransportError(answer.reason, answer.status_code, io.BytesIO(answer.content))
        return Reply(answer.status_code, answer.headers, answer.content)


def formulaire(namespace: str, form_file: str) -> Element:
    """The formulaire element with its attributes and the form element as its xs:any content.

    suds cannot fill an xs:any from a factory object; a suds Element passed as the argument is
    written as it is, which is how suds sends raw XML.
    """
    form = Parser().parse(string=Path(form_file).read_bytes()).root()
    element = Element("formulaire", ns=("esav", namespace))
    element.set("code", FORM_CODE)
    element.set("version", "1.0")
    element.append(form)
    return element


def text(value: Any) -> str | None:
    return None if value is None else str(value)


def main(argv: list[str]) -> dict[str, Any]:
    version, endpoint, wsdl, ca, cert, key, form_file, operation, *rest = argv
    namespace = f"urn:esav:signalisation:{version}"
    session = requests.Session()
    session.trust_env = False  # an environment CA bundle would override verify
    session.verify = ca
    session.cert = (cert, key)
    url = wsdl if "://" in wsdl else Path(wsdl).resolve().as_uri()
    # prettyxml: suds writes a raw Element argument only when it pretty-prints (plain() drops it).
    client = suds.client.Client(
        url, location=endpoint, transport=RequestsTransport(session), cache=None, prettyxml=True
    )
    service = client.service
    try:
        if operation in ("deposit", "fault"):
            prestation = PRESTATION if operation == "deposit" else UNKNOWN_PRESTATION
            receipt = service.deposerSignalisation(
                identifiantPrestation=prestation,
                codeOffre=OFFER,
                gravite="MAJEURE",
                formulaire=formulaire(namespace, form_file),
                commentaire="suds-community",
            )
            return {
                "reference": text(receipt.referenceSignalisation),
                "etat": text(receipt.etat),
                "dateDepot": text(receipt.dateDepot),
            }
        if operation == "state":
            state = service.consulterEtatSignalisation(rest[0])
            return {
                "reference": text(state.referenceSignalisation),
                "etat": text(state.etat),
                "dateEtat": text(state.dateEtat),
            }
        if operation == "detail":
            detail = service.consulterDetailSignalisation(rest[0])
            form = detail.defautDeclare.formulaire
            return {
                "reference": text(detail.referenceSignalisation),
                "etat": text(detail.etat),
                "prestation": text(detail.prestation.numero),
                "echeance": text(detail.gtr.echeance),
                # The xs:any content comes back as a suds object named after the form's element.
                "formulaire": {
                    "code": text(form._code),
                    "version": text(form._version),
                    "codeDefaut": text(form.signalisationCuivre.defaut.codeDefaut),
                },
            }
        raise SystemExit(f"unknown operation {operation!r}")
    except suds.WebFault as fault:
        error = fault.fault.detail.erreurEsav
        return {"fault": {"type": "suds.WebFault", "code": text(error.code), "libelle": text(error.libelle)}}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
