"""The operators' test set: its coverage (data), its runner against a fresh platform, its exit status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from junitparser import JUnitXml
from lxml import etree
from platform_support import start_platform_for_test
from support import SessionPki

from gateway.cli import main
from gateway.errors import ConfigError
from gateway.integration import load_robot_paths
from gateway.server import ENDPOINTS
from gateway.testset import load_test_set

REPO = Path(__file__).resolve().parent.parent
WSDL_NS = {"w": "http://schemas.xmlsoap.org/wsdl/"}
INTEGRATION_OPERATIONS = {"consulterJournal", "consulterCampagne", "reinitialiserBacASable", "obtenirAttestation"}

#: The faults an operator's system can cause, per version (CRENEAUX_INDISPONIBLES depends on the hour,
#: NON_HABILITE cannot happen on the platform, where every domain is open).
OPERATOR_FAULTS = {
    "v1": {
        "PRESTATION_INCONNUE",
        "FORMULAIRE_INVALIDE",
        "FORMULAIRE_VERSION_RETIREE",
        "SIGNALISATION_INCONNUE",
        "TRANSITION_INTERDITE",
        "HISTORIQUE_HORS_DELAI",
        "REQUETE_INVALIDE",
    },
    "v2": {
        "PRESTATION_INCONNUE",
        "FORMULAIRE_INVALIDE",
        "FORMULAIRE_VERSION_RETIREE",
        "SIGNALISATION_INCONNUE",
        "TRANSITION_INTERDITE",
        "DOUBLON",
        "HISTORIQUE_HORS_DELAI",
        "CRENEAU_NON_DISPONIBLE",
        "TEST_NON_DISPONIBLE",
        "REQUETE_INVALIDE",
    },
}


def _published_operations(version: str) -> set[tuple[str, str]]:
    operations = set()
    for v, service in ENDPOINTS:
        if v != version:
            continue
        wsdl = etree.parse(str(REPO / "wsdl" / version / f"{service}.wsdl"))
        operations |= {(service, name) for name in wsdl.xpath("//w:portType/w:operation/@name", namespaces=WSDL_NS)}
    if version == "v2":
        operations |= {("integration", name) for name in INTEGRATION_OPERATIONS}
    return operations


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_test_set_calls_every_operation_of_every_service(version: str) -> None:
    """Every operation the version publishes (and the platform's integration service) has a step."""
    called = {(step.service, step.operation) for s in load_test_set(version) for step in s.steps}
    assert _published_operations(version) - called == set()


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_test_set_provokes_every_fault_an_operator_can_cause(version: str) -> None:
    """Every fault code an operator can cause in that version is the expected outcome of some step."""
    expected = {step.fault for s in load_test_set(version) for step in s.steps if step.fault}
    assert OPERATOR_FAULTS[version] - expected == set()


def test_v2_test_set_follows_every_robot_path() -> None:
    """Every path of test_sets/robot.toml is exercised by a v2 scenario that names it and uses its prestation."""
    scenarios = load_test_set("v2")
    for path in load_robot_paths().paths:
        users = [s for s in scenarios if path.name in s.paths]
        assert users, path.name
        token = f"${{prestation:{path.name}}}"
        assert any(token in str(step.request) for s in users for step in s.steps), path.name


def test_a_malformed_scenario_is_named_in_the_error(tmp_path: Path) -> None:
    """A step without operation is refused at load time with the file, scenario and step."""
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "bad.toml").write_text('[[scenario]]\nnom = "x"\n[[scenario.etape]]\nservice = "test"\n')
    with pytest.raises(ConfigError, match=r"bad\.toml x étape 1 : champ « operation » manquant"):
        load_test_set("v2", tmp_path)


def test_a_malformed_robot_step_is_named_in_the_error(tmp_path: Path) -> None:
    """A robot step that is not ETAT>ACTION[:CODE] is refused naming the path and the step."""
    robot = tmp_path / "robot.toml"
    robot.write_text(
        '[[chemin]]\nnom = "P"\ncodeOffre = "CUIVRE_DEGROUPAGE"\ngtr = "STANDARD"\ncodeCommune = "75111"\n'
        'etapes = ["EN_DEPOT>ENVOLER"]\n[chemin.prestations]\nOPE001 = "X"\n'
    )
    with pytest.raises(ConfigError, match=r"chemin P : étape « EN_DEPOT>ENVOLER » invalide"):
        load_robot_paths(robot)


