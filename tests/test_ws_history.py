"""History (closed tickets of the last 90 days, paged) and search (open tickets) over SOAP v2."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import zeep
from support import deposit, fault_code

from gateway.domain.clock import PARIS
from gateway.domain.states import Action


def _close(live, reference):
    for action, code in (
        (Action.QUALIFIER, None),
        (Action.DEMARRER, None),
        (Action.CLORE, "RESOLU_RESEAU_FOURNISSEUR"),
    ):
        live.gateway.sav.act(reference, action, author="sav/test", code=code)


def test_history_returns_only_tickets_closed_in_the_last_90_days(live):
    """A ticket closed 91 days ago is gone from the history; one closed 89 days ago is there."""
    client = live.client()
    live.clock.set(datetime(2026, 8, 1, 10, 0, tzinfo=PARIS))
    old = deposit(client).referenceSignalisation
    _close(live, old)
    live.clock.set(datetime(2026, 8, 20, 10, 0, tzinfo=PARIS))
    recent = deposit(client).referenceSignalisation
    _close(live, recent)
    live.clock.set(datetime(2026, 8, 1, 10, 0, tzinfo=PARIS) + timedelta(days=91))
    still_open = deposit(client).referenceSignalisation
    start = live.clock.now() - timedelta(days=90)
    page = client.service.consulterHistorique(dateDebut=start)
    assert [s.referenceSignalisation for s in page.signalisations.resumeSignalisation] == [recent]
    assert page.nombreTotal == 1
    assert still_open not in str(page)


def test_history_period_beyond_90_days_is_hors_delai(live):
    """Asking for a period starting more than 90 days back is HISTORIQUE_HORS_DELAI."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client().service.consulterHistorique(dateDebut=live.clock.now() - timedelta(days=91))
    assert fault_code(caught.value) == "HISTORIQUE_HORS_DELAI"


def test_history_is_paged_with_total(live):
    """Pages of the requested size, newest closure first, with the total count."""
    client = live.client()
    references = []
    for _ in range(5):
        reference = deposit(client).referenceSignalisation
        _close(live, reference)
        references.append(reference)
        live.clock.advance(timedelta(minutes=5))
    start = live.clock.now() - timedelta(days=1)
    first = client.service.consulterHistorique(dateDebut=start, numeroPage=1, taillePage=2)
    third = client.service.consulterHistorique(dateDebut=start, numeroPage=3, taillePage=2)
    assert (first.nombreTotal, first.numeroPage, first.taillePage) == (5, 1, 2)
    assert [s.referenceSignalisation for s in first.signalisations.resumeSignalisation] == references[::-1][:2]
    assert [s.referenceSignalisation for s in third.signalisations.resumeSignalisation] == references[:1]


def test_history_filters_by_state_and_refuses_open_states(live):
    """The state filter takes closed states only; an open state is REQUETE_INVALIDE."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    _close(live, reference)
    start = live.clock.now() - timedelta(days=1)
    assert client.service.consulterHistorique(dateDebut=start, etat="CLOS").nombreTotal == 1
    assert client.service.consulterHistorique(dateDebut=start, etat="EN_REJET").nombreTotal == 0
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.consulterHistorique(dateDebut=start, etat="EN_COURS")
    assert fault_code(caught.value) == "REQUETE_INVALIDE"


def test_search_lists_open_tickets_by_state_and_prestation(live):
    """Search returns open tickets, filtered by state and prestation; closed ones are not there."""
    client = live.client()
    a = deposit(client).referenceSignalisation
    b = deposit(client, "FTTH_ACCES").referenceSignalisation
    closed = deposit(client).referenceSignalisation
    _close(live, closed)
    live.gateway.sav.act(a, Action.QUALIFIER, author="sav/test")
    everything = client.service.rechercherSignalisations()
    assert {s.referenceSignalisation for s in everything.signalisations.resumeSignalisation} == {a, b}
    qualified = client.service.rechercherSignalisations(etats={"string": ["EN_QUALIFICATION"]})
    assert [s.referenceSignalisation for s in qualified.signalisations.resumeSignalisation] == [a]
    ftth = client.service.rechercherSignalisations(identifiantPrestation="FI-0001-0001")
    assert [s.referenceSignalisation for s in ftth.signalisations.resumeSignalisation] == [b]


def test_page_size_over_100_is_refused(live):
    """Pages hold at most 100 items."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client().service.rechercherSignalisations(taillePage=101)
    assert fault_code(caught.value) == "REQUETE_INVALIDE"


def test_a_date_without_offset_is_read_as_paris_time(live):
    """A dateTime sent without an offset (as some generated clients do) is Paris time, not an error."""
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:s="urn:esav:signalisation:v2">
<soap:Body><s:consulterHistorique><s:dateDebut>2026-11-10T00:00:00</s:dateDebut></s:consulterHistorique>
</soap:Body></soap:Envelope>"""
    response = live.session().post(live.url(), data=body, headers={"Content-Type": "text/xml; charset=utf-8"})
    assert response.status_code == 200, response.content
    too_old = body.replace(b"2026-11-10T00:00:00", b"2026-08-01T00:00:00")
    refused = live.session().post(live.url(), data=too_old, headers={"Content-Type": "text/xml; charset=utf-8"})
    assert b"HISTORIQUE_HORS_DELAI" in refused.content
