"""The operator's e-SAV pages: 90-day history of closed tickets, declared fault, French labels, cancel confirmation."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sav_support import deposit
from web_support import ADMIN, TECH, signed_in

from gateway.domain.states import Action


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def close(gateway, reference: str, code: str = "RESOLU_RESEAU_FOURNISSEUR") -> None:
    for action, action_code in ((Action.QUALIFIER, None), (Action.DEMARRER, None), (Action.CLORE, code)):
        gateway.sav.act(reference, action, author="sav/test", code=action_code)


@pytest.fixture
def closed(portal):
    """OPE001: closed 100 days ago, closed now, rejected now, open; and a closed ticket of OPE002."""
    gateway = portal.gateway
    old = deposit(gateway, "OPE001", "CUIVRE_DEGROUPAGE", reference_operateur="VIEUX-1")
    close(gateway, old)
    portal.clock.advance(timedelta(days=100))
    recent = deposit(gateway, "OPE001", "CUIVRE_DEGROUPAGE", reference_operateur="RECENT-1")
    close(gateway, recent)
    rejected = deposit(gateway, "OPE001", "FIBRE_LFO", reference_operateur="REJET-1")
    gateway.sav.act(rejected, Action.REJETER, author="sav/test", code=_first_rejection_code(gateway))
    still_open = deposit(gateway, "OPE001", "CUIVRE_DEGROUPAGE", reference_operateur="OUVERT-1")
    beta = deposit(gateway, "OPE002", "CUIVRE_DEGROUPAGE")
    close(gateway, beta)
    return {"old": old, "recent": recent, "rejected": rejected, "open": still_open, "beta": beta}


def _first_rejection_code(gateway) -> str:
    return gateway.catalogue.nomenclature("MOTIFS_REJET").values[0].code


def test_history_lists_the_operators_tickets_closed_within_90_days(portal, closed):
    """Closed and rejected within 90 days, this operator's only; neither the 100-day-old one nor open ones."""
    page = signed_in(portal, ADMIN).get("/esav/historique")
    assert page.status_code == 200
    listed = {k for k, ref in closed.items() if ref in page.text}
    assert listed == {"recent", "rejected"}
    text = text_of(page.text)
    assert "Résolu : défaut sur le réseau du fournisseur" in text and "RECENT-1" in text
    assert "Rejetée, non recevable" in text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("etat=EN_REJET", {"rejected"}),
        ("etat=CLOS", {"recent"}),
        ("prestation=LFO-000001", {"rejected"}),
        ("jusqua=2027-01-01", set()),
    ],
)
def test_history_filters_by_state_prestation_and_dates(portal, closed, query, expected):
    """Each filter keeps exactly the matching closed tickets."""
    html = signed_in(portal, ADMIN).get(f"/esav/historique?{query}").text
    assert {k for k, ref in closed.items() if ref in html} == expected


def test_history_refuses_a_period_beyond_90_days_under_its_field(portal, closed):
    """A start 100 days back is refused with the service's message under the start date; a bad date too."""
    admin = signed_in(portal, ADMIN)
    far = admin.get("/esav/historique?depuis=2026-11-18")
    assert far.status_code == 422 and 'id="e-depuis"' in far.text
    assert "L'historique ne remonte qu'à 90 jours" in unescape(far.text)
    bad = admin.get("/esav/historique?jusqua=demain")
    assert bad.status_code == 422 and 'id="e-jusqua"' in bad.text


def test_history_keeps_to_the_offers_the_user_reads(portal, closed):
    """tech.alpha does not read dedicated fibre (LFO): the rejected LFO ticket is not in its history."""
    html = signed_in(portal, TECH).get("/esav/historique").text
    assert closed["recent"] in html and closed["rejected"] not in html


def test_the_ticket_page_shows_the_declared_fault_the_operators_reference_and_french_labels(portal, closed):
    """The detail shows the form in words, the operator's own reference, gravity and history in French."""
    text = text_of(signed_in(portal, ADMIN).get(f"/esav/signalisations/{closed['recent']}").text)
    assert "Défaut déclaré" in text and "Bruit ou friture sur la ligne" in text and "BRUIT_LIGNE" not in text
    assert "Votre référence RECENT-1" in text and "Gravité Majeure" in text
    assert "Dépôt" in text and "Qualification" in text and "Le SAV du fournisseur" in text
    assert "DEPOSER" not in text and "QUALIFIER" not in text


def test_cancelling_needs_the_confirmation_box(portal, closed):
    """Without the box ticked the cancellation is refused under it and the ticket stays open; ticked, it closes."""
    admin = signed_in(portal, ADMIN)
    reference = closed["open"]
    form = f"/esav/signalisations/{reference}"
    assert 'name="confirme"' in admin.get(form).text
    refused = admin.post(f"{form}/annuler", {"texte": "Doublon"}, form_page=form)
    assert refused.status_code == 422 and 'id="e-confirme"' in refused.text
    assert portal.gateway.store.get_ticket(reference).state == "EN_DEPOT"
    done = admin.post(f"{form}/annuler", {"texte": "Doublon", "confirme": "oui"}, form_page=form)
    assert done.status_code == 200 and portal.gateway.store.get_ticket(reference).state == "CLOS"
