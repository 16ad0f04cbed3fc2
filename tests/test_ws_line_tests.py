"""Service ``test`` v2 (e-SAV Test) through real zeep clients: asynchronous tests, restarts, passive offers."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import zeep
from support import CATALOGUE, REPO, LiveGateway, deposit, fault_code, gateway_settings, in_reactor, reactor

from gateway.adapters import simulated_outcome
from gateway.domain.clock import FixedClock
from gateway.server import PkiFiles, start
from gateway.services import Gateway

#: Longer than the simulator's default delay (20 s): results are ready once the clock moved this much.
PAST_DELAY = timedelta(minutes=1)
POLL_PAUSE_S = 0.05
MAX_POLLS = 1200  # a failure bound, not a timing assertion


def _tests(live: LiveGateway, operator: str = "OPE001") -> zeep.Client:
    return live.client(operator, "test")


def _wait_final(client: zeep.Client, id_test: str):
    """Poll consulterResultatTest until the test is no longer EN_COURS."""
    for _ in range(MAX_POLLS):
        result = client.service.consulterResultatTest(id_test)
        if result.statut != "EN_COURS":
            return result
        time.sleep(POLL_PAUSE_S)
    raise AssertionError(f"test {id_test} still EN_COURS after {MAX_POLLS} polls")


def _restart(live: LiveGateway, later: timedelta) -> None:
    """Stop the live gateway (port, poller) and start a new one on the same data, its clock ``later``."""
    in_reactor(live.running.stop)
    live.gateway.close()
    clock = FixedClock(live.clock.now() + later)
    settings = gateway_settings(live.data_dir)
    gateway = Gateway.open(settings.database, catalogue_dir=CATALOGUE, clock=clock)
    live.running = in_reactor(start, gateway, settings, PkiFiles.in_dir(live.data_dir / "pki"), reactor)
    live.clock = clock


def test_lister_tests_gives_the_offers_test_types(live):
    """An FTTH prestation offers the three FTTH test types of TYPES_TEST, with their labels."""
    types = _tests(live).service.listerTests("FI-0001-0001")
    assert [t.code for t in types] == ["ETAT_PORT_OLT", "MESURE_PUISSANCE_OPTIQUE", "ETAT_ONT"]
    assert types[0].libelle == "État du port de l'OLT"


@pytest.mark.parametrize("prestation", ["0140000001", "LFO-000001"])
def test_passive_offer_gets_test_non_disponible(live, prestation):
    """Copper unbundling and dedicated fibre are passive: listing or launching is TEST_NON_DISPONIBLE."""
    client = _tests(live)
    for call in (lambda: client.service.listerTests(prestation), lambda: client.service.lancerTest(prestation, "X")):
        with pytest.raises(zeep.exceptions.Fault) as caught:
            call()
        assert fault_code(caught.value) == "TEST_NON_DISPONIBLE"


def test_a_test_runs_asynchronously_end_to_end(live):
    """lancerTest answers EN_COURS at once; the poller later records TERMINE with diagnostic and measures."""
    client = _tests(live)
    launched = client.service.lancerTest("FI-0001-0001", "MESURE_PUISSANCE_OPTIQUE")
    assert launched.statut == "EN_COURS"
    assert client.service.consulterResultatTest(launched.idTest).statut == "EN_COURS"
    live.clock.advance(PAST_DELAY)
    result = _wait_final(client, launched.idTest)
    assert (result.statut, result.codeDiagnostic) == ("TERMINE", "DEFAUT_OPTIQUE")
    assert result.libelleDiagnostic == "Défaut optique détecté"
    measures = {m.nom: (float(m.valeur), m.unite) for m in result.mesures.mesure}
    assert measures["puissanceRecueOnt"][0] < -28 and measures["puissanceRecueOnt"][1] == "dBm"
    assert result.dateFin is not None


def test_a_test_the_network_element_cannot_run_ends_in_echec(live):
    """DSL0000001's synchronisation test ends ECHEC / TEST_NON_CONCLUANT, without measurements."""
    client = _tests(live)
    id_test = client.service.lancerTest("DSL0000001", "SYNCHRONISATION").idTest
    live.clock.advance(PAST_DELAY)
    result = _wait_final(client, id_test)
    assert (result.statut, result.codeDiagnostic) == ("ECHEC", "TEST_NON_CONCLUANT")
    assert result.mesures is None


