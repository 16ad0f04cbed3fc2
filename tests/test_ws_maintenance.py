"""Nightly maintenance and declared interruptions: every operation of every service and version answers
MAINTENANCE with the time service resumes (contract §8)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
import requests
import zeep
from lxml import etree
from support import PARIS, LiveGateway, deposit, fault_code
from test_ws_hostile_xml import HEADERS, HOSTILE, OUTSIDE_CONTRACT, esav_code, soap_fault

from gateway.errors import InvalidRequestError
from gateway.server import ENDPOINTS

REF = "SIG00000001"
SLOT = "75-SAV-20261119-0800"
CONTACT = {"nom": "M. Martin", "telephone": "01 23 45 67 89"}

#: One schema-valid call per operation served: (version, service, operation) → call(client).
CALLS: dict[tuple[str, str, str], Callable[[zeep.Client], Any]] = {
    ("v1", "signalisation", "deposerSignalisation"): lambda c: deposit(c),
    ("v1", "signalisation", "consulterEtatSignalisation"): lambda c: c.service.consulterEtatSignalisation(REF),
    ("v1", "signalisation", "consulterDetailSignalisation"): lambda c: c.service.consulterDetailSignalisation(REF),
    ("v1", "signalisation", "consulterHistorique"): lambda c: c.service.consulterHistorique("01/11/2026 00:00"),
    ("v1", "signalisation", "rechercherSignalisations"): lambda c: c.service.rechercherSignalisations(),
    ("v1", "signalisation", "completerSignalisation"): lambda c: c.service.completerSignalisation(REF, "x"),
    ("v2", "signalisation", "deposerSignalisation"): lambda c: deposit(c),
    ("v2", "signalisation", "consulterEtatSignalisation"): lambda c: c.service.consulterEtatSignalisation(REF),
    ("v2", "signalisation", "consulterDetailSignalisation"): lambda c: c.service.consulterDetailSignalisation(REF),
    ("v2", "signalisation", "consulterHistorique"): lambda c: c.service.consulterHistorique(
        datetime(2026, 11, 1, tzinfo=PARIS)
    ),
    ("v2", "signalisation", "rechercherSignalisations"): lambda c: c.service.rechercherSignalisations(),
    ("v2", "signalisation", "completerSignalisation"): lambda c: c.service.completerSignalisation(REF, "x"),
    ("v2", "signalisation", "annulerSignalisation"): lambda c: c.service.annulerSignalisation(REF, "x"),
    ("v2", "signalisation", "refuserCloture"): lambda c: c.service.refuserCloture(REF, "x"),
    ("v2", "signalisation", "obtenirPieceJointe"): lambda c: c.service.obtenirPieceJointe(REF, 1),
    ("v2", "signalisation", "consulterEvenements"): lambda c: c.service.consulterEvenements(),
    ("v2", "catalogue", "listerFormulaires"): lambda c: c.service.listerFormulaires(),
    ("v2", "catalogue", "obtenirFormulaire"): lambda c: c.service.obtenirFormulaire("SIG_CUIVRE", "1.0"),
    ("v2", "catalogue", "obtenirNomenclature"): lambda c: c.service.obtenirNomenclature("GRAVITES"),
    ("v2", "rendezvous", "rechercherCreneaux"): lambda c: c.service.rechercherCreneaux(REF, "SAV"),
    ("v2", "rendezvous", "reserverRendezVous"): lambda c: c.service.reserverRendezVous(REF, SLOT, CONTACT),
    ("v2", "rendezvous", "modifierRendezVous"): lambda c: c.service.modifierRendezVous("RDV00000001", SLOT),
    ("v2", "rendezvous", "annulerRendezVous"): lambda c: c.service.annulerRendezVous("RDV00000001"),
    ("v2", "rendezvous", "consulterRendezVous"): lambda c: c.service.consulterRendezVous("RDV00000001"),
    ("v2", "test", "listerTests"): lambda c: c.service.listerTests("FI-0001-0001"),
    ("v2", "test", "lancerTest"): lambda c: c.service.lancerTest("FI-0001-0001", "ETAT_ONT"),
    ("v2", "test", "consulterResultatTest"): lambda c: c.service.consulterResultatTest("TST00000001"),
    ("v2", "test", "consulterTravauxProgrammes"): lambda c: c.service.consulterTravauxProgrammes("FI-0001-0001"),
    ("v2", "test", "consulterIncidentsReseau"): lambda c: c.service.consulterIncidentsReseau(None, "75111"),
}


def _outcomes(live: LiveGateway) -> dict[tuple[str, str, str], str]:
    """Each operation's outcome: "OK" or its fault code."""
    clients = {(v, s): live.client("OPE001", s, v) for v, s in ENDPOINTS}
    outcomes = {}
    for (version, service, operation), call in CALLS.items():
        try:
            call(clients[(version, service)])
            outcomes[(version, service, operation)] = "OK"
        except zeep.exceptions.Fault as fault:
            outcomes[(version, service, operation)] = fault_code(fault)
    return outcomes


def test_the_table_covers_every_served_operation(live):
    """CALLS lists exactly the operations of every served service and version (so "every" is every)."""
    served = {
        (version, service, name)
        for version, service in ENDPOINTS
        for port in live.client("OPE001", service, version).wsdl.services.values()
        for p in port.ports.values()
        for name in p.binding._operations
    }
    assert served == set(CALLS)


