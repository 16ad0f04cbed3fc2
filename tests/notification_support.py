"""Helpers for the event-feed and notification tests: one change of every kind, pulling
the feed through zeep, and comparing what was pulled with what a receiver got."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import zeep
from lxml import etree
from support import LiveGateway, deposit, eventually

from gateway.domain.states import Action

CONTACT = {"nom": "M. Martin", "telephone": "01 23 45 67 89"}
#: Thursday after DEFAULT_NOW (Wednesday 18/11/2026 10:00), zone 75; then the same day at 13:00.
SLOT_A, SLOT_B = "75-SAV-20261119-1000", "75-SAV-20261119-1300"
WAIT_STEP_S = 0.05
WAIT_LIMIT_S = 60.0  # a failure bound, not a timing assertion


def every_kind_of_change(live: LiveGateway) -> tuple[str, str, list[tuple[str, str, str]]]:
    """Deposit a ticket and move it through every kind of event; returns (ticket, test, expected).

    ``expected`` lists (kind, subject, detail) in the order the events must come: the detail is the
    new state, the comment text, the appointment operation or the test status.
    """
    client = live.client()
    reference = deposit(client).referenceSignalisation
    sav = live.gateway.sav
    sav.act(reference, Action.QUALIFIER, author="sav/dupont")
    sav.comment(reference, author="sav/dupont", text="Technicien prévu jeudi.")
    sav.act(reference, Action.DEMARRER, author="sav/dupont")
    sav.act(reference, Action.GELER, author="sav/dupont", code="ATTENTE_RENDEZ_VOUS")
    rdv = live.client(service="rendezvous")
    id_rdv = rdv.service.reserverRendezVous(reference, SLOT_A, CONTACT).idRendezVous
    rdv.service.modifierRendezVous(id_rdv, SLOT_B)
    rdv.service.annulerRendezVous(id_rdv)
    id_test = live.client(service="test").service.lancerTest("FI-0001-0001", "MESURE_PUISSANCE_OPTIQUE").idTest
    live.clock.advance(timedelta(minutes=1))  # past the simulator's delay
    live.gateway.line_tests.poll(id_test)
    expected = [
        ("CHANGEMENT_ETAT", reference, "EN_DEPOT"),
        ("CHANGEMENT_ETAT", reference, "EN_QUALIFICATION"),
        ("COMMENTAIRE_SAV", reference, "Technicien prévu jeudi."),
        ("CHANGEMENT_ETAT", reference, "EN_COURS"),
        ("CHANGEMENT_ETAT", reference, "GELE"),
        ("RENDEZ_VOUS", reference, "RESERVE"),
        ("CHANGEMENT_ETAT", reference, "EN_COURS"),  # the booking resumes the frozen ticket
        ("RENDEZ_VOUS", reference, "MODIFIE"),
        ("RENDEZ_VOUS", reference, "ANNULE"),
        ("RESULTAT_TEST", id_test, "TERMINE"),
    ]
    return reference, id_test, expected


def items(answer: Any) -> list[Any]:
    """The ``evenement`` list of a consulterEvenements answer (zeep shows the wrapper's child)."""
    wrapper = answer.evenements
    if wrapper is None:
        return []
    return list(wrapper.evenement if hasattr(wrapper, "evenement") else wrapper)


def detail(event: Any) -> str:
    """(kind-specific) the new state, the comment text, the appointment operation or the test status."""
    if event.typeEvenement == "CHANGEMENT_ETAT":
        return str(event.changementEtat.etat)
    if event.typeEvenement == "COMMENTAIRE_SAV":
        return str(event.commentaire.texte)
    if event.typeEvenement == "RENDEZ_VOUS":
        return str(event.rendezVous.operation)
    return str(event.resultatTest.statut)


def summary(event: Any) -> tuple[str, str, str]:
    subject = event.idTest if event.typeEvenement == "RESULTAT_TEST" else event.referenceSignalisation
    return str(event.typeEvenement), str(subject), detail(event)


def pull_all(client: zeep.Client, page: int = 100) -> list[Any]:
    """Every event of the caller, page after page, following ``dernierIdEvenement``."""
    events: list[Any] = []
    cursor = 0
    while True:
        answer = client.service.consulterEvenements(depuisId=cursor, nombreMax=page)
        events += items(answer)
        cursor = answer.dernierIdEvenement
        if not answer.plusDEvenements:
            return events


def pulled_xml(client: zeep.Client) -> dict[int, etree._Element]:
    """Every event of the caller as the raw ``evenement`` elements of the answer, by idEvenement."""
    found: dict[int, etree._Element] = {}
    with client.settings(raw_response=True):
        raw = client.service.consulterEvenements(depuisId=0, nombreMax=100)
    root = etree.fromstring(raw.content)
    for element in root.iter("{*}evenement"):
        found[int(element.findtext("{*}idEvenement"))] = element
    return found


def shape(element: etree._Element) -> tuple[Any, ...]:
    """An element as (local name, text, children), namespaces aside: pulled and pushed events compare equal."""
    children = tuple(shape(c) for c in element if isinstance(c.tag, str))
    return etree.QName(element).localname, (element.text or "").strip() if not children else "", children


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until true; fail (naming ``what``) past a generous bound."""
    if not eventually(condition, WAIT_LIMIT_S, WAIT_STEP_S):
        raise AssertionError(f"still waiting for: {what}")
