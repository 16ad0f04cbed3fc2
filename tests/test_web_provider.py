"""The provider's staff pages (/fournisseur): their own accounts, rights, publications, subscriptions, audit."""

from __future__ import annotations

import re
from html import unescape

import pytest
from support import LiveGateway
from web_support import ADMIN, TECH, Browser, csrf_of, signed_in

from gateway.cli import main
from gateway.errors import InvalidRequestError
from gateway.services import Gateway

AGENT = ("agent.sav", "Fournisseur-SAV-2026!")
STAFF_PAGES = (
    "/fournisseur",
    "/fournisseur/actualites",
    "/fournisseur/faq",
    "/fournisseur/fichiers",
    "/fournisseur/factures",
    "/fournisseur/contrats",
    "/fournisseur/abonnements",
)
#: A complete e-SAV order form (its SIRET carries a valid Luhn key).
ORDER_FORM = {
    "referenceContrat": "CG-OPE002-01-ESAV",
    "numeroAffaire": "AFF-2026-0099",
    "raisonSociale": "Opérateur Beta SAS",
    "siret": "44306184100047",
    "representantNom": "Beta",
    "representantPrenom": "Bernard",
    "telephone": "01 23 45 67 89",
    "courriel": "sav@beta.example",
    "adresse1": "7 rue Paradis, 13001 Marseille",
    "faitA": "Paris",
    "faitLe": "2026-11-16",
    "signataireNom": "Martin",
    "signatairePrenom": "Claire",
    "signataireQualite": "Directrice générale",
}


def audited(portal: LiveGateway, action: str) -> list[tuple[str, str]]:
    return [(r.actor, r.target) for r in portal.gateway.store.audit() if r.action == action]


def test_an_agent_logs_in_on_the_same_page_and_lands_on_the_provider_pages(portal):
    """The demo agent logs in at /connexion, lands on /fournisseur; the home page sends it back there."""
    agent = signed_in(portal, AGENT, lands_on=None)
    home = agent.get("/")
    assert home.url.endswith("/fournisseur") and "Espace du fournisseur" in home.text
    assert "agent du fournisseur" in home.text and 'href="/fournisseur/abonnements"' in home.text
    assert ("agent/agent.sav", "agent.sav") in audited(portal, "agent.connexion")


@pytest.mark.parametrize("path", ["/esav", "/fichiers", "/duplicata", "/admin/utilisateurs", "/abonnement"])
def test_operator_pages_do_not_exist_for_an_agent(portal, path):
    """An agent has no operator: the operator's pages answer 404 to it."""
    assert signed_in(portal, AGENT, lands_on=None).get(path).status_code == 404


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_provider_pages_answer_404_to_operator_users_and_need_a_login(portal, path):
    """The operator's administrator gets 404 on every staff page; an anonymous visitor is sent to the login page."""
    assert signed_in(portal, ADMIN, lands_on=None).get(path).status_code == 404
    anonymous = Browser(portal.web_url, str(portal.pki.directory / "ca.pem")).get(path)
    assert "/connexion" in anonymous.url and "suite=" in anonymous.url


def test_a_staff_form_without_the_csrf_token_is_refused(portal):
    """A POST to a staff page without the session's token is refused (403) and publishes nothing."""
    agent = signed_in(portal, AGENT, lands_on=None)
    before = len(portal.gateway.store.faq())
    response = agent.http.post(agent.base + "/fournisseur/faq", data={"question": "Q ?", "reponse": "R."})
    assert response.status_code == 403 and len(portal.gateway.store.faq()) == before


