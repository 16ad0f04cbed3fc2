"""``consulterEvenements`` (contract §3) through a real zeep client: every kind of change,
in order, paged, only the caller's own, written in the same transaction as the change."""

from __future__ import annotations

from datetime import timedelta

import pytest
import zeep
from notification_support import every_kind_of_change, items, pull_all, summary
from support import deposit, example_form, fault_code

from gateway.domain.states import Action
from gateway.errors import TransitionForbiddenError
from gateway.store._events import EventRepository


def test_every_kind_of_change_is_an_event_in_order(live_any):
    """State changes (deposit included), SAV comment, appointment booked/moved/cancelled and test result: in order."""
    _, _, expected = every_kind_of_change(live_any)
    events = pull_all(live_any.client())
    assert [summary(e) for e in events] == expected
    ids = [e.idEvenement for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_event_payloads_carry_what_changed(live):
    """A transition has its previous state, action and code; an appointment its slot; a test its diagnostic."""
    _, id_test, _ = every_kind_of_change(live)
    events = pull_all(live.client())
    frozen = next(e for e in events if e.typeEvenement == "CHANGEMENT_ETAT" and e.changementEtat.etat == "GELE")
    assert (frozen.changementEtat.etatPrecedent, frozen.changementEtat.action, frozen.changementEtat.code) == (
        "EN_COURS",
        "GELER",
        "ATTENTE_RENDEZ_VOUS",
    )
    moved = next(e for e in events if e.typeEvenement == "RENDEZ_VOUS" and e.rendezVous.operation == "MODIFIE")
    assert moved.rendezVous.idCreneau == "75-SAV-20261119-1300" and moved.rendezVous.debut.hour == 13
    result = events[-1].resultatTest
    assert (result.idTest, result.statut, result.identifiantPrestation) == (id_test, "TERMINE", "FI-0001-0001")
    assert result.codeDiagnostic and result.libelleDiagnostic
    assert events[0].dateEvenement == live.clock.now() - timedelta(minutes=1)  # the deposit, before the test delay


def test_pages_of_three_follow_the_cursor_without_gap_or_repeat(live_any):
    """nombreMax=3: plusDEvenements until the last page, dernierIdEvenement continues exactly."""
    every_kind_of_change(live_any)
    client = live_any.client()
    assert [e.idEvenement for e in pull_all(client, page=3)] == [e.idEvenement for e in pull_all(client)]
    first = client.service.consulterEvenements(depuisId=0, nombreMax=3)
    assert first.plusDEvenements is True and first.dernierIdEvenement == items(first)[-1].idEvenement
    last = client.service.consulterEvenements(depuisId=pull_all(client)[-1].idEvenement)
    assert items(last) == [] and last.plusDEvenements is False


def test_since_a_date_returns_events_at_or_after_it(live):
    """depuisDate: only events dated at or after it; with depuisId as well it is REQUETE_INVALIDE."""
    client = live.client()
    deposit(client)
    live.clock.advance(timedelta(hours=1))
    later = deposit(client).referenceSignalisation
    answer = client.service.consulterEvenements(depuisDate=live.clock.now())
    assert [summary(e) for e in items(answer)] == [("CHANGEMENT_ETAT", later, "EN_DEPOT")]
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.consulterEvenements(depuisId=0, depuisDate=live.clock.now())
    assert fault_code(caught.value) == "REQUETE_INVALIDE"


@pytest.mark.parametrize("size", [0, 101])
def test_page_size_outside_one_to_a_hundred_is_refused(live, size):
    """nombreMax outside 1–100 is REQUETE_INVALIDE."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client().service.consulterEvenements(nombreMax=size)
    assert fault_code(caught.value) == "REQUETE_INVALIDE"


def test_an_operator_sees_only_its_own_events(live):
    """OPE002's deposit is in OPE002's feed and not in OPE001's."""
    mine = deposit(live.client()).referenceSignalisation
    theirs = (
        live.client("OPE002")
        .service.deposerSignalisation(
            identifiantPrestation="0140000002",
            codeOffre="CUIVRE_DEGROUPAGE",
            gravite="MINEURE",
            formulaire={"code": "SIG_CUIVRE", "version": "1.0", "_value_1": example_form("SIG_CUIVRE")},
        )
        .referenceSignalisation
    )
    assert {e.referenceSignalisation for e in pull_all(live.client())} == {mine}
    assert {e.referenceSignalisation for e in pull_all(live.client("OPE002"))} == {theirs}


def test_no_event_without_its_change_and_no_change_without_its_event(live_any, monkeypatch):
    """A refused transition adds no event; a failing event write rolls the transition back (one transaction)."""
    reference = deposit(live_any.client()).referenceSignalisation
    with pytest.raises(TransitionForbiddenError):
        live_any.gateway.sav.act(reference, Action.CLORE, author="sav/x", code="RESOLU_RESEAU_FOURNISSEUR")
    assert len(pull_all(live_any.client())) == 1

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(EventRepository, "add", broken)
    with pytest.raises(RuntimeError):
        live_any.gateway.sav.act(reference, Action.QUALIFIER, author="sav/x")
    monkeypatch.undo()
    assert live_any.gateway.store.get_ticket(reference).state == "EN_DEPOT"
    assert len(pull_all(live_any.client())) == 1