def _run(base_url: str, session_pki: SessionPki, operator: str, junit: Path, *extra: str) -> int:
    directory = session_pki.directory
    return main(
        [
            "jeu-de-test",
            "rejouer",
            "--url",
            base_url,
            "--cert",
            str(directory / f"{operator}.pem"),
            "--cle",
            str(directory / f"{operator}.key"),
            "--ac",
            str(directory / "ca.pem"),
            "--junit",
            str(junit),
            *extra,
        ]
    )


def _junit(path: Path) -> dict[str, Any]:
    suites = etree.parse(str(path)).getroot()
    cases = suites.xpath("//testcase")
    return {
        "tests": len(cases),
        "failed": sorted(c.get("name") for c in cases if c.find("failure") is not None),
    }


def test_runner_passes_the_whole_test_set_against_a_fresh_platform(
    tmp_path: Path, session_pki: SessionPki, capsys: Any
) -> None:
    """``esav jeu-de-test rejouer`` replays v1 and v2 against a new integration platform: every scenario passes."""
    platform = start_platform_for_test(tmp_path / "platform", session_pki, robot_step_s=0.1)
    try:  # the robot steps every 0.1 s: waiting steps are called again every 0.05 s
        status = _run(platform.base_url, session_pki, "OPE002", tmp_path / "junit.xml", "--intervalle", "0.05")
    finally:
        platform.stop()
    out = capsys.readouterr().out
    assert status == 0, out
    total = len(load_test_set("v1")) + len(load_test_set("v2"))
    assert _junit(tmp_path / "junit.xml") == {"tests": total, "failed": []}
    assert f"{len(load_test_set('v2'))} scénario(s), {len(load_test_set('v2'))} réussi(s), 0 en échec." in out


def test_runner_exit_status_is_the_number_of_failed_scenarios(
    live: Any, tmp_path: Path, session_pki: SessionPki, capsys: Any
) -> None:
    """Against production (no sandbox), a sandbox scenario fails, a plain fault scenario passes: exit status 1."""
    status = _run(
        f"https://localhost:{live.port}",
        session_pki,
        "OPE001",
        tmp_path / "junit.xml",
        "--version",
        "v2",
        "--scenario",
        "v2_chemin_rejetee",
        "--scenario",
        "v2_faute_signalisation_inconnue",
    )
    assert status == 1
    assert _junit(tmp_path / "junit.xml") == {"tests": 2, "failed": ["v2_chemin_rejetee"]}
    assert "PRESTATION_INCONNUE" in capsys.readouterr().out


def test_junit_report_of_v1_and_v2_is_one_document_with_one_suite_per_version(
    live: Any, tmp_path: Path, session_pki: SessionPki
) -> None:
    """``--junit`` over v1 and v2 writes one JUnit document: a testsuite per version with its counts and failures."""
    junit = tmp_path / "junit.xml"
    picked = ["v1_chemin_rejetee", "v1_fautes", "v2_chemin_rejetee", "v2_faute_signalisation_inconnue"]
    status = _run(
        f"https://localhost:{live.port}", session_pki, "OPE001", junit, *(a for n in picked for a in ("--scenario", n))
    )
    assert status == 3  # against production the sandbox prestations are unknown: only the plain fault passes
    root = etree.parse(str(junit)).getroot()
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures")) == ("4", "3")
    by_suite = {
        s.get("name"): (s.get("tests"), s.get("failures"), [c.get("name") for c in s.iter("testcase")]) for s in root
    }
    assert by_suite == {
        "esav.v1": ("2", "2", ["v1_chemin_rejetee", "v1_fautes"]),
        "esav.v2": ("2", "1", ["v2_chemin_rejetee", "v2_faute_signalisation_inconnue"]),
    }
    report = JUnitXml.fromfile(str(junit))
    failed = {(suite.name, case.name) for suite in report for case in suite if case.is_failure}
    assert failed == {("esav.v1", "v1_chemin_rejetee"), ("esav.v1", "v1_fautes"), ("esav.v2", "v2_chemin_rejetee")}
    messages = [r.message for suite in report for case in suite for r in case.result]
    assert all("PRESTATION_INCONNUE" in m for m in messages), messages
