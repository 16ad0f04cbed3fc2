"""The integration platform: robot paths, journal, sandbox reset, campaign, attestation into production."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import zeep
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from platform_support import LivePlatform, start_platform_for_test
from support import SessionPki, example_form, fault_code, in_reactor, start_gateway

from gateway.cli import main
from gateway.integration import PlatformNetwork, load_robot_paths, sign_attestation
from gateway.server import ENDPOINTS

PATHS = load_robot_paths()


@pytest.fixture
def platform(tmp_path: Path, session_pki: SessionPki) -> Any:
    running = start_platform_for_test(tmp_path / "platform", session_pki)
    try:
        yield running
    finally:
        running.stop()


def _deposit(p: LivePlatform, operator: str, path: str, **extra: Any) -> str:
    prestation = PATHS.prestation(path, operator)
    offer = next(x for x in PATHS.paths if x.name == path).code_offre
    form = {"CUIVRE_DEGROUPAGE": ("SIG_CUIVRE", "1.0"), "DSL_BITSTREAM": ("SIG_DSL", "2.0")}[offer]
    answer = p.client(operator).service.deposerSignalisation(
        identifiantPrestation=prestation,
        codeOffre=offer,
        gravite="MAJEURE",
        formulaire={"code": form[0], "version": form[1], "_value_1": example_form(*form)},
        **extra,
    )
    return str(answer.referenceSignalisation)


def _state(p: LivePlatform, operator: str, reference: str) -> str:
    return str(p.client(operator).service.consulterEtatSignalisation(reference).etat)


def _run_robot(p: LivePlatform, ticks: int = 6) -> None:
    for _ in range(ticks):
        in_reactor(p.running.robot.step)


def _complete(p: LivePlatform, operator: str, reference: str) -> None:
    p.client(operator).service.completerSignalisation(referenceSignalisation=reference, commentaire="Site ouvert.")


def _book(p: LivePlatform, operator: str, reference: str) -> None:
    client = p.client(operator, "rendezvous")
    slots = client.service.rechercherCreneaux(referenceSignalisation=reference, typeIntervention="SAV")
    client.service.reserverRendezVous(
        referenceSignalisation=reference,
        idCreneau=slots[1].idCreneau,
        contact={"nom": "M. Test", "telephone": "01 02 03 04 05"},
    )


def _refuse(p: LivePlatform, operator: str, reference: str) -> None:
    p.client(operator).service.refuserCloture(referenceSignalisation=reference, motif="Toujours en panne.")


# path → (state where the robot waits for the operator, the operator's action, final state)
ROBOT_PATHS = {
    "ACCEPTEE_CLOSE_VALIDEE": (None, None, "VALIDE"),
    "REJETEE": (None, None, "EN_REJET"),
    "DSL_TRAITEE": (None, None, "CLOS"),
    "GELEE_COMPLEMENT": ("GELE", _complete, "CLOS"),
    "GELEE_RENDEZ_VOUS": ("GELE", _book, "CLOS"),
    "CLOTURE_REFUSABLE": ("CLOS", _refuse, "CLOS"),
}


def test_every_ticket_path_of_the_robot_data_is_covered_here() -> None:
    """The ticket paths of test_sets/robot.toml are exactly those this test module drives."""
    assert {p.name for p in PATHS.paths if p.steps} == set(ROBOT_PATHS)


@pytest.mark.parametrize("path", sorted(ROBOT_PATHS))
def test_robot_moves_a_sandbox_ticket_along_its_path(platform: LivePlatform, path: str) -> None:
    """The robot takes a sandbox ticket through its path, waiting where the operator must act."""
    waits_in, action, final = ROBOT_PATHS[path]
    reference = _deposit(platform, "OPE002", path)
    _run_robot(platform)
    if action is not None:
        assert _state(platform, "OPE002", reference) == waits_in
        _run_robot(platform)
        assert _state(platform, "OPE002", reference) == waits_in  # still waiting: nothing moves it
        action(platform, "OPE002", reference)
        _run_robot(platform)
    assert _state(platform, "OPE002", reference) == final
    transitions = platform.gateway.store.transitions(platform.gateway.store.get_ticket(reference).id)
    assert any(t.author == "ROBOT-INTEGRATION" and t.actor == "SAV" for t in transitions)


@pytest.fixture(params=["sqlite", "postgresql"])
def platform_any(request: pytest.FixtureRequest, tmp_path: Path, session_pki: SessionPki) -> Any:
    """``platform`` on each engine: the sandbox in a SQLite file, then in a PostgreSQL database of its own."""
    running = start_platform_for_test(tmp_path / "platform", session_pki, backend=request.param)
    try:
        yield running
    finally:
        running.stop()


def test_the_sandbox_and_its_robot_work_on_either_engine(platform_any: LivePlatform) -> None:
    """On SQLite and on PostgreSQL: a sandbox ticket deposited over SOAP goes along its path with the robot."""
    test_robot_moves_a_sandbox_ticket_along_its_path(platform_any, "ACCEPTEE_CLOSE_VALIDEE")


def test_robot_leaves_tickets_outside_the_sandbox_prestations_alone(platform: LivePlatform) -> None:
    """A ticket on an ordinary (demo) prestation stays EN_DEPOT whatever the robot does."""
    client = platform.client("OPE001")
    answer = client.service.deposerSignalisation(
        identifiantPrestation="0140000001",
        codeOffre="CUIVRE_DEGROUPAGE",
        gravite="MAJEURE",
        formulaire={"code": "SIG_CUIVRE", "version": "1.0", "_value_1": example_form("SIG_CUIVRE")},
    )
    _run_robot(platform)
    assert _state(platform, "OPE001", answer.referenceSignalisation) == "EN_DEPOT"


@pytest.mark.parametrize(
    ("path", "test_type", "status", "diagnostic"),
    [
        ("TEST_REUSSI", "ETAT_PORT_OLT", "TERMINE", "LIGNE_OK"),
        ("TEST_REUSSI", "ETAT_ONT", "TERMINE", "LIGNE_OK"),
        ("TEST_ECHOUE", "ETAT_PORT_OLT", "ECHEC", "TEST_NON_CONCLUANT"),
        ("TEST_ECHOUE", "MESURE_PUISSANCE_OPTIQUE", "ECHEC", "TEST_NON_CONCLUANT"),
    ],
)
def test_line_test_paths_force_the_outcome_of_their_prestations(
    path: str, test_type: str, status: str, diagnostic: str
) -> None:
    """A test path's prestation always ends as the path says, whatever the simulator's hash gives."""
    network = PlatformNetwork(delay_s=0, forced={PATHS.prestation(path, "OPE001"): (status, diagnostic)})
    start = datetime(2026, 11, 18, 9, tzinfo=UTC)
    handle = network.start_test(PATHS.prestation(path, "OPE001"), "FTTH_ACCES", test_type, start)
    outcome = network.result(handle, start)
    assert outcome is not None and (outcome.status, outcome.diagnostic) == (status, diagnostic)


def _journal(p: LivePlatform, operator: str) -> list[Any]:
    return list(p.client(operator, "integration").service.consulterJournal(max=500) or [])


def test_journal_is_per_operator_and_records_version_operation_and_fault(platform: LivePlatform) -> None:
    """Each operator lists only its own calls, with version, operation, request and answer or fault."""
    _deposit(platform, "OPE001", "REJETEE")
    with pytest.raises(zeep.exceptions.Fault):
        platform.client("OPE002").service.consulterEtatSignalisation("SIG99999999")
    with pytest.raises(zeep.exceptions.Fault):
        platform.client("OPE002", version="v1").service.consulterEtatSignalisation("SIG99999998")
    ope1 = _journal(platform, "OPE001")
    ope2 = _journal(platform, "OPE002")
    assert [(e.version, e.service, e.operation, e.codeErreur) for e in ope1] == [
        ("v2", "signalisation", "deposerSignalisation", None)
    ]
    assert "BAC-OPE001-02" in ope1[0].requete and "SIG" in ope1[0].reponse
    assert [(e.version, e.operation, e.codeErreur) for e in ope2] == [
        ("v2", "consulterEtatSignalisation", "SIGNALISATION_INCONNUE"),
        ("v1", "consulterEtatSignalisation", "SIGNALISATION_INCONNUE"),
    ]
    assert "BAC-OPE001" not in "".join(e.requete + e.reponse for e in ope2)


def test_cli_journal_lists_one_operators_entries_as_json(platform: LivePlatform, capsys: Any) -> None:
    """``esav integration journal OPE002 --json`` prints OPE002's calls only."""
    _deposit(platform, "OPE001", "REJETEE")
    _deposit(platform, "OPE002", "REJETEE")
    platform.flush()
    assert main(["integration", "journal", "OPE002", "--json", "--donnees", str(platform.data_dir)]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [(e["operator_code"], e["operation"]) for e in entries] == [("OPE002", "deposerSignalisation")]


def _sandbox(p: LivePlatform, operator: str) -> tuple[str, str]:
    reference = _deposit(p, operator, "GELEE_RENDEZ_VOUS")
    _run_robot(p)
    _book(p, operator, reference)
    test = p.client(operator, "test").service.lancerTest(
        identifiantPrestation=PATHS.prestation("TEST_REUSSI", operator), typeTest="ETAT_PORT_OLT"
    )
    return reference, str(test.idTest)


def _exists(p: LivePlatform, operator: str, reference: str, test: str) -> tuple[bool, bool]:
    try:
        _state(p, operator, reference)
        ticket = True
    except zeep.exceptions.Fault as fault:
        assert fault_code(fault) == "SIGNALISATION_INCONNUE"
        ticket = False
    return ticket, p.gateway.store.get_line_test(test) is not None


def test_reset_from_the_operators_system_deletes_only_its_own_sandbox(platform: LivePlatform) -> None:
    """reinitialiserBacASable deletes the caller's tickets, tests, appointments and journal, nobody else's."""
    mine = _sandbox(platform, "OPE001")
    theirs = _sandbox(platform, "OPE002")
    before = len(_journal(platform, "OPE002"))
    counts = platform.client("OPE001", "integration").service.reinitialiserBacASable()
    assert (counts.signalisationsSupprimees, counts.testsSupprimes, counts.rendezVousSupprimes) == (1, 1, 1)
    assert _exists(platform, "OPE001", *mine) == (False, False)
    assert _exists(platform, "OPE002", *theirs) == (True, True)
    assert [(e.operation, e.codeErreur) for e in _journal(platform, "OPE001")] == [
        ("reinitialiserBacASable", None),
        ("consulterEtatSignalisation", "SIGNALISATION_INCONNUE"),  # the check just above
    ]
    assert len(_journal(platform, "OPE002")) == before + 2  # its own journal reads and the state query
    [audit] = [r for r in platform.gateway.store.audit() if r.action == "integration.reinitialisation"]
    assert (audit.actor, audit.target, audit.details["signalisations"]) == ("OPE001", "OPE001", 1)


def test_reset_from_the_cli_deletes_only_that_operators_sandbox(platform: LivePlatform, capsys: Any) -> None:
    """``esav integration reinitialiser OPE002`` leaves OPE001's tickets and tests in place."""
    mine = _sandbox(platform, "OPE001")
    theirs = _sandbox(platform, "OPE002")
    platform.flush()
    assert main(["integration", "reinitialiser", "OPE002", "--donnees", str(platform.data_dir)]) == 0
    assert "1 signalisation(s), 1 test(s), 1 rendez-vous" in capsys.readouterr().out
    assert _exists(platform, "OPE002", *theirs) == (False, False)
    assert _exists(platform, "OPE001", *mine) == (True, True)
    [audit] = [r for r in platform.gateway.store.audit() if r.action == "integration.reinitialisation"]
    assert audit.actor.startswith("fournisseur/") and audit.target == "OPE002"


def test_sandbox_set_up_audits_the_domains_it_opens(platform: LivePlatform) -> None:
    """Building the sandbox opens every domain to the operators that lacked one, each change audited."""
    opened = [(r.actor, r.target) for r in platform.gateway.store.audit() if r.action == "integration.domaines"]
    assert opened == [("plate-forme d'intégration", "OPE002"), ("plate-forme d'intégration", "OPE003")]
    assert all(o.domains == {"signalisation", "test"} for o in platform.gateway.admin.list_operators())


def test_integration_service_is_not_published_in_production() -> None:
    """The integration service is mounted on the platform only: not in ENDPOINTS nor in the frozen WSDLs."""
    assert all(service != "integration" for _, service in ENDPOINTS)
    assert not list(Path("wsdl").rglob("*integration*"))


# Campaign and attestation ----------------------------------------------------------------------


def _complete_signalisation_campaign(p: LivePlatform, operator: str) -> None:
    reference = _deposit(p, operator, "ACCEPTEE_CLOSE_VALIDEE")
    _state(p, operator, reference)


def test_campaign_reports_progress_per_domain(platform: LivePlatform) -> None:
    """consulterCampagne shows signalisation done after a deposit and a state query, test still to do."""
    service = platform.client("OPE003", "integration").service
    assert service.consulterCampagne().complete is False
    _complete_signalisation_campaign(platform, "OPE003")
    progress = service.consulterCampagne()
    done = {d.domaine: d.valide for d in progress.domaines.domaineCampagne}
    assert (progress.complete, done) == (False, {"signalisation": True, "test": False})


def test_one_successful_call_of_a_domains_web_service_validates_it(platform: LivePlatform, capsys) -> None:
    """One deposit validates signalisation, as the seed asks; the stricter campaign (`--stricte`) wants both calls."""
    _deposit(platform, "OPE003", "ACCEPTEE_CLOSE_VALIDEE")
    progress = platform.client("OPE003", "integration").service.consulterCampagne()
    done = {d.domaine: d.valide for d in progress.domaines.domaineCampagne}
    assert done == {"signalisation": True, "test": False}
    data = str(platform.data_dir)
    capsys.readouterr()
    assert main(["integration", "campagne", "OPE003", "--stricte", "--json", "--donnees", data]) == 0
    strict = {d["domaine"]: d["valide"] for d in json.loads(capsys.readouterr().out)["domaines"]}
    assert strict == {"signalisation": False, "test": False}
    assert main(["integration", "campagne", "OPE003", "--json", "--donnees", data]) == 0
    seed = {d["domaine"]: d["valide"] for d in json.loads(capsys.readouterr().out)["domaines"]}
    assert seed == {"signalisation": True, "test": False}


def test_attestation_is_refused_before_any_domain_is_complete(platform: LivePlatform) -> None:
    """obtenirAttestation with an empty campaign is a REQUETE_INVALIDE fault naming what is missing."""
    with pytest.raises(zeep.exceptions.Fault) as raised:
        platform.client("OPE003", "integration").service.obtenirAttestation()
    assert fault_code(raised.value) == "REQUETE_INVALIDE"
    assert "deposerSignalisation" in raised.value.message


def _production_config(tmp_path: Path, platform: LivePlatform) -> Path:
    config = tmp_path / "production.ini"
    config.write_text(f"[esav]\nintegration_platform_key = {platform.running.public_key}\n", encoding="utf-8")
    return config


def _validate(production: Any, config: Path, attestation: Path) -> int:
    return main(
        [
            "operateurs",
            "valider",
            "--attestation",
            str(attestation),
            "--donnees",
            str(production.data_dir),
            "--config",
            str(config),
        ]
    )


def _habilitation(production: Any, operator: str, service: str) -> str:
    client = production.client(operator, service)
    try:
        if service == "signalisation":
            client.service.consulterEtatSignalisation("SIG99999999")
        else:
            client.service.listerTests(identifiantPrestation="FI-0003-0001")
    except zeep.exceptions.Fault as fault:
        return fault_code(fault)
    return "OK"


@pytest.fixture
def production(tmp_path: Path, session_pki: SessionPki) -> Any:
    running = start_gateway(tmp_path / "production", session_pki)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.sqlite_file
def test_attestation_opens_production_for_the_attested_domains_only(
    platform: LivePlatform, production: Any, tmp_path: Path, capsys: Any
) -> None:
    """OPE003 completes signalisation on the platform; its attestation opens signalisation, not test, in production."""
    assert _habilitation(production, "OPE003", "signalisation") == "NON_HABILITE"
    _complete_signalisation_campaign(platform, "OPE003")
    answer = platform.client("OPE003", "integration").service.obtenirAttestation()
    assert (answer.version, list(answer.domaines.domaine)) == ("v2", ["signalisation"])
    attestation = tmp_path / "OPE003.attestation.json"
    attestation.write_text(answer.attestation, encoding="utf-8")
    assert _validate(production, _production_config(tmp_path, platform), attestation) == 0
    assert "OPE003 validé pour : signalisation" in capsys.readouterr().out
    assert _habilitation(production, "OPE003", "signalisation") == "SIGNALISATION_INCONNUE"  # reached the service
    assert _habilitation(production, "OPE003", "test") == "NON_HABILITE"
    [validation] = [r for r in production.gateway.store.audit() if r.action == "operateur.validation"]
    assert validation.actor.startswith("fournisseur/") and validation.target == "OPE003"
    assert validation.details["domaines"] == {"avant": [], "apres": ["signalisation"]}
    issued = [(r.actor, r.target) for r in platform.gateway.store.audit() if r.action == "integration.attestation"]
    assert issued == [("OPE003", "OPE003")]


def _altered_domains(document: dict[str, Any], _: Path) -> str:
    document["attestation"]["domaines"] = ["signalisation", "test"]
    return json.dumps(document)


def _altered_operator(document: dict[str, Any], _: Path) -> str:
    document["attestation"]["operateur"] = "OPE002"
    return json.dumps(document)


def _signed_by_another_key(document: dict[str, Any], _: Path) -> str:
    payload = document["attestation"]
    return sign_attestation(
        Ed25519PrivateKey.generate(),
        operator_code=payload["operateur"],
        operator_name="x",
        domains=["signalisation", "test"],
        version="v2",
        at=datetime.now(UTC),
        number=1,
    )


def _forged_with_another_key_but_no_key_id(document: dict[str, Any], path: Path) -> str:
    forged = json.loads(_signed_by_another_key(document, path))
    del forged["signature"]["cle"]
    return json.dumps(forged)


def _not_json(document: dict[str, Any], _: Path) -> str:
    return "<attestation>signalisation</attestation>"


FORGERIES = {
    "domaines ajoutés": (_altered_domains, "signature invalide"),
    "opérateur changé": (_altered_operator, "signature invalide"),
    "autre clé": (_signed_by_another_key, "pas signée par la clé"),
    "autre clé sans identifiant": (_forged_with_another_key_but_no_key_id, "signature invalide"),
    "pas une attestation": (_not_json, "illisible"),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_or_altered_attestation_is_refused_and_opens_nothing(
    platform: LivePlatform, production: Any, tmp_path: Path, capsys: Any, forgery: str
) -> None:
    """An altered or foreign attestation is refused with a clear message; production stays closed."""
    alter, message = FORGERIES[forgery]
    _complete_signalisation_campaign(platform, "OPE003")
    genuine = json.loads(platform.client("OPE003", "integration").service.obtenirAttestation().attestation)
    attestation = tmp_path / "forged.json"
    attestation.write_text(alter(genuine, tmp_path), encoding="utf-8")
    assert _validate(production, _production_config(tmp_path, platform), attestation) == 1
    assert message in capsys.readouterr().err
    assert _habilitation(production, "OPE003", "signalisation") == "NON_HABILITE"
    assert production.gateway.store.get_operator("OPE003").domains == frozenset()


def test_validate_without_a_configured_platform_key_says_which_setting(
    production: Any, tmp_path: Path, capsys: Any
) -> None:
    """``esav operateurs valider`` without integration_platform_key names the setting to configure."""
    attestation = tmp_path / "a.json"
    attestation.write_text("{}", encoding="utf-8")
    assert (
        main(["operateurs", "valider", "--attestation", str(attestation), "--donnees", str(production.data_dir)]) == 1
    )
    assert "integration_platform_key" in capsys.readouterr().err


def test_platform_key_public_half_is_a_pem_ed25519_key(platform: LivePlatform) -> None:
    """The public key given to production is a PEM Ed25519 key in the platform's PKI folder."""
    key = serialization.load_pem_public_key(platform.running.public_key.read_bytes())
    assert isinstance(key, Ed25519PublicKey)
    assert platform.running.public_key.parent == platform.data_dir / "pki"
