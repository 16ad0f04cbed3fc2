"""Frozen contracts (contract §2, §9): wsdl/{version}/ is what the code generates, with typed faults."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
import zeep
from lxml import etree
from spyne import ComplexModel
from support import deposit

import gateway.server
from gateway.cli import main
from gateway.cli._wsdl import (
    canonical_wsdl,
    check_contracts,
    contract_path,
    default_wsdl_dir,
    freeze_contracts,
    generate_wsdls,
)
from gateway.server import ENDPOINTS
from gateway.ws.v1 import _types as v1_types
from gateway.ws.v1 import signalisation as v1_signalisation

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
NS = {"wsdl": WSDL, "soap": SOAP}
FROZEN = default_wsdl_dir()


@pytest.fixture(scope="module")
def generated() -> dict[tuple[str, str], bytes]:
    return generate_wsdls()


def _renamed_summary_field(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make v1's resumeSignalisation call its first field referenceFournisseur (an accidental rename)."""
    original = v1_types.make_types

    def make_types(ns: str):
        t = original(ns)
        fields = [
            ("referenceFournisseur" if name == "referenceSignalisation" else name, model)
            for name, model in t.resume._type_info.items()
        ]
        t.resume = type(
            "resumeSignalisation",
            (ComplexModel,),
            {"__namespace__": ns, "__type_name__": "resumeSignalisation", "_type_info": fields},
        )
        return t

    monkeypatch.setattr(v1_signalisation, "make_types", make_types)


def test_committed_contracts_are_what_the_code_generates(generated):
    """``esav wsdl verifier`` passes: every service of ENDPOINTS has its frozen WSDL, identical in C14N."""
    differences = check_contracts(FROZEN, generated)
    assert not differences, "\n".join(d.explain() for d in differences)
    assert set(generated) == set(ENDPOINTS) | {("v2", "notification")}  # + the callback operators implement (§12)


def test_check_command_passes_on_the_checkout(capsys):
    """``esav wsdl verifier`` exits 0 and says how many contracts it compared."""
    assert main(["wsdl", "verifier"]) == 0
    assert f"{len(ENDPOINTS) + 1} contrats conformes" in capsys.readouterr().out  # + v2/notification


def test_renamed_field_fails_the_check_with_a_readable_diff(monkeypatch, tmp_path, capsys):
    """Renaming a v1 model field makes ``esav wsdl verifier`` exit 1 with a diff showing old and new names."""
    contract = contract_path(tmp_path, "v1", "signalisation")
    contract.parent.mkdir()
    shutil.copy(contract_path(FROZEN, "v1", "signalisation"), contract)
    (tmp_path / "v2").mkdir()  # the callback contract (§12) is always generated: keep it frozen here too
    shutil.copy(contract_path(FROZEN, "v2", "notification"), contract_path(tmp_path, "v2", "notification"))
    monkeypatch.setattr(gateway.server, "ENDPOINTS", {("v1", "signalisation"): v1_signalisation})
    assert main(["wsdl", "verifier", "--dossier", str(tmp_path)]) == 0
    capsys.readouterr()
    _renamed_summary_field(monkeypatch)
    assert main(["wsdl", "verifier", "--dossier", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "v1/signalisation" in captured.out and "le contrat généré a changé" in captured.out
    assert "1 contrat(s) différent(s)" in captured.err
    removed = [line for line in captured.out.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line for line in captured.out.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert removed == ['-          <xs:element name="referenceSignalisation" type="xs:string"/>']
    assert added == ['+          <xs:element name="referenceFournisseur" type="xs:string"/>']


def test_service_without_frozen_file_fails_the_check(generated, tmp_path):
    """A service of ENDPOINTS with no file in wsdl/ is a difference, never a skip."""
    some = dict(list(generated.items())[:1])
    (version, service), _ = next(iter(some.items()))
    differences = check_contracts(tmp_path, some)
    assert [(d.version, d.service) for d in differences] == [(version, service)]
    assert "esav wsdl figer" in differences[0].problem


def test_frozen_file_of_an_unpublished_service_fails_the_check(generated, tmp_path):
    """A frozen contract that no endpoint generates any more is a difference too."""
    freeze_contracts(tmp_path, generated)
    (tmp_path / "v2" / "ancien.wsdl").write_bytes(contract_path(tmp_path, "v2", "signalisation").read_bytes())
    differences = check_contracts(tmp_path, generated)
    assert [(d.version, d.service) for d in differences] == [("v2", "ancien")]


def test_freeze_then_check_round_trips(generated, tmp_path):
    """Files written by freeze are found identical by check, and a second freeze changes nothing."""
    assert all(changed for _, changed in freeze_contracts(tmp_path, generated))
    assert check_contracts(tmp_path, generated) == []
    assert not any(changed for _, changed in freeze_contracts(tmp_path, generated))


def test_location_and_component_order_do_not_count(generated):
    """The soap:address host and the order of schema components are normalised away."""
    (version, service), document = next(iter(generated.items()))
    root = etree.fromstring(document)
    root.find(".//soap:address", NS).set("location", "https://esav.example.net:9443/esav/x")
    schema = root.find(".//{http://www.w3.org/2001/XMLSchema}schema")
    schema[:] = list(reversed(schema))
    assert canonical_wsdl(etree.tostring(root), version, service) == canonical_wsdl(document, version, service)


def test_served_wsdls_match_the_frozen_contracts(live):
    """What a running gateway publishes at ?wsdl is canonically the frozen file, for every endpoint."""
    session = live.session()
    for version, service in ENDPOINTS:
        served = session.get(live.url(service, version) + "?wsdl", timeout=10)
        assert served.status_code == 200, (version, service)
        frozen = contract_path(FROZEN, version, service).read_bytes()
        assert canonical_wsdl(served.content, version, service) == canonical_wsdl(frozen, version, service)


def test_every_operation_of_both_versions_declares_the_typed_fault(generated):
    """In every service's WSDL, each operation declares wsdl:fault erreurEsav, whose part is the erreurEsav element."""
    versions = set()
    for (version, service), document in generated.items():
        root = etree.fromstring(document)
        tns = root.get("targetNamespace")
        message = root.find("wsdl:message[@name='erreurEsav']", NS)
        assert message is not None, (version, service)
        part = message.find("wsdl:part", NS)
        assert part.get("element").split(":")[1] == "erreurEsav"
        assert part.nsmap[part.get("element").split(":")[0]] == tns
        operations = root.findall("wsdl:portType/wsdl:operation", NS)
        assert operations, (version, service)
        for operation in operations:
            faults = [f.get("message") for f in operation.findall("wsdl:fault", NS)]
            assert faults == ["tns:erreurEsav"], (version, service, operation.get("name"))
        for operation in root.findall("wsdl:binding/wsdl:operation", NS):
            assert operation.find("wsdl:fault/soap:fault[@name='erreurEsav']", NS) is not None, operation.get("name")
        versions.add(version)
    assert versions == {"v1", "v2"}


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_client_generated_from_the_frozen_file_works(live, version):
    """As the integration guide shows: zeep on wsdl/{version}/signalisation.wsdl, real address set at run time."""
    client = zeep.Client(
        str(contract_path(FROZEN, version, "signalisation")), transport=zeep.Transport(session=live.session())
    )
    service = client.create_service(f"{{urn:esav:signalisation:{version}}}signalisation", live.url(version=version))
    reference = deposit(SimpleNamespace(service=service)).referenceSignalisation
    assert service.consulterEtatSignalisation(reference).etat == "EN_DEPOT"
