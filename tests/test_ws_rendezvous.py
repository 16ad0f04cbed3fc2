"""Service ``rendezvous`` v2 through real zeep clients: slot search, booking, over-booking, frozen tickets."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
import zeep
from support import deposit, fault_code

from gateway.domain.clock import PARIS
from gateway.domain.states import Action

CONTACT = {"nom": "M. Martin", "telephone": "01 23 45 67 89"}
#: Thursday after DEFAULT_NOW (Wednesday 18/11/2026 10:00), 10–12, Paris (zone 75).
THURSDAY_10H = "75-SAV-20261119-1000"


def _rdv(live, operator="OPE001"):
    return live.client(operator, "rendezvous")


def test_search_returns_free_slots_only_none_on_sundays_or_public_holidays(live):
    """Over Christmas, slots skip Sundays, 25/12 and 01/01; a full slot is not offered, the others are."""
    client = live.client()
    reference, other = (deposit(client).referenceSignalisation for _ in range(2))
    live.clock.set(datetime(2026, 12, 21, 9, 0, tzinfo=PARIS))  # a Monday
    live.gateway.capacities.set_capacity("75", "SAV", 1, slot_starts=["10:00"], author="test")
    rdv = _rdv(live)
    end = datetime(2027, 1, 4, 9, 0, tzinfo=PARIS)
    before = rdv.service.rechercherCreneaux(reference, "SAV", None, end)
    days = {c.debut.date() for c in before}
    assert date(2026, 12, 26) in days and date(2026, 12, 31) in days  # a Saturday, a working day
    assert not {d for d in days if d.weekday() == 6}  # no Sunday
    assert date(2026, 12, 25) not in days and date(2027, 1, 1) not in days
    assert all(c.debut > live.clock.now() and c.fin <= end for c in before)
    full = "75-SAV-20261221-1000"
    assert full in {c.idCreneau for c in before}
    rdv.service.reserverRendezVous(other, full, CONTACT)
    after = {c.idCreneau for c in rdv.service.rechercherCreneaux(reference, "SAV", None, end)}
    assert after == {c.idCreneau for c in before} - {full}


@pytest.mark.parametrize(
    "night",
    [datetime(2026, 12, 16, 1, 30, tzinfo=PARIS), datetime(2026, 7, 15, 1, 30, tzinfo=PARIS)],
    ids=["winter", "summer"],
)
def test_search_refused_at_half_past_one_paris_time(live, night):
    """At 01:30 Paris time, winter or summer, search answers CRENEAUX_INDISPONIBLES and when to retry."""
    reference = deposit(live.client()).referenceSignalisation
    live.clock.set(night)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _rdv(live).service.rechercherCreneaux(reference, "SAV")
    assert fault_code(caught.value) == "CRENEAUX_INDISPONIBLES"
    assert caught.value.detail.xpath("string(.//*[local-name()='reessayerDans'])") == str(150 * 60)


def test_search_more_than_fourteen_days_ahead_is_refused(live):
    """A period ending 15 days ahead is REQUETE_INVALIDE."""
    reference = deposit(live.client()).referenceSignalisation
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _rdv(live).service.rechercherCreneaux(reference, "SAV", None, datetime(2026, 12, 3, 10, 0, tzinfo=PARIS))
    assert fault_code(caught.value) == "REQUETE_INVALIDE"


def test_fifty_concurrent_bookings_for_a_slot_of_three_make_three_appointments(live_any):
    """50 clients booking one slot of capacity 3 at once: exactly 3 appointments, 47 CRENEAU_NON_DISPONIBLE."""
    client = live_any.client()
    references = [deposit(client).referenceSignalisation for _ in range(50)]
    live_any.gateway.capacities.set_capacity("75", "SAV", 3, slot_starts=["10:00"], author="test")
    # A generous timeout: 50 simultaneous TLS clients on a loaded machine are slow, not wrong.
    transport = {"timeout": 120, "operation_timeout": 120}
    wsdl = live_any.url("rendezvous") + "?wsdl"
    clients = [zeep.Client(wsdl, transport=zeep.Transport(session=live_any.session(), **transport)) for _ in references]
    start = threading.Barrier(len(references))
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(rdv: zeep.Client, reference: str) -> None:
        start.wait()
        try:
            rdv.service.reserverRendezVous(reference, THURSDAY_10H, CONTACT)
            outcome = "OK"
        except zeep.exceptions.Fault as fault:
            outcome = fault_code(fault)
        except Exception as error:  # shown by the assertion below rather than lost in the thread
            outcome = repr(error)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=book, args=pair) for pair in zip(clients, references, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["CRENEAU_NON_DISPONIBLE"] * 47 + ["OK"] * 3
    assert live_any.gateway.store.count_appointments(THURSDAY_10H) == 3


def test_booking_resumes_a_ticket_frozen_waiting_for_an_appointment(live):
    """A GELE ticket frozen with ATTENTE_RENDEZ_VOUS goes EN_COURS when booked, by the operator."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    for action, code in ((Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.GELER, "ATTENTE_RENDEZ_VOUS")):
        live.gateway.sav.act(reference, action, author="sav/test", code=code)
    assert client.service.consulterEtatSignalisation(reference).etat == "GELE"
    booked = _rdv(live).service.reserverRendezVous(reference, THURSDAY_10H, CONTACT)
    assert booked.rendezVous.statut == "CONFIRME"
    assert client.service.consulterEtatSignalisation(reference).etat == "EN_COURS"
    last = client.service.consulterDetailSignalisation(reference).historique.changementEtat[-1]
    assert (last.etatPrecedent, last.etat, last.acteur) == ("GELE", "EN_COURS", "OPERATEUR")


