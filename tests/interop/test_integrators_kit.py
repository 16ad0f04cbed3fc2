"""The integrator's kit (integrators/): samples valid against the frozen WSDLs, still what a real
gateway answers, and replayed as operators would — curl from its README, newman from its collection."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from interop_support import INTEROP, require_commands
from lxml import etree
from support import CATALOGUE, REPO, LiveGateway, deposit
from web_support import TECH, signed_in

from gateway.domain.states import Action

KIT = REPO / "integrators"
SAMPLES = KIT / "samples"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
XS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
#: The services and versions of the kit (notification is the operator's side: no sample).
SERVICES = ("v1/signalisation", "v2/signalisation", "v2/catalogue", "v2/rendezvous", "v2/test")
#: Elements whose text changes on every run: a fault's id in the provider's logs.
VOLATILE = ("idErreur",)
#: The samples that carry a form (request of a deposit, answer of a detail).
FORM_CARRIERS = {("deposerSignalisation", "request"), ("consulterDetailSignalisation", "response")}
SAMPLE_FILES = sorted(SAMPLES.rglob("*.xml"))
NEWMAN_TIMEOUT_S = 300
#: What the after-sales staff do to close a ticket.
CLOSING = ((Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR"))


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_samples", KIT / "generate_samples.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@functools.cache
def _wsdl_schema(service: str) -> etree.XMLSchema:
    """The xs:schema of a frozen WSDL, alone (it inherits the WSDL's namespace declarations)."""
    definitions = etree.parse(str(REPO / "wsdl" / f"{service}.wsdl")).getroot()
    [schema] = definitions.findall(f"{{{WSDL_NS}}}types/{{{XS}}}schema")
    return etree.XMLSchema(etree.fromstring(etree.tostring(schema)))


@functools.cache
def _form_schema(code: str, version: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CATALOGUE / "forms" / code / f"{version}.xsd")))


def _operations(service: str) -> set[str]:
    definitions = etree.parse(str(REPO / "wsdl" / f"{service}.wsdl")).getroot()
    return {op.get("name") for op in definitions.iterfind(f"{{{WSDL_NS}}}portType/{{{WSDL_NS}}}operation")}


def test_every_operation_has_its_request_and_answer_and_each_service_a_fault():
    """Each operation of each service and version has a request and an answer; each service one fault pair."""
    for service in SERVICES:
        folder = SAMPLES / service
        names = {p.name for p in folder.iterdir()}
        expected = {f"{op}.{kind}.xml" for op in _operations(service) for kind in ("request", "response")}
        faults = {name for name in names - expected if ".fault." in name}
        assert names - faults == expected, service
        [operation] = {name.split(".")[0] for name in faults}
        assert faults == {f"{operation}.fault.request.xml", f"{operation}.fault.response.xml"}, service


@pytest.mark.parametrize("sample", SAMPLE_FILES, ids=[p.relative_to(SAMPLES).as_posix() for p in SAMPLE_FILES])
def test_sample_is_valid_against_the_frozen_wsdl_and_its_form_xsd(sample: Path):
    """A sample's Body child (or fault detail) is valid against its WSDL's schema, its form against the form's XSD."""
    service = sample.parent.relative_to(SAMPLES).as_posix()
    envelope = etree.parse(str(sample)).getroot()
    assert envelope.tag == f"{{{SOAP_ENV}}}Envelope"
    [body] = envelope.findall(f"{{{SOAP_ENV}}}Body")
    [payload] = list(body)
    schema = _wsdl_schema(service)
    if ".fault." in sample.name and sample.name.endswith("response.xml"):
        assert payload.tag == f"{{{SOAP_ENV}}}Fault"
        [erreur] = payload.findall("detail/*")
        schema.assertValid(erreur)
        assert erreur.findtext("{*}code")
    else:
        operation = sample.name.split(".")[0]
        suffix = "Response" if sample.name.endswith("response.xml") else ""
        assert payload.tag == f"{{urn:esav:{service.split('/')[1]}:{service.split('/')[0]}}}{operation}{suffix}"
        schema.assertValid(payload)
    forms = [f for f in payload.iter("{*}formulaire") if f.get("code")]  # listerFormulaires' are descriptions
    kind = sample.name.rsplit(".", 2)[-2]
    assert bool(forms) == ((sample.name.split(".")[0], kind) in FORM_CARRIERS), forms
    for formulaire in forms:
        [form] = list(formulaire)  # xs:any, processContents lax: the WSDL's schema does not look inside
        _form_schema(formulaire.get("code"), formulaire.get("version")).assertValid(form)


def _normalised(content: bytes) -> bytes:
    root = etree.fromstring(content)
    for name in VOLATILE:
        for element in root.iter(f"{{*}}{name}"):
            element.text = "volatile"
    return etree.tostring(root, method="c14n")


def test_committed_kit_is_what_the_generator_records_from_a_live_gateway(live: LiveGateway):
    """Regenerating against a fresh demo gateway gives the committed samples and collection (fault ids aside)."""
    generator = _generator()
    recorder = generator.record(live.session("OPE001"), f"https://localhost:{live.port}", live.gateway, live.clock)
    files = generator.kit_files(recorder)
    committed = {p.relative_to(KIT).as_posix() for p in [*SAMPLE_FILES, *(KIT / "postman").iterdir()]}
    assert set(files) == committed
    for name, content in files.items():
        on_disk = (KIT / name).read_bytes()
        if name.endswith(".xml"):
            assert _normalised(content) == _normalised(on_disk), f"{name} is stale: run integrators/generate_samples.py"
        else:
            assert json.loads(content) == json.loads(on_disk), f"{name} is stale: run integrators/generate_samples.py"


