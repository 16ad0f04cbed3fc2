"""The provider's side in a real browser (headless Chromium, Playwright): the SAV queue, e-soutien, received files.

An agent finds an overdue ticket, reads its declared fault, freezes it awaiting the operator, resumes
and closes it while the operator watches each step and then finds it in its 90-day history; an
e-soutien request goes from operator to agent and back; an agent downloads an operator's file.
Screenshots go to ``artifacts/screenshots/`` (not committed). Skipped when Playwright or Chromium is
missing, like ``test_web_browser.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from browser_support import shot
from sav_support import AGENT, deposit
from support import LiveGateway
from web_support import ADMIN

from gateway.domain.clock import PARIS

pytestmark = pytest.mark.slow  # a browser per test, seconds each


@pytest.fixture
def open_page(chromium, portal) -> Iterator[Any]:
    """A factory of pages, each in its own browser context (its own cookies): one per person."""
    contexts = []

    def make(width: int = 1366) -> Any:
        context = chromium.new_context(
            ignore_https_errors=True, locale="fr-FR", viewport={"width": width, "height": 900}, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        return page

    try:
        yield make
    finally:
        for context in contexts:
            context.close()


def log_in(page: Any, portal: LiveGateway, account: tuple[str, str]) -> None:
    page.goto(portal.web_url + "/connexion")
    page.get_by_label("Identifiant").fill(account[0])
    page.get_by_label("Mot de passe").fill(account[1])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def menu(page: Any, name: str) -> Any:
    """The main menu's link ``name`` (the home page lists the same sections)."""
    return page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=name, exact=True)


def operator_state(page: Any, portal: LiveGateway, reference: str) -> str:
    page.goto(f"{portal.web_url}/esav/signalisations/{reference}")
    return str(page.locator("#etat").inner_text())


def test_an_agent_works_an_overdue_ticket_while_the_operator_follows_it(open_page, portal):
    """Find the overdue ticket, read its fault, freeze awaiting the operator, resume, close; the operator follows."""
    reference = deposit(portal.gateway, "OPE001", "FIBRE_LFO", gravite="CRITIQUE", reference_operateur="ALPHA-LFO-9")
    deposit(portal.gateway, "OPE002", "CUIVRE_DEGROUPAGE")
    portal.clock.set(datetime(2026, 11, 18, 15, 0, tzinfo=PARIS))  # the GTR 4 h ticket is an hour late
    agent, operator = open_page(), open_page()
    log_in(agent, portal, AGENT)
    log_in(operator, portal, ADMIN)

    menu(agent, "File SAV").click()
    late = agent.locator("tr.en-retard")
    assert late.count() == 1 and "En retard" in late.inner_text()
    shot(agent, "sav-01-file")
    late.get_by_role("link", name=reference).click()
    agent.get_by_role("heading", name=f"Signalisation {reference}").wait_for()
    fault = agent.locator("#defaut-declare").inner_text()
    assert "ALPHA-LFO-9" in agent.locator("#reference-operateur").inner_text()
    assert fault.strip() and "_" not in fault.split("\n")[1]  # labels and values in words
    shot(agent, "sav-02-signalisation")

    for button in ("Accepter (qualifier)", "Démarrer le traitement"):
        agent.get_by_role("button", name=button).click()
        agent.get_by_text("L'action est enregistrée.").wait_for()
    agent.get_by_label("Ce qui est attendu de l'opérateur").select_option(label="En attente de l'accès au site")
    agent.get_by_label("Commentaire pour l'historique (facultatif)").nth(0).fill("Merci d'ouvrir le local technique.")
    agent.get_by_role("button", name="Geler").click()
    agent.get_by_text("L'action est enregistrée.").wait_for()
    assert "Gelée" in agent.locator("#etat").inner_text()
    shot(agent, "sav-03-gelee")
    assert "Gelée, en attente d'une action de l'opérateur" in operator_state(operator, portal, reference)
    assert "En attente de l'accès au site" in operator.content()
    shot(operator, "sav-04-operateur-gelee")

    agent.get_by_role("button", name="Reprendre le traitement").click()
    agent.get_by_text("L'action est enregistrée.").wait_for()
    assert "En cours de traitement" in operator_state(operator, portal, reference)
    agent.get_by_label("Code de clôture").select_option(label="Résolu : défaut sur le réseau du fournisseur")
    agent.get_by_role("button", name="Clore", exact=True).click()
    agent.get_by_text("L'action est enregistrée.").wait_for()
    assert "Close" in agent.locator("#etat").inner_text()
    shot(agent, "sav-05-close")
    assert operator_state(operator, portal, reference).startswith("Close")
    assert "Résolu : défaut sur le réseau du fournisseur" in operator.content()

    menu(operator, "Signalisations").click()
    operator.get_by_role("link", name="Historique (90 jours)").click()
    operator.get_by_role("heading", name="Historique des signalisations closes").wait_for()
    row = operator.get_by_role("row").filter(has_text=reference)
    assert row.count() == 1 and "ALPHA-LFO-9" in row.inner_text()
    shot(operator, "sav-06-historique-operateur")
    audited = [r.action for r in portal.gateway.store.audit() if r.actor == "agent/agent.sav" and r.target == reference]
    assert audited == [f"signalisation.{a}" for a in ("qualifier", "demarrer", "geler", "reprendre", "clore")]