def test_an_announcement_with_too_short_a_notice_is_refused_with_the_earliest_date(portal):
    """Portal maintenance announced 2 hours ahead is refused naming 19/11/2026 10:00; 2 days ahead is published."""
    agent = signed_in(portal, AGENT, lands_on=None)
    form = {"type": "MAINTENANCE_PORTAIL", "titre": "Maintenance éclair", "texte": "Coupure d'une heure."}
    refused = agent.post("/fournisseur/actualites", {**form, "dateEffet": "2026-11-18T12:00"})
    assert refused.status_code == 422
    assert "date la plus proche autorisée : le 19/11/2026 à 10:00" in unescape(refused.text)
    assert 'value="Maintenance éclair"' in unescape(refused.text)  # what was typed is kept
    published = agent.post(
        "/fournisseur/actualites", {**form, "dateEffet": "2026-11-20T22:00", "dateFin": "2026-11-20T23:00"}
    )
    assert published.status_code == 200 and "La publication est enregistrée." in unescape(published.text)
    assert "Maintenance éclair" in unescape(signed_in(portal, TECH, lands_on=None).get("/actualites").text)
    [(actor, _)] = audited(portal, "portail.actualite")[-1:]
    assert actor == "agent/agent.sav"


def test_a_faq_entry_for_one_offer_reaches_only_its_users(portal):
    """An LFO question published by an agent is shown to the administrator (LFO) and not to tech.alpha (no LFO)."""
    agent = signed_in(portal, AGENT, lands_on=None)
    agent.post(
        "/fournisseur/faq", {"question": "Délai de GTR LFO ?", "reponse": "Quatre heures.", "offre": "FIBRE_LFO"}
    )
    assert "Délai de GTR LFO ?" in signed_in(portal, ADMIN, lands_on=None).get("/faq").text
    assert "Délai de GTR LFO ?" not in signed_in(portal, TECH, lands_on=None).get("/faq").text
    assert audited(portal, "portail.faq")[-1] == ("agent/agent.sav", "FIBRE_LFO")


def test_a_file_published_for_an_operator_appears_in_its_mes_fichiers(portal):
    """The agent's file lands among OPE001's provider files (version 1), audited; OPE003 does not see it."""
    agent = signed_in(portal, AGENT, lands_on=None)
    token = csrf_of(agent.get("/fournisseur/fichiers").text)
    response = agent.http.post(
        agent.base + "/fournisseur/fichiers",
        data={"csrf": token, "operateur": "OPE001"},
        files=[("fichier", ("bilan-novembre.pdf", b"%PDF-1.4 bilan", "application/pdf"))],
    )
    assert response.status_code == 200 and "bilan-novembre.pdf publié pour OPE001 (version 1)" in response.text
    [record] = [f for f in portal.gateway.store.files("OPE001") if f.name == "bilan-novembre.pdf"]
    assert record.direction == "FOURNISSEUR" and record.author == "agent/agent.sav"
    assert "bilan-novembre.pdf" in signed_in(portal, ADMIN, lands_on=None).get("/fichiers").text
    assert portal.gateway.store.files("OPE003") == []
    assert audited(portal, "portail.fichier")[-1] == ("agent/agent.sav", "OPE001")


def upload_invoice(agent: Browser, pdf: bytes, **fields: str) -> object:
    token = csrf_of(agent.get("/fournisseur/factures").text)
    data = {"csrf": token, "operateur": "OPE001", "date": "2026-11-15", "periode": "10/2026", "montant": "1 234,50"}
    return agent.http.post(
        agent.base + "/fournisseur/factures",
        data={**data, **fields},
        files=[("pdf", ("facture.pdf", pdf, "application/pdf"))],
    )


def test_an_uploaded_invoice_is_the_operators_duplicate(portal):
    """The PDF the agent uploads with number, date and amount is what OPE001's administrator downloads."""
    agent = signed_in(portal, AGENT, lands_on=None)
    pdf = b"%PDF-1.7 facture F001-X1"
    response = upload_invoice(agent, pdf, numero="F001-X1")
    assert response.status_code == 200 and "F001-X1" in response.text
    [invoice] = [i for i in portal.gateway.store.invoices("OPE001", "2000-01-01") if i.number == "F001-X1"]
    assert (invoice.issued_on, invoice.amount_cents, invoice.period) == ("2026-11-15", 123450, "10/2026")
    assert signed_in(portal, ADMIN, lands_on=None).get(f"/duplicata/{invoice.id}").content == pdf
    assert audited(portal, "portail.facture")[-1] == ("agent/agent.sav", "OPE001")


