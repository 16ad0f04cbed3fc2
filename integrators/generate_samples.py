"""Record the integrator's kit from a real demo gateway: sample exchanges and the Postman collection.

    .venv/bin/python integrators/generate_samples.py [--out integrators]

starts a demo gateway in a temporary folder (the demo data of ``esav demo``, its clock fixed at
Wednesday 18/11/2026 10:00 Paris time so that references and dates are the same on every run),
calls every operation of v1 ``signalisation`` and v2 ``signalisation``, ``catalogue``,
``rendezvous`` and ``test`` over mutual TLS with OPE001's certificate, and writes what went over
the wire:

- ``samples/VERSION/SERVICE/OPERATION.request.xml`` and ``.response.xml``, one pair per operation,
  and ``OPERATION.fault.request.xml`` / ``.fault.response.xml``: one typed fault per service;
- ``postman/esav.postman_collection.json``: the same requests, values returned by earlier calls
  (references, ids) replaced by collection variables captured from the answers.

The back office's part (closing a ticket so that its closure can be refused, letting a line test
finish) is done on the gateway itself, as the provider's staff would with ``esav sav``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import zeep
import zeep.exceptions
from lxml import etree
from zeep.plugins import HistoryPlugin

from gateway.config import Settings
from gateway.demo import build_demo
from gateway.domain.clock import PARIS, FixedClock
from gateway.domain.states import Action
from gateway.server import PkiFiles, start
from gateway.services import Gateway

KIT = Path(__file__).resolve().parent
REPO = KIT.parent
WSDL = REPO / "wsdl"
FORMS = REPO / "catalogue" / "forms"
#: The demo's world on every run: a Wednesday, well inside business hours.
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
OPERATOR = "OPE001"
SERVICES = (("v1", "signalisation"), ("v2", "signalisation"), ("v2", "catalogue"), ("v2", "rendezvous"), ("v2", "test"))
#: Postman variables: name → the XML element of an answer that gives its value, and which occurrence.
CAPTURES = {
    "v1Reference": ("referenceSignalisation", 0),
    "reference": ("referenceSignalisation", 0),
    "cancelledReference": ("referenceSignalisation", 0),
    "idPieceJointe": ("idPieceJointe", 0),
    "idCreneau": ("idCreneau", 0),
    "autreCreneau": ("idCreneau", 1),
    "idRendezVous": ("idRendezVous", 0),
    "idTest": ("idTest", 0),
}
#: What the after-sales staff do to close a ticket (``esav sav qualifier``, ``demarrer``, ``clore``).
CLOSING = ((Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR"))
#: Variables the collection cannot make itself: the reference of a ticket the back office closed.
ENVIRONMENT_VARIABLES = ("closedReference",)
#: Dates of the requests, relative to now: Postman variable → its value in the recorded requests.
DATES = {
    "hier": (NOW - timedelta(days=1)).isoformat(),
    "hierV1": (NOW - timedelta(days=1)).strftime("%d/%m/%Y %H:%M"),
    "dansDeuxJours": (NOW + timedelta(days=2)).isoformat(),
}
#: The collection's pre-request script: the dates above, from the environment's ``maintenant`` when set
#: (a gateway whose clock is not the wall clock's), else from now. v1 dates are written in UTC: a bound.
DATES_SCRIPT = [
    'const setting = pm.variables.get("maintenant");',
    "const now = setting ? new Date(setting) : new Date();",
    "const day = 24 * 3600 * 1000;",
    'const pad = (n) => String(n).padStart(2, "0");',
    "const yesterday = new Date(now.getTime() - day);",
    'pm.variables.set("hier", yesterday.toISOString());',
    'pm.variables.set("hierV1", `${pad(yesterday.getUTCDate())}/${pad(yesterday.getUTCMonth() + 1)}/'
    "${yesterday.getUTCFullYear()} ${pad(yesterday.getUTCHours())}:${pad(yesterday.getUTCMinutes())}`);",
    'pm.variables.set("dansDeuxJours", new Date(now.getTime() + 2 * day).toISOString());',
]


@dataclass
class Exchange:
    """One recorded call: what was sent, what came back."""

    version: str
    service: str
    operation: str
    fault: bool
    request: bytes
    response: bytes
    #: Postman variables this answer sets (name → value recorded here).
    sets: dict[str, str] = field(default_factory=dict)
    #: A step of the collection only (a second deposit to cancel), not a sample file.
    label: str = ""

    @property
    def stem(self) -> str:
        return f"{self.operation}.fault" if self.fault else self.operation

    @property
    def folder(self) -> str:
        return f"samples/{self.version}/{self.service}"


class Recorder:
    """zeep clients of the frozen WSDLs that keep every exchange, in call order."""

    def __init__(self, session: requests.Session, base_url: str) -> None:
        self.exchanges: list[Exchange] = []
        self.variables: dict[str, str] = {}
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._history = HistoryPlugin()
        self._services: dict[tuple[str, str], Any] = {}

    def service(self, version: str, service: str) -> Any:
        key = (version, service)
        if key not in self._services:
            transport = zeep.Transport(session=self._session, timeout=60, operation_timeout=60)
            client = zeep.Client(str(WSDL / version / f"{service}.wsdl"), transport=transport, plugins=[self._history])
            binding = f"{{urn:esav:{service}:{version}}}{service}"
            self._services[key] = client.create_service(binding, f"{self._base_url}/esav/{version}/{service}")
        return self._services[key]

    def call(
        self,
        version: str,
        service: str,
        operation: str,
        *args: Any,
        sets: tuple[str, ...] = (),
        label: str = "",
        **kwargs: Any,
    ) -> Any:
        """Call ``operation``, record the exchange, and capture ``sets`` variables from its answer."""
        method = getattr(self.service(version, service), operation)
        fault = False
        result = None
        try:
            result = method(*args, **kwargs)
        except zeep.exceptions.Fault:
            fault = True
        sent, received = self._history.last_sent, self._history.last_received
        if sent is None or received is None:
            raise RuntimeError(f"{operation}: nothing went over the wire")
        response = received["envelope"]
        exchange = Exchange(
            version, service, operation, fault, _pretty(sent["envelope"]), _pretty(response), label=label
        )
        for name in sets:
            element, index = CAPTURES[name]
            found = response.findall(f".//{{*}}{element}")
            if len(found) <= index or not found[index].text:
                raise RuntimeError(f"{operation}: no {element} number {index + 1} in the answer")
            self.variables[name] = exchange.sets[name] = found[index].text
        self.exchanges.append(exchange)
        return result


def _pretty(envelope: etree._Element) -> bytes:
    """An envelope as its file holds it: UTF-8, declared, indented (the payload's text is kept)."""
    copy = etree.fromstring(etree.tostring(envelope))
    etree.indent(copy, space="  ")
    return etree.tostring(copy, xml_declaration=True, encoding="UTF-8") + b"\n"


def _form(code: str, version: str = "1.0") -> etree._Element:
    return etree.parse(str(FORMS / code / f"{version}.example.xml")).getroot()


def record(session: requests.Session, base_url: str, gateway: Gateway, clock: FixedClock) -> Recorder:
    """Call every operation of the kit's services once (and each service's typed fault), in a fixed order."""
    r = Recorder(session, base_url)
    cuivre = {"code": "SIG_CUIVRE", "version": "1.0", "_value_1": _form("SIG_CUIVRE")}
    deposit: dict[str, Any] = {
        "identifiantPrestation": "0140000001",
        "codeOffre": "CUIVRE_DEGROUPAGE",
        "gravite": "MAJEURE",
    }

    # v1 signalisation: dates as JJ/MM/AAAA HH:MM.
    v1 = ("v1", "signalisation")
    r.call(
        *v1,
        "deposerSignalisation",
        **deposit,
        formulaire=cuivre,
        commentaire="Bruit sur la ligne",
        sets=("v1Reference",),
    )
    ref1 = r.variables["v1Reference"]
    r.call(*v1, "consulterEtatSignalisation", ref1)
    r.call(*v1, "consulterDetailSignalisation", ref1)
    r.call(*v1, "completerSignalisation", ref1, "Client joignable de 9 h à 12 h")
    r.call(*v1, "consulterHistorique", dateDebut=DATES["hierV1"], identifiantPrestation="0140000001")
    r.call(*v1, "rechercherSignalisations", etats={"string": ["EN_DEPOT"]}, identifiantPrestation="0140000001")
    r.call(*v1, "deposerSignalisation", **{**deposit, "identifiantPrestation": "0149999999"}, formulaire=cuivre)

    # v2 signalisation: a ticket with an attachment, one closed by the back office, one cancelled.
    v2 = ("v2", "signalisation")
    attachment = {"pieceJointe": [{"nom": "mesure.txt", "typeMime": "text/plain", "contenu": b"Affaiblissement 42 dB"}]}
    r.call(
        *v2, "deposerSignalisation", referenceOperateur="OPE001-TICKET-0001", **deposit, formulaire=cuivre,
        commentaire="Bruit sur la ligne", piecesJointes=attachment, sets=("reference",),
    )  # fmt: skip
    reference = r.variables["reference"]
    r.call(*v2, "consulterEtatSignalisation", reference)
    r.call(*v2, "consulterDetailSignalisation", reference, sets=("idPieceJointe",))
    r.call(*v2, "obtenirPieceJointe", reference, int(r.variables["idPieceJointe"]))
    r.call(*v2, "completerSignalisation", reference, "Client joignable de 9 h à 12 h")
    r.call(*v2, "consulterHistorique", dateDebut=NOW - timedelta(days=1), identifiantPrestation="0140000001")
    r.call(*v2, "rechercherSignalisations", etats={"string": ["EN_DEPOT"]}, identifiantPrestation="0140000001")
    r.call(*v2, "consulterEvenements", depuisId=0, nombreMax=10)
    closed = r.service(*v2).deposerSignalisation(**deposit, formulaire=cuivre, commentaire="Synchronisation perdue")
    for action, code in CLOSING:
        gateway.sav.act(closed.referenceSignalisation, action, author="sav/demo", code=code)
    r.variables["closedReference"] = closed.referenceSignalisation
    r.call(*v2, "refuserCloture", closed.referenceSignalisation, "La synchronisation se perd toujours")
    r.call(*v2, "deposerSignalisation", **deposit, formulaire=cuivre, sets=("cancelledReference",), label="à annuler")
    r.call(*v2, "annulerSignalisation", r.variables["cancelledReference"], "Doublon interne")
    r.call(*v2, "deposerSignalisation", **{**deposit, "identifiantPrestation": "0149999999"}, formulaire=cuivre)

    catalogue = ("v2", "catalogue")
    r.call(*catalogue, "listerFormulaires", "CUIVRE_DEGROUPAGE")
    r.call(*catalogue, "obtenirFormulaire", "SIG_CUIVRE", "1.0")
    r.call(*catalogue, "obtenirNomenclature", "GRAVITES")
    r.call(*catalogue, "obtenirFormulaire", "SIG_INCONNU", "1.0")

    rendezvous = ("v2", "rendezvous")
    until = NOW + timedelta(days=2)
    r.call(*rendezvous, "rechercherCreneaux", reference, "SAV", None, until, sets=("idCreneau", "autreCreneau"))
    r.call(*rendezvous, "reserverRendezVous", reference, r.variables["idCreneau"],
           {"nom": "M. Martin", "telephone": "01 23 45 67 89"}, sets=("idRendezVous",))  # fmt: skip
    appointment = r.variables["idRendezVous"]
    r.call(*rendezvous, "consulterRendezVous", appointment)
    r.call(*rendezvous, "modifierRendezVous", appointment, r.variables["autreCreneau"])
    r.call(*rendezvous, "annulerRendezVous", appointment)
    r.call(*rendezvous, "consulterRendezVous", "RDV99999999")

    test = ("v2", "test")
    r.call(*test, "listerTests", "FI-0001-0001")
    r.call(*test, "lancerTest", "FI-0001-0001", "MESURE_PUISSANCE_OPTIQUE", sets=("idTest",))
    clock.advance(timedelta(minutes=1))  # past the network element's delay: the result is in
    _wait_for_result(r.service(*test), r.variables["idTest"])
    r.call(*test, "consulterResultatTest", r.variables["idTest"])
    r.call(*test, "consulterTravauxProgrammes", "FI-0001-0001")
    r.call(*test, "consulterIncidentsReseau", "FI-0001-0001")
    r.call(*test, "listerTests", "0140000001")
    return r


def _wait_for_result(service: Any, id_test: str) -> None:
    for _ in range(600):
        if service.consulterResultatTest(id_test).statut != "EN_COURS":
            return
        time.sleep(0.05)
    raise RuntimeError(f"line test {id_test} still EN_COURS")


# Files ------------------------------------------------------------------------------------------


def kit_files(recorder: Recorder) -> dict[str, bytes]:
    """Every generated file of the kit: relative path → content."""
    files: dict[str, bytes] = {}
    for exchange in recorder.exchanges:
        if exchange.label:
            continue
        stem = f"{exchange.folder}/{exchange.stem}"
        if f"{stem}.request.xml" in files:
            raise RuntimeError(f"{stem} recorded twice")
        files[f"{stem}.request.xml"] = exchange.request
        files[f"{stem}.response.xml"] = exchange.response
    files["postman/esav.postman_collection.json"] = _json(postman_collection(recorder))
    for name, base_url in (("demo", "https://localhost:8443"), ("integration", "https://localhost:9443")):
        files[f"postman/{name}.postman_environment.json"] = _json(postman_environment(name, base_url))
    return files


def _json(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode()


def postman_collection(recorder: Recorder) -> dict[str, Any]:
    """A Postman v2.1 collection of every recorded exchange, one folder per service and version."""
    folders: dict[str, list[dict[str, Any]]] = {}
    known = {value: name for name, value in recorder.variables.items()}
    known.update({value: name for name, value in DATES.items()})
    for exchange in recorder.exchanges:
        folders.setdefault(f"{exchange.version} {exchange.service}", []).append(_postman_item(exchange, known))
    return {
        "info": {
            "name": "e-SAV web services",
            "description": (
                "Every operation of the e-SAV web services (SOAP 1.1, mutual TLS), recorded from the demo "
                "gateway. Set the client certificate for {{baseUrl}}'s host in Postman's settings "
                "(or newman --ssl-client-cert/--ssl-client-key) and the provider's CA "
                "(--ssl-extra-ca-certs). Run the folders in order: later requests use references and "
                "ids captured from earlier answers. refuserCloture needs {{closedReference}}, a ticket "
                "the provider's after-sales staff closed less than 72 hours ago. Dates are relative to "
                "now, or to {{maintenant}} (ISO 8601) when the environment sets it."
            ),
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "item": [{"name": name, "item": items} for name, items in folders.items()],
        "event": [{"listen": "prerequest", "script": {"type": "text/javascript", "exec": DATES_SCRIPT}}],
        "variable": [{"key": name, "value": ""} for name in CAPTURES],
    }


def _postman_item(exchange: Exchange, known: dict[str, str]) -> dict[str, Any]:
    body = exchange.request.decode()
    for value, name in known.items():
        body = body.replace(f">{value}<", f">{{{{{name}}}}}<")
    answer = f"{exchange.operation}Response"
    tests = ["const body = pm.response.text();"]
    if exchange.fault:
        code = re.search(rb"<(?:\w+:)?code>([^<]+)</", exchange.response)
        assert code is not None
        tests += [
            'pm.test("HTTP 500 with a SOAP fault", () => pm.response.to.have.status(500));',
            f'pm.test("erreurEsav/code {code[1].decode()}", () => pm.expect(body).to.match('
            f"/<(\\w+:)?erreurEsav>[\\s\\S]*<(\\w+:)?code>{code[1].decode()}<\\//));",
        ]
    else:
        tests += [
            'pm.test("HTTP 200", () => pm.response.to.have.status(200));',
            f'pm.test("{answer}", () => pm.expect(body).to.match(/<(\\w+:)?{answer}[\\s>]/));',
        ]
    for name in exchange.sets:
        element, index = CAPTURES[name]
        tests.append(
            f"const {name} = [...body.matchAll(/<(?:\\w+:)?{element}>([^<]+)</g)][{index}]; "
            f'if ({name}) {{ pm.collectionVariables.set("{name}", {name}[1]); }}'
        )
    return {
        "name": f"{exchange.stem} ({exchange.label})" if exchange.label else exchange.stem,
        "request": {
            "method": "POST",
            "header": [
                {"key": "Content-Type", "value": "text/xml; charset=utf-8"},
                {"key": "SOAPAction", "value": f'"{exchange.operation}"'},
            ],
            "body": {"mode": "raw", "raw": body, "options": {"raw": {"language": "xml"}}},
            "url": {
                "raw": f"{{{{baseUrl}}}}/esav/{exchange.version}/{exchange.service}",
                "host": ["{{baseUrl}}"],
                "path": ["esav", exchange.version, exchange.service],
            },
        },
        "event": [{"listen": "test", "script": {"type": "text/javascript", "exec": tests}}],
    }


def postman_environment(name: str, base_url: str) -> dict[str, Any]:
    """A Postman environment: the gateway's base URL, and the closed ticket refuserCloture needs."""
    return {
        "name": f"e-SAV {name}",
        "values": [
            {"key": "baseUrl", "value": base_url, "type": "default", "enabled": True},
            *({"key": key, "value": "", "type": "default", "enabled": True} for key in ENVIRONMENT_VARIABLES),
            {"key": "maintenant", "value": "", "type": "default", "enabled": True},
        ],
    }


# A demo gateway of its own ----------------------------------------------------------------------


@contextmanager
def demo_gateway(folder: Path) -> Iterator[tuple[requests.Session, str, Gateway, FixedClock]]:
    """The demo (data, CA, certificates) in ``folder``, served on a loopback port chosen by the OS."""
    from twisted.internet import reactor as _reactor
    from twisted.internet.threads import blockingCallFromThread

    reactor: Any = _reactor
    logging.getLogger("spyne").setLevel(logging.CRITICAL)  # it logs each fault it sends with a traceback
    started = threading.Event()
    reactor.callWhenRunning(started.set)
    threading.Thread(target=reactor.run, kwargs={"installSignalHandlers": False}, daemon=True).start()
    if not started.wait(30):
        raise RuntimeError("the Twisted reactor did not start")
    clock = FixedClock(NOW)
    settings = Settings(
        data_dir=folder, port=0, metrics_port=0, catalogue_dir=REPO / "catalogue", sweep_interval_s=3600
    )
    gateway = Gateway.open(settings.database, catalogue_dir=REPO / "catalogue", clock=clock)
    build_demo(gateway, folder / "pki")
    running = blockingCallFromThread(reactor, start, gateway, settings, PkiFiles.in_dir(folder / "pki"), reactor)
    session = requests.Session()
    session.trust_env = False
    session.verify = str(folder / "pki" / "ca.pem")
    session.cert = (str(folder / "pki" / f"{OPERATOR}.pem"), str(folder / "pki" / f"{OPERATOR}.key"))
    try:
        yield session, f"https://localhost:{running.port_number}", gateway, clock
    finally:
        blockingCallFromThread(reactor, running.stop)
        gateway.close()
        reactor.callFromThread(reactor.stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=KIT, help="the kit's folder (default: integrators/)")
    options = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="esav-kit-"))
    try:
        with demo_gateway(folder) as (session, base_url, gateway, clock):
            files = kit_files(record(session, base_url, gateway, clock))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(options.out / "samples", ignore_errors=True)
    for name, content in files.items():
        path = options.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    print(f"{len(files)} files written under {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