def test_the_second_agent_is_told_the_ticket_changed(open_page, portal):
    """Two agents have the ticket open; the first accepts it; the second's rejection is refused and nothing changes."""
    reference = deposit(portal.gateway, "OPE001", "CUIVRE_DEGROUPAGE")
    first, second = open_page(), open_page()
    for page in (first, second):
        log_in(page, portal, AGENT)
        page.goto(f"{portal.web_url}/fournisseur/sav/{reference}")
    first.get_by_role("button", name="Accepter (qualifier)").click()
    first.get_by_text("L'action est enregistrée.").wait_for()
    second.get_by_label("Motif de rejet").select_option(index=1)
    second.get_by_role("button", name="Rejeter").click()
    assert "a changé depuis que vous l'avez ouverte" in second.locator("#conflit").inner_text()
    assert "En qualification" in second.locator("#etat").inner_text()
    shot(second, "sav-07-conflit")
    assert portal.gateway.store.get_ticket(reference).state == "EN_QUALIFICATION"


def test_an_e_soutien_request_goes_from_operator_to_agent_and_back(open_page, portal):
    """The operator sends a request; the agent finds it in the inbox and answers; the operator reads the answer."""
    operator, agent = open_page(), open_page()
    log_in(operator, portal, ADMIN)
    menu(operator, "e-soutien").click()
    operator.get_by_label("La demande porte sur").select_option("ESAV")
    operator.get_by_label("Objet").fill("Dépôt impossible")
    operator.get_by_label("Description").fill("Le bouton de dépôt reste sans effet depuis 9 h.")
    shot(operator, "soutien-01-demande")
    operator.get_by_role("button", name="Envoyer").click()
    reference = operator.locator("#reference-soutien").inner_text()

    log_in(agent, portal, AGENT)
    menu(agent, "e-soutien").click()
    shot(agent, "soutien-02-boite")
    agent.get_by_role("link", name=reference).click()
    agent.get_by_label("Réponse à l'opérateur").fill("Corrigé : videz le cache de votre navigateur.")
    agent.get_by_role("button", name="Répondre").click()
    agent.get_by_text("La réponse est envoyée à l'opérateur.").wait_for()
    shot(agent, "soutien-03-repondue")

    operator.goto(f"{portal.web_url}/e-soutien")
    operator.get_by_role("link", name=reference).click()
    assert operator.locator("#statut-soutien").inner_text() == "Répondue"
    assert "videz le cache de votre navigateur" in operator.content()
    shot(operator, "soutien-04-reponse-lue")


def test_an_agent_downloads_an_operators_file(open_page, portal, tmp_path):
    """A file the operator deposited in Mes fichiers downloads from the provider's page, and the download is audited."""
    operator, agent = open_page(), open_page()
    log_in(operator, portal, ADMIN)
    operator.goto(f"{portal.web_url}/fichiers")
    source = tmp_path / "OPE001_CUIVRE_20261118_releve-3.csv"
    source.write_bytes(b"ndi;etat\n0140000001;ok\n")
    operator.get_by_label("Déposer des fichiers pour le fournisseur", exact=False).set_input_files(str(source))
    operator.get_by_role("button", name="Publier").click()
    operator.get_by_role("heading", name="Accusé de réception").wait_for()

    log_in(agent, portal, AGENT)
    menu(agent, "Fichiers reçus").click()
    shot(agent, "fichiers-01-recus")
    with agent.expect_download() as download_info:
        agent.get_by_role("link", name=f"Télécharger {source.name} version 1").click()
    saved = tmp_path / "telecharge.csv"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == source.read_bytes()
    rows = [r for r in portal.gateway.store.audit() if r.action == "portail.fichier.telechargement"]
    assert [(r.actor, r.details["nom"]) for r in rows] == [("agent/agent.sav", source.name)]


def test_the_agents_menu_fits_on_one_line_at_1366_pixels(open_page, portal):
    """At 1366 px wide, every entry of the after-sales agent's menu sits on one line."""
    page = open_page(1366)
    log_in(page, portal, AGENT)
    tops = page.locator("nav[aria-label='Menu principal'] li").evaluate_all(
        "items => items.map(item => item.getBoundingClientRect().top)"
    )
    shot(page, "menu-1366-agent")
    assert len(tops) > 5 and max(tops) - min(tops) < 5, tops