@pytest.mark.parametrize(
    ("pdf", "fields", "message"),
    [
        (b"pas un pdf", {"numero": "F001-X2"}, "le fichier n'est pas un PDF"),
        (b"%PDF-1.4", {"numero": "F001-202611"}, "La facture F001-202611 existe déjà."),
        (b"%PDF-1.4", {"numero": "F001-X3", "montant": "douze"}, "Montant « douze » invalide"),
    ],
)
def test_a_wrong_invoice_is_refused_with_its_reason(portal, pdf, fields, message):
    """A non-PDF, a number already issued or an unreadable amount is refused (422) and nothing is stored."""
    before = len(portal.gateway.store.invoices("OPE001", "2000-01-01"))
    response = upload_invoice(signed_in(portal, AGENT, lands_on=None), pdf, **fields)
    assert response.status_code == 422 and message in unescape(response.text)
    assert len(portal.gateway.store.invoices("OPE001", "2000-01-01")) == before


def test_a_subscription_is_registered_activated_and_terminated_from_the_pages(portal):
    """Field errors are named; the complete form is registered for OPE002, activated (accesses open), terminated
    (effective two months later); each step is audited with the agent."""
    agent = signed_in(portal, AGENT, lands_on=None)
    incomplete = agent.post("/fournisseur/abonnements", {**ORDER_FORM, "operateur": "OPE002", "siret": ""})
    assert incomplete.status_code == 422 and 'id="e-siret">Champ obligatoire.' in incomplete.text
    assert 'id="e-acces">' in incomplete.text
    agent.post("/fournisseur/abonnements", {**ORDER_FORM, "operateur": "OPE002", "acces": ["EN_LIGNE", "INTEGRE"]})
    [subscription] = portal.gateway.subscriptions.of_operator("OPE002")
    reference = subscription.reference
    assert subscription.state == "DEMANDEE" and subscription.submitted_by == "agent/agent.sav"
    activated = agent.post(
        f"/fournisseur/abonnements/{reference}/activer",
        {"date": "2026-11-20", "acces": ["EN_LIGNE", "INTEGRE"]},
        form_page="/fournisseur/abonnements",
    )
    assert activated.status_code == 200 and portal.gateway.store.get_operator("OPE002").esav_en_ligne
    again = agent.post(
        f"/fournisseur/abonnements/{reference}/activer",
        {"date": "2026-11-20", "acces": ["EN_LIGNE"]},
        form_page="/fournisseur/abonnements",
    )
    assert again.status_code == 422 and "déjà traité" in unescape(again.text)
    agent.post(f"/fournisseur/abonnements/{reference}/resilier", {}, form_page="/fournisseur/abonnements")
    ended = portal.gateway.store.subscription(reference)
    assert (ended.state, ended.terminates_on) == ("RESILIEE", "2027-01-18")
    assert "2027-01-18" in agent.get("/fournisseur/abonnements").text
    actions = {r.action for r in portal.gateway.store.audit() if r.actor == "agent/agent.sav"}
    assert {"abonnement.enregistrement", "abonnement.activation", "abonnement.resiliation"} <= actions


def test_operator_supplied_text_is_escaped_on_the_staff_pages(portal):
    """A company name holding markup, typed by an operator, is shown as text in the staff's subscription list."""
    admin = signed_in(portal, ADMIN, lands_on=None)
    admin.post("/abonnement", {**ORDER_FORM, "raisonSociale": "<script>alert(1)</script>", "acces": "EN_LIGNE"})
    page = signed_in(portal, AGENT, lands_on=None).get("/fournisseur/abonnements").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_suspended_agent_is_logged_out_and_cannot_log_in(portal):
    """Suspending an agent ends its session at once and refuses its next login."""
    agent = signed_in(portal, AGENT, lands_on=None)
    portal.gateway.accounts.set_agent_status("agent.sav", False, author="test")
    assert "/connexion" in agent.get("/fournisseur").url
    refused = Browser(portal.web_url, str(portal.pki.directory / "ca.pem")).post(
        "/connexion", {"login": AGENT[0], "password": AGENT[1], "suite": "/"}
    )
    assert refused.status_code == 401