def test_booking_leaves_a_ticket_frozen_for_another_reason(live):
    """A ticket frozen waiting for site access stays GELE after an appointment is booked."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    for action, code in ((Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.GELER, "ATTENTE_ACCES_SITE")):
        live.gateway.sav.act(reference, action, author="sav/test", code=code)
    _rdv(live).service.reserverRendezVous(reference, THURSDAY_10H, CONTACT)
    assert client.service.consulterEtatSignalisation(reference).etat == "GELE"


def test_appointment_shows_in_the_ticket_detail(live):
    """The ticket's detail lists its appointment: id, type, slot, start, end and status."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    assert client.service.consulterDetailSignalisation(reference).rendezVous is None
    booked = _rdv(live).service.reserverRendezVous(reference, THURSDAY_10H, CONTACT)
    shown = client.service.consulterDetailSignalisation(reference).rendezVous.rendezVous
    assert [(r.idRendezVous, r.typeIntervention, r.idCreneau, r.statut) for r in shown] == [
        (booked.idRendezVous, "SAV", THURSDAY_10H, "CONFIRME")
    ]
    assert shown[0].debut == datetime(2026, 11, 19, 10, 0, tzinfo=PARIS)
    assert shown[0].fin == datetime(2026, 11, 19, 12, 0, tzinfo=PARIS)


def test_reschedule_consult_and_cancel_free_the_slot(live):
    """Moving an appointment frees its old slot; cancelling frees the new one; consult shows each step."""
    client = live.client()
    first, second = (deposit(client).referenceSignalisation for _ in range(2))
    live.gateway.capacities.set_capacity("75", "SAV", 1, author="test")
    rdv = _rdv(live)
    booked = rdv.service.reserverRendezVous(first, THURSDAY_10H, CONTACT).idRendezVous
    moved = rdv.service.modifierRendezVous(booked, "75-SAV-20261120-0800")
    assert (moved.idCreneau, moved.statut) == ("75-SAV-20261120-0800", "CONFIRME")
    assert rdv.service.consulterRendezVous(booked).contact.telephone == CONTACT["telephone"]
    rdv.service.reserverRendezVous(second, THURSDAY_10H, CONTACT)  # the old slot is free again
    with pytest.raises(zeep.exceptions.Fault) as caught:
        rdv.service.modifierRendezVous(booked, THURSDAY_10H)
    assert fault_code(caught.value) == "CRENEAU_NON_DISPONIBLE"
    assert rdv.service.annulerRendezVous(booked).statut == "ANNULE"
    assert "75-SAV-20261120-0800" in {c.idCreneau for c in rdv.service.rechercherCreneaux(second, "SAV")}


def test_slot_of_another_zone_or_another_operators_ticket_is_refused(live):
    """A Lyon slot for a Paris ticket is REQUETE_INVALIDE; another operator's ticket is unknown."""
    reference = deposit(live.client()).referenceSignalisation
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _rdv(live).service.reserverRendezVous(reference, "69-SAV-20261119-1000", CONTACT)
    assert fault_code(caught.value) == "REQUETE_INVALIDE"
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _rdv(live, "OPE002").service.reserverRendezVous(reference, THURSDAY_10H, CONTACT)
    assert fault_code(caught.value) == "SIGNALISATION_INCONNUE"


def test_a_slot_that_has_begun_is_neither_offered_nor_bookable(live):
    """At 10:00 sharp the 10–12 slot is gone from the search, as it is refused at booking."""
    reference = deposit(live.client()).referenceSignalisation
    live.clock.set(datetime(2026, 11, 19, 10, 0, tzinfo=PARIS))
    rdv = _rdv(live)
    offered = {c.idCreneau for c in rdv.service.rechercherCreneaux(reference, "SAV")}
    assert THURSDAY_10H not in offered and "75-SAV-20261119-1300" in offered
    with pytest.raises(zeep.exceptions.Fault) as caught:
        rdv.service.reserverRendezVous(reference, THURSDAY_10H, CONTACT)
    assert fault_code(caught.value) == "CRENEAU_NON_DISPONIBLE"
