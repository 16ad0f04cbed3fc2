"""Suspending an operator cuts its portal sign-in and every web-service call at once; lifting restores them."""

from __future__ import annotations

from html import unescape

import pytest
import zeep
from support import deposit, fault_code
from web_support import TECH, signed_in

from gateway.cli import main

AGENT = ("agent.sav", "Fournisseur-SAV-2026!")


def esav(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.sqlite_file
def test_suspension_refuses_web_services_and_portal_at_once_and_resume_restores_them(portal, capsys) -> None:
    """Suspended: NON_HABILITE over SOAP, WSDL refused, open session cut, sign-in refused; resume undoes it all."""
    data = str(portal.data_dir)
    tech = signed_in(portal, TECH)
    client = portal.client()
    status, out, err = esav(
        capsys, "operateurs", "suspendre", "OPE001", "--motif", "Manquement aux conditions", "--donnees", data
    )
    assert status == 0, err
    with pytest.raises(zeep.exceptions.Fault) as refused:
        deposit(client)
    assert fault_code(refused.value) == "NON_HABILITE" and "suspendu" in refused.value.message
    assert "Manquement aux conditions" in refused.value.message
    wsdl = portal.session("OPE001").get(portal.url() + "?wsdl", timeout=30)
    assert wsdl.status_code == 403 and "NON_HABILITE" in wsdl.text
    page = tech.get("/esav")
    assert page.url.split("?")[0].endswith("/connexion")  # the open session no longer opens any page
    again = signed_in(portal).post("/connexion", {"login": TECH[0], "password": TECH[1], "suite": "/"})
    assert again.status_code == 401 and "suspendu par le fournisseur" in unescape(again.text)
    status, out, _ = esav(capsys, "audit", "--donnees", data, "--json")
    assert '"operateur.suspension"' in out and "Manquement aux conditions" in out

    status, _, err = esav(capsys, "operateurs", "retablir", "OPE001", "--motif", "Régularisé", "--donnees", data)
    assert status == 0, err
    assert deposit(portal.client()).etat == "EN_DEPOT"
    signed_in(portal, TECH)  # signs in again
    status, out, _ = esav(capsys, "audit", "--donnees", data, "--json")
    assert '"operateur.reprise"' in out


def test_suspension_needs_a_reason_and_a_known_operator(portal, capsys) -> None:
    """A blank reason, an unknown operator, resuming one not suspended: a message naming the problem, nothing done."""
    data = str(portal.data_dir)
    status, _, err = esav(capsys, "operateurs", "suspendre", "OPE001", "--motif", "  ", "--donnees", data)
    assert status == 1 and "motif est obligatoire" in err
    status, _, err = esav(capsys, "operateurs", "suspendre", "OPE999", "--motif", "x", "--donnees", data)
    assert status == 1 and "OPE999" in err
    status, _, err = esav(capsys, "operateurs", "retablir", "OPE001", "--motif", "x", "--donnees", data)
    assert status == 1 and "n'est pas suspendu" in err
    assert deposit(portal.client()).etat == "EN_DEPOT"


def test_the_providers_agent_suspends_and_restores_from_the_access_page(portal) -> None:
    """/fournisseur/acces: the agent suspends OPE001 with a reason (then NON_HABILITE) and lifts it; blank refused."""
    agent = signed_in(portal, AGENT, lands_on=None)
    client = portal.client()  # its WSDL fetched before: once suspended, the WSDL itself is refused
    assert "OPE001 — Opérateur Alpha" in unescape(agent.get("/fournisseur/acces").text)
    blank = agent.post("/fournisseur/acces/OPE001/suspendre", {"motif": " "}, form_page="/fournisseur/acces")
    assert blank.status_code == 422 and "motif est obligatoire" in unescape(blank.text)
    done = agent.post(
        "/fournisseur/acces/OPE001/suspendre", {"motif": "Impayés répétés"}, form_page="/fournisseur/acces"
    )
    assert done.status_code == 200 and "Suspendu depuis le 18/11/2026 10:00 (Impayés répétés)" in unescape(done.text)
    with pytest.raises(zeep.exceptions.Fault) as refused:
        deposit(client)
    assert fault_code(refused.value) == "NON_HABILITE"
    lifted = agent.post("/fournisseur/acces/OPE001/reprendre", {"motif": "Réglé"}, form_page="/fournisseur/acces")
    assert lifted.status_code == 200 and "Suspension levée." in unescape(lifted.text)
    assert deposit(portal.client()).etat == "EN_DEPOT"
    assert signed_in(portal, TECH).get("/fournisseur/acces").status_code == 404  # not for operators' users