def _readme_command(program: str) -> list[str]:
    """The README's command line that starts with ``program`` (continuation lines joined)."""
    text = (KIT / "README.md").read_text(encoding="utf-8").replace("\\\n", " ")
    [line] = [line for line in text.splitlines() if line.strip().startswith(program + " ")]
    return shlex.split(line)


def _on_live(argv: list[str], live: LiveGateway) -> list[str]:
    """The README's demo paths and address replaced by the live gateway's."""
    pki = str(live.pki.directory)
    demo = f"https://localhost:{live.port}"
    return [arg.replace("var/demo/pki", pki).replace("https://localhost:8443", demo) for arg in argv]


def test_the_readme_curl_command_deposits_over_mutual_tls(live: LiveGateway):
    """The README's curl command line (client certificate, CA, SOAPAction) deposits on a live gateway."""
    require_commands("curl")
    argv = _on_live(_readme_command("curl"), live)
    completed = subprocess.run(argv, cwd=REPO, capture_output=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    answer = etree.fromstring(completed.stdout)
    reference = answer.findtext(".//{urn:esav:signalisation:v2}referenceSignalisation")
    assert reference and live.gateway.store.get_ticket(reference).commentaire == "Bruit sur la ligne"


def _closed_ticket(live: LiveGateway) -> str:
    """A ticket the back office closed just now (refuserCloture's precondition)."""
    reference = str(deposit(live.client()).referenceSignalisation)
    for action, code in CLOSING:
        live.gateway.sav.act(reference, action, author="sav/test", code=code)
    return reference


def test_newman_replays_every_request_of_the_collection_over_mutual_tls(live: LiveGateway, tmp_path: Path):
    """newman runs the whole collection with the client certificate against a live gateway: every test passes."""
    newman = INTEROP / "node_modules" / ".bin" / "newman"
    require_commands("node")
    if not newman.exists():
        pytest.skip("`newman` not found (npm ci in tests/interop)")
    collection = json.loads((KIT / "postman" / "esav.postman_collection.json").read_text(encoding="utf-8"))
    environment = json.loads((KIT / "postman" / "demo.postman_environment.json").read_text(encoding="utf-8"))
    values = {
        "baseUrl": f"https://localhost:{live.port}",
        "closedReference": _closed_ticket(live),
        "maintenant": live.clock.now().isoformat(),
    }
    for entry in environment["values"]:
        entry["value"] = values.get(entry["key"], entry["value"])
    (tmp_path / "env.json").write_text(json.dumps(environment), encoding="utf-8")
    cert, key = live.cert_files("OPE001")
    report = tmp_path / "report.json"
    argv = [str(newman), "run", str(KIT / "postman" / "esav.postman_collection.json"), "-e", str(tmp_path / "env.json"),
            "--ssl-client-cert", cert, "--ssl-client-key", key,
            "--ssl-extra-ca-certs", str(live.pki.directory / "ca.pem"),
            "--reporters", "cli,json", "--reporter-json-export", str(report), "--color", "off"]  # fmt: skip
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=NEWMAN_TIMEOUT_S, check=False)
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]
    stats = json.loads(report.read_text(encoding="utf-8"))["run"]["stats"]
    requests_in_collection = sum(len(folder["item"]) for folder in collection["item"])
    assert stats["requests"] == {"total": requests_in_collection, "pending": 0, "failed": 0}
    assert stats["assertions"]["failed"] == 0 and stats["assertions"]["total"] >= 2 * requests_in_collection


def test_each_collection_request_checks_its_answer_or_its_fault_code():
    """Every request of the collection tests HTTP 200 and its answer, or HTTP 500 and the fault's code."""
    collection = json.loads((KIT / "postman" / "esav.postman_collection.json").read_text(encoding="utf-8"))
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    for folder in collection["item"]:
        for item in folder["item"]:
            script = "\n".join(item["event"][0]["script"]["exec"])
            operation = item["name"].split(".")[0].split(" ")[0]
            if ".fault" in item["name"]:
                assert "status(500)" in script and re.search(r"code>[A-Z_]+<", script), item["name"]
            else:
                assert "status(200)" in script and f"{operation}Response" in script, item["name"]
    environments = {p.name: json.loads(p.read_text()) for p in (KIT / "postman").glob("*.postman_environment.json")}
    urls = {
        name: next(v["value"] for v in env["values"] if v["key"] == "baseUrl") for name, env in environments.items()
    }
    assert urls == {
        "demo.postman_environment.json": "https://localhost:8443",
        "integration.postman_environment.json": "https://localhost:9443",
    }


def test_the_portal_document_area_serves_the_kit(portal: LiveGateway):
    """The portal's Documents page lists the integrator's kit and serves one of its samples as it is committed."""
    tech = signed_in(portal, TECH)
    page = tech.get("/documents").text
    name = "samples/v2/signalisation/deposerSignalisation.request.xml"
    assert name in page and "postman/esav.postman_collection.json" in page
    sample = tech.get("/documents/integrateurs/" + name.replace("/", "~"))
    assert sample.status_code == 200 and sample.content == (KIT / name).read_bytes()