def test_the_cli_creates_an_agent_whose_login_is_unique_across_operators_users(tmp_path, capsys):
    """``esav portail agents ajouter`` creates an audited agent; a login already used by a user or agent is refused."""
    gateway = Gateway.open(tmp_path / "esav.db")
    gateway.admin.add_operator("OPE001", "Opérateur Alpha", domains=())
    gateway.accounts.create_user(None, "OPE001", "marie.op", "Marie", "Mot-de-passe-Op-1")
    gateway.close()
    data = str(tmp_path)
    add = [
        "portail",
        "agents",
        "ajouter",
        "--donnees",
        data,
        "--nom",
        "Paul Agent",
        "--mot-de-passe",
        "Agent-Paul-2026!",
    ]
    assert main([*add[:3], "paul.agent", *add[3:]]) == 0
    assert main([*add[:3], "paul.agent", *add[3:]]) != 0
    assert main([*add[:3], "marie.op", *add[3:]]) != 0
    assert "L'identifiant marie.op est déjà pris." in capsys.readouterr().err
    assert main(["portail", "agents", "liste", "--donnees", data]) == 0
    assert "paul.agent ACTIF (Paul Agent)" in capsys.readouterr().out
    gateway = Gateway.open(tmp_path / "esav.db")
    try:
        assert [(r.action, r.target) for r in gateway.store.audit() if r.action == "agent.creation"] == [
            ("agent.creation", "paul.agent")
        ]
        with pytest.raises(InvalidRequestError):
            gateway.accounts.create_user(None, "OPE001", "paul.agent", "Homonyme", "Mot-de-passe-Op-2")
    finally:
        gateway.close()


def test_the_cli_publishes_an_invoice_and_records_a_contract(tmp_path, capsys):
    """``esav portail facture`` stores the PDF as given; ``esav portail contrat`` dates the offer and its files flag."""
    gateway = Gateway.open(tmp_path / "esav.db")
    gateway.admin.add_operator("OPE003", "Opérateur Gamma", domains=())
    gateway.close()
    data = str(tmp_path)
    pdf = tmp_path / "f.pdf"
    pdf.write_bytes(b"%PDF-1.4 F003-1")
    invoice = ["portail", "facture", "OPE003", str(pdf), "--donnees", data, "--numero", "F003-1"]
    assert main([*invoice, "--date", "2026-11-01", "--montant", "99.90"]) == 0
    contract = ["portail", "contrat", "OPE003", "DSL_BITSTREAM", "--donnees", data, "--reference", "CT-9"]
    assert main([*contract, "--date", "2026-11-10", "--fichiers"]) == 0
    assert "Contrat CT-9 : OPE003 DSL_BITSTREAM depuis le 2026-11-10." in capsys.readouterr().out
    gateway = Gateway.open(tmp_path / "esav.db")
    try:
        [stored] = gateway.store.invoices("OPE003", "2000-01-01")
        assert stored.amount_cents == 9990 and gateway.store.invoice(stored.id).pdf == b"%PDF-1.4 F003-1"
        assert gateway.store.contract("OPE003", "DSL_BITSTREAM").files_provided
        actors = {r.actor for r in gateway.store.audit() if r.action in ("portail.facture", "portail.contrat")}
        assert len(actors) == 1 and next(iter(actors)).startswith("fournisseur/")
    finally:
        gateway.close()


def test_the_staff_pages_list_the_operators_to_choose_from(portal):
    """The file, invoice and contract forms offer every operator, by code and name."""
    agent = signed_in(portal, AGENT, lands_on=None)
    for path in ("/fournisseur/fichiers", "/fournisseur/factures", "/fournisseur/contrats"):
        options = re.findall(r'<option value="(OPE\d{3})"', agent.get(path).text)
        assert sorted(set(options)) == ["OPE001", "OPE002", "OPE003"]