@pytest.mark.parametrize(
    ("during", "after", "resume"),
    [
        (datetime(2026, 12, 16, 4, 2, tzinfo=PARIS), datetime(2026, 12, 16, 4, 20, tzinfo=PARIS), "16/12/2026 à 04:15"),
        (datetime(2026, 7, 15, 4, 2, tzinfo=PARIS), datetime(2026, 7, 15, 4, 20, tzinfo=PARIS), "15/07/2026 à 04:15"),
    ],
    ids=["winter", "summer"],
)
def test_nightly_window_answers_maintenance_everywhere_then_service_is_back(live, during, after, resume):
    """At 04:02 Paris every operation is MAINTENANCE (13 min to wait, resume time in the label); at 04:20 none is."""
    live.clock.set(during)
    outcomes = _outcomes(live)
    assert set(outcomes.values()) == {"MAINTENANCE"}, outcomes
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client().service.consulterEtatSignalisation(REF)
    assert caught.value.detail.xpath("string(.//*[local-name()='reessayerDans'])") == str(13 * 60)
    assert resume in caught.value.message
    live.clock.set(after)
    back = _outcomes(live)
    assert "MAINTENANCE" not in back.values()
    assert back[("v2", "signalisation", "deposerSignalisation")] == "OK"


def test_maintenance_answer_carries_retry_after_and_gives_no_reference(live):
    """A deposit refused by maintenance has HTTP Retry-After, and no ticket was stored."""
    live.clock.set(datetime(2026, 12, 16, 4, 2, tzinfo=PARIS))
    client = live.client()
    envelope = client.create_message(client.service, "consulterEtatSignalisation", referenceSignalisation=REF)
    response = live.session().post(
        live.url(), data=etree.tostring(envelope), headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    assert response.headers["Retry-After"] == str(13 * 60)
    with pytest.raises(zeep.exceptions.Fault):
        deposit(live.client())
    assert (
        live.gateway.store.open_tickets(
            "OPE001", states=["EN_DEPOT"], prestation=None, deposited_from=None, deposited_to=None, page=1, size=10
        ).total
        == 0
    )


def test_declared_interruption_answers_maintenance_until_its_end(live):
    """At Wednesday 10:00, an interruption declared for Friday 14:00 answers MAINTENANCE until its end, exclusive."""
    start = datetime(2026, 11, 20, 14, 0, tzinfo=PARIS)
    live.gateway.maintenance.declare(start=start, end=start + timedelta(hours=1), reason="montée de version", actor="t")
    live.clock.set(start + timedelta(minutes=30))
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client("OPE002", "catalogue").service.listerFormulaires()
    assert fault_code(caught.value) == "MAINTENANCE"
    assert caught.value.detail.xpath("string(.//*[local-name()='reessayerDans'])") == str(30 * 60)
    assert "montée de version" in caught.value.message
    live.clock.set(start + timedelta(hours=1))
    assert live.client("OPE002", "catalogue").service.listerFormulaires()


@pytest.mark.parametrize(
    ("declared_at", "earliest"),
    [
        # Wednesday 10:00 → Friday 10:00.
        (datetime(2026, 11, 18, 10, 0, tzinfo=PARIS), datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)),
        # Thursday 24/12 → Tuesday 29/12 (Christmas Friday, weekend).
        (datetime(2026, 12, 24, 9, 0, tzinfo=PARIS), datetime(2026, 12, 29, 9, 0, tzinfo=PARIS)),
    ],
)
def test_declaration_with_short_notice_is_refused_showing_the_earliest_start(live, declared_at, earliest):
    """Declaring less than two business days ahead is refused, naming the earliest allowed start."""
    live.clock.set(declared_at)
    with pytest.raises(InvalidRequestError) as caught:
        live.gateway.maintenance.declare(
            start=earliest - timedelta(minutes=1), end=earliest + timedelta(hours=1), reason="x", actor="t"
        )
    assert f"{earliest:%d/%m/%Y à %H:%M}" in caught.value.libelle
    record = live.gateway.maintenance.declare(start=earliest, end=earliest + timedelta(hours=1), reason="x", actor="t")
    assert record.start == earliest


def test_wsdl_is_still_served_during_maintenance(live):
    """The WSDL is not an operation: it stays available during the window."""
    live.clock.set(datetime(2026, 12, 16, 4, 2, tzinfo=PARIS))
    response: requests.Response = live.session().get(live.url() + "?wsdl")
    assert response.status_code == 200 and b"definitions" in response.content


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("outside-the-contract", "unknown-child-of-known-operation", "MAINTENANCE"),
        ("unknown-operation", "unknown-operation", "MAINTENANCE"),
        ("hostile-xml-still-refused-first", "internal-dtd-without-entity", "REQUETE_INVALIDE"),
    ],
)
def test_maintenance_answers_before_the_contract_is_checked(live, name, body, expected):
    """During maintenance a request the WSDL would refuse still gets MAINTENANCE (and Retry-After); hostile XML
    is refused before anything else."""
    bodies = {case[0]: case[1] for case in (*HOSTILE, *OUTSIDE_CONTRACT)}
    live.clock.set(datetime(2026, 12, 16, 4, 2, tzinfo=PARIS))
    response = live.session().post(live.url(), data=bodies[body], headers=HEADERS)
    assert esav_code(soap_fault(response)) == expected
    assert ("Retry-After" in response.headers) == (expected == "MAINTENANCE")
