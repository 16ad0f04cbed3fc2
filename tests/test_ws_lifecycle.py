"""A ticket's life seen from the operator's SOAP client while the SAV back office moves it along."""

from __future__ import annotations

from datetime import timedelta

import pytest
import zeep
from support import deposit, fault_code

from gateway.domain.states import Action


def _sav(live, reference, *steps):
    for action, code in steps:
        live.gateway.sav.act(reference, action, author="sav/jdupont", code=code)


def test_back_office_transitions_show_in_state_and_detail(live_any):
    """Qualify, start, freeze, resume and close are seen by the operator, each with its record."""
    client = live_any.client()
    reference = deposit(client).referenceSignalisation
    _sav(live_any, reference, (Action.QUALIFIER, None), (Action.DEMARRER, None))
    assert client.service.consulterEtatSignalisation(reference).etat == "EN_COURS"
    _sav(live_any, reference, (Action.GELER, "ATTENTE_ACCES_SITE"))
    state = client.service.consulterEtatSignalisation(reference)
    assert (state.etat, state.libelleEtat) == ("GELE", "Gelée, en attente d'une action de l'opérateur")
    live_any.clock.advance(timedelta(hours=2))
    _sav(live_any, reference, (Action.REPRENDRE, None), (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR"))
    detail = client.service.consulterDetailSignalisation(reference)
    assert detail.etat == "CLOS"
    history = [(h.etatPrecedent, h.etat, h.acteur) for h in detail.historique.changementEtat]
    assert history == [
        (None, "EN_DEPOT", "OPERATEUR"),
        ("EN_DEPOT", "EN_QUALIFICATION", "SAV"),
        ("EN_QUALIFICATION", "EN_COURS", "SAV"),
        ("EN_COURS", "GELE", "SAV"),
        ("GELE", "EN_COURS", "SAV"),
        ("EN_COURS", "CLOS", "SAV"),
    ]
    assert detail.historique.changementEtat[3].code == "ATTENTE_ACCES_SITE"
    assert detail.codeCloture.code == "RESOLU_RESEAU_FOURNISSEUR"
    assert detail.dateCloture is not None
    assert detail.motifGel.code == "ATTENTE_ACCES_SITE"
    assert detail.gtr.respectee in ("OUI", "NON")


def test_illegal_transition_is_transition_interdite(live):
    """Cancelling a closed ticket is refused with TRANSITION_INTERDITE and changes nothing."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    _sav(
        live, reference, (Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR")
    )
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.annulerSignalisation(reference, "plus besoin")
    assert fault_code(caught.value) == "TRANSITION_INTERDITE"
    assert client.service.consulterEtatSignalisation(reference).etat == "CLOS"


def test_rejection_shows_its_reason(live):
    """A rejected ticket is EN_REJET with the rejection code and its label from the nomenclature."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    code = live.gateway.catalogue.nomenclature("MOTIFS_REJET").codes()[0]
    _sav(live, reference, (Action.REJETER, code))
    detail = client.service.consulterDetailSignalisation(reference)
    assert detail.etat == "EN_REJET"
    assert detail.motifRejet.code == code and detail.motifRejet.libelle


def test_completion_resumes_a_frozen_ticket(live):
    """On a ticket frozen for the operator's information, completing it resumes handling."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    _sav(live, reference, (Action.QUALIFIER, None), (Action.GELER, "ATTENTE_INFORMATION_OPERATEUR"))
    answer = client.service.completerSignalisation(reference, "Le client est présent tous les matins")
    assert answer.etat == "EN_COURS"
    comments = client.service.consulterDetailSignalisation(reference).commentaires.commentaire
    assert comments[-1].texte == "Le client est présent tous les matins"


def test_completion_does_not_resume_a_ticket_waiting_for_an_appointment(live):
    """A freeze awaiting an appointment is lifted by a booking, not by a note."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    _sav(live, reference, (Action.QUALIFIER, None), (Action.GELER, "ATTENTE_RENDEZ_VOUS"))
    assert client.service.completerSignalisation(reference, "Disponible lundi").etat == "GELE"


def test_cancellation_allowed_before_closure(live):
    """The operator cancels an open ticket: CLOS with closure code ANNULATION_OPERATEUR."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    assert client.service.annulerSignalisation(reference, "Doublon interne").etat == "CLOS"
    assert client.service.consulterDetailSignalisation(reference).codeCloture.code == "ANNULATION_OPERATEUR"


def test_refused_closure_within_72_hours_reopens(live):
    """refuserCloture within 72 hours of closure sends the ticket back to EN_COURS."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    _sav(
        live, reference, (Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR")
    )
    live.clock.advance(timedelta(hours=71, minutes=59))
    assert client.service.refuserCloture(reference, "Toujours pas de synchro").etat == "EN_COURS"
    detail = client.service.consulterDetailSignalisation(reference)
    assert detail.dateCloture is None and detail.codeCloture is None


def test_refused_closure_after_72_hours_is_refused(live):
    """refuserCloture past 72 hours is TRANSITION_INTERDITE."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    _sav(
        live, reference, (Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR")
    )
    live.clock.advance(timedelta(hours=72, minutes=1))
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.refuserCloture(reference, "trop tard")
    assert fault_code(caught.value) == "TRANSITION_INTERDITE"


def test_closed_ticket_becomes_valide_after_72_hours(live_any):
    """The automatic sweep validates a closure the operator has not refused within 72 hours."""
    client = live_any.client()
    reference = deposit(client).referenceSignalisation
    _sav(
        live_any,
        reference,
        (Action.QUALIFIER, None),
        (Action.DEMARRER, None),
        (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR"),
    )
    live_any.clock.advance(timedelta(hours=71))
    assert live_any.gateway.sav.run_automatic() == []
    live_any.clock.advance(timedelta(hours=2))
    assert live_any.gateway.sav.run_automatic() == [(reference, Action.VALIDER)]
    assert client.service.consulterEtatSignalisation(reference).etat == "VALIDE"


def test_frozen_ticket_expires_after_30_days(live):
    """A freeze unanswered for 30 days closes the ticket with DELAI_REPONSE_EXPIRE."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    _sav(live, reference, (Action.QUALIFIER, None), (Action.GELER, "ATTENTE_INFORMATION_OPERATEUR"))
    live.clock.advance(timedelta(days=30, hours=1))
    live.gateway.sav.run_automatic()
    detail = client.service.consulterDetailSignalisation(reference)
    assert (detail.etat, detail.codeCloture.code) == ("CLOS", "DELAI_REPONSE_EXPIRE")