@pytest.mark.sqlite_file
def test_a_test_launched_just_before_a_restart_still_reaches_its_result(live):
    """A test EN_COURS when the gateway stops is resumed by the next gateway and ends TERMINE."""
    id_test = _tests(live).service.lancerTest("ETH-000001", "MESURE_PERFORMANCE").idTest
    _restart(live, PAST_DELAY)
    result = _wait_final(_tests(live), id_test)
    assert (result.statut, result.codeDiagnostic) == ("TERMINE", "PERFORMANCE_DEGRADEE")


@pytest.mark.sqlite_file
def test_a_test_the_network_element_forgot_during_a_long_stop_ends_in_echec(live):
    """Restarted two hours later, past the element's memory, a running test ends ECHEC."""
    id_test = _tests(live).service.lancerTest("ETH-000001", "ETAT_LIEN").idTest
    _restart(live, timedelta(hours=2))
    result = _wait_final(_tests(live), id_test)
    assert (result.statut, result.codeDiagnostic) == ("ECHEC", "TEST_NON_CONCLUANT")


def test_another_operators_test_and_prestation_are_unknown(live):
    """OPE001 cannot launch on OPE002's prestation nor read a test it did not launch."""
    client = _tests(live)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.lancerTest("FI-0002-0001", "ETAT_ONT")
    assert fault_code(caught.value) == "PRESTATION_INCONNUE"
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.consulterResultatTest("TST99999999")
    assert fault_code(caught.value) == "REQUETE_INVALIDE"


def test_operator_not_validated_for_test_is_non_habilite(live):
    """OPE002 is validated for signalisation only: the test service answers NON_HABILITE."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _tests(live, "OPE002").service.listerTests("FI-0002-0001")
    assert fault_code(caught.value) == "NON_HABILITE"


def _documented_outcomes() -> list[tuple[str, str, str, str]]:
    text = (REPO / "docs" / "tests-a-distance.md").read_text(encoding="utf-8")
    return re.findall(r"^\| `([^`]+)` \| `([A-Z_]+)` \| `(TERMINE|ECHEC)` \| `([A-Z_]+)` \|$", text, re.MULTILINE)


@pytest.mark.parametrize(("prestation", "test_type", "status", "diagnostic"), _documented_outcomes())
def test_documented_demo_outcomes_are_what_the_simulator_answers(prestation, test_type, status, diagnostic):
    """Every row of the demo's outcome table in docs/tests-a-distance.md holds."""
    outcome = simulated_outcome(prestation, test_type)
    assert (outcome.status, outcome.diagnostic) == (status, diagnostic)


def test_outcome_table_covers_every_demo_test_with_a_defect_and_an_echec():
    """The documented table has the 18 demo combinations, with at least one defect and one ECHEC."""
    rows = _documented_outcomes()
    assert len(rows) == 18
    assert any(r[2] == "ECHEC" for r in rows)
    assert any(r[2] == "TERMINE" and r[3] != "LIGNE_OK" for r in rows)


def test_counted_requests_are_recorded_per_operator_minute_and_operation(live):
    """Deposit, state query, a test once it gives its result (not per poll) and TP/incident queries are counted."""
    signalisation, tests = live.client(), _tests(live)
    reference = deposit(signalisation).referenceSignalisation
    signalisation.service.consulterEtatSignalisation(reference)
    id_test = tests.service.lancerTest("FI-0001-0001", "ETAT_ONT").idTest
    tests.service.consulterResultatTest(id_test)
    tests.service.consulterResultatTest(id_test)  # still EN_COURS: polls are not requests
    tests.service.consulterTravauxProgrammes("FI-0001-0001")
    tests.service.consulterIncidentsReseau(None, "75111")
    live.clock.advance(PAST_DELAY)
    assert _wait_final(tests, id_test).statut == "TERMINE"
    tests.service.consulterResultatTest(id_test)  # the result read again: still one request
    in_reactor(live.running.operations.flush)  # counted in memory, flushed about once a second
    counts = {(c.operation, c.minute): c.count for c in live.gateway.store.request_counts("OPE001")}
    assert counts == {
        ("deposerSignalisation", "2026-11-18T09:00Z"): 1,
        ("consulterEtatSignalisation", "2026-11-18T09:00Z"): 1,
        ("consulterTravauxProgrammes", "2026-11-18T09:00Z"): 1,
        ("consulterIncidentsReseau", "2026-11-18T09:00Z"): 1,
        ("lancerTest", "2026-11-18T09:01Z"): 1,  # when it gave its result
    }
