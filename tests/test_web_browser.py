"""The portal in a real browser: headless Chromium (Debian's) driven by Playwright, screenshots as artifacts.

Skipped, with the reason, when Playwright or Chromium is missing (``.ci/run`` installs both through
``tests/web/install-browser.sh``). ``make screenshots`` runs them keeping screenshots in
``artifacts/screenshots/`` (not committed).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import shot
from support import LiveGateway
from web_support import ADMIN, TECH

pytestmark = pytest.mark.slow  # a browser per test, seconds each

AGENT = ("agent.sav", "Fournisseur-SAV-2026!")


@pytest.fixture
def page(chromium, portal) -> Iterator[Any]:
    # The demo CA is not in the browser's trust store: accept the portal's certificate for this context.
    context = chromium.new_context(ignore_https_errors=True, locale="fr-FR", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()


def log_in(page: Any, portal: LiveGateway, user: tuple[str, str]) -> None:
    page.goto(portal.web_url + "/")
    shot(page, "01-connexion")
    page.get_by_label("Identifiant").fill(user[0])
    page.get_by_label("Mot de passe").fill(user[1])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Bienvenue,", exact=False).wait_for()


def test_log_in_deposit_a_ticket_see_it_over_soap_and_book_a_slot(page, portal):
    """A user logs in, deposits on the generated form, reads the reference, SOAP sees it, a slot is booked."""
    log_in(page, portal, TECH)
    shot(page, "02-accueil")
    page.get_by_role("link", name="Déposer", exact=True).click()
    page.get_by_label("Prestation concernée").select_option("0140000001")
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("heading", name="Déposer une signalisation").wait_for()
    page.get_by_role("button", name="Déposer la signalisation").click()  # empty: errors under the fields
    page.locator("#f-signalisationCuivre-defaut-codeDefaut-erreur").wait_for()
    shot(page, "03-depot-erreurs")
    fill = {
        "#f-signalisationCuivre-defaut-description": "Friture permanente sur la ligne.",
        "#f-signalisationCuivre-defaut-dateDebut": "2026-11-17T19:42",
        "#f-signalisationCuivre-ligne-ndi": "0140000001",
        "#f-signalisationCuivre-ligne-codeNra": "75111",
        "#f-signalisationCuivre-ligne-adresseClient": "8 rue Oberkampf 75011 Paris",
        "#f-signalisationCuivre-ligne-codeInsee": "75111",
        "#f-signalisationCuivre-contactSite-nom": "Mme Claire Martin",
        "#f-signalisationCuivre-contactSite-telephone": "0612345678",
        "#f-signalisationCuivre-accesSite-horairesAcces": "Du lundi au vendredi de 8 h à 18 h",
    }
    for selector, value in fill.items():
        page.locator(selector).fill(value)
    for selector in ("#f-signalisationCuivre-defaut-codeDefaut", "#f-signalisationCuivre-defaut-impact"):
        page.locator(selector).select_option(index=1)
    page.get_by_role("button", name="Déposer la signalisation").click()
    reference = page.locator("#reference").inner_text()
    shot(page, "04-accuse")
    assert reference.startswith("SIG")

    state = portal.client().service.consulterEtatSignalisation(referenceSignalisation=reference)
    assert state.etat == "EN_DEPOT"

    page.get_by_role("link", name=f"Suivre la signalisation {reference}").click()
    page.get_by_role("heading", name=f"Signalisation {reference}").wait_for()
    shot(page, "05-detail")
    page.get_by_role("link", name="Prendre un rendez-vous").click()
    page.get_by_label("Contact sur site").fill("Mme Claire Martin")
    page.get_by_label("Téléphone du contact").fill("0612345678")
    shot(page, "06-creneaux")
    page.get_by_role("button", name="Réserver ce créneau").click()
    page.get_by_text("Le rendez-vous est réservé.").wait_for()
    shot(page, "07-rendez-vous")
    ticket = portal.gateway.store.get_ticket(reference)
    assert len(portal.gateway.store.appointments_of_ticket(ticket.id)) == 1


def test_main_pages_render_for_the_screenshots(page, portal):
    """The list, tests, network and documents pages render with their headings (``make screenshots``: photographed)."""
    log_in(page, portal, TECH)
    for path, heading, name in (
        ("/esav", "Signalisations en cours", "08-liste"),
        ("/esav/tests", "Lancer un test de ligne", "09-tests"),
        ("/esav/reseau?prestation=FI-0001-0001", "Travaux programmés et incidents réseau", "10-reseau"),
        ("/documents", "Documents : le dossier e-SAV", "11-documents"),
        ("/actualites", "Actualités et avis", "15-actualites"),
        ("/faq", "Questions fréquentes", "16-faq"),
    ):
        page.goto(portal.web_url + path)
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        shot(page, name)


def test_upload_a_file_read_the_receipt_and_download_a_duplicate(page, portal):
    """The administrator publishes a file (receipt with name and time) and downloads an invoice duplicate PDF."""
    log_in(page, portal, ADMIN)
    shot(page, "12-accueil-administrateur")
    page.get_by_role("link", name="Mes fichiers", exact=True).first.click()
    page.set_input_files(
        "#fichiers",
        files=[
            {
                "name": "OPE001_CUIVRE_20261118_releve-novembre.csv",
                "mimeType": "text/csv",
                "buffer": b"ligne;etat\n1;OK\n",
            }
        ],
    )
    page.get_by_role("button", name="Publier").click()
    receipt = page.locator("#recu").inner_text()
    shot(page, "13-fichiers-recu")
    assert "OPE001_CUIVRE_20261118_releve-novembre.csv (version 1) — publié le 18/11/2026 à 10:00:00" in receipt
    page.goto(portal.web_url + "/duplicata")
    shot(page, "14-duplicata")
    with page.expect_download() as download:
        page.get_by_role("link", name="F001-202611 (PDF)").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF-1.4") and b"F001-202611" in content
    for path, heading, name in (
        ("/admin/utilisateurs", "Utilisateurs de Opérateur Alpha", "17-utilisateurs"),
        ("/admin/utilisateurs/2", "Profil de tech.alpha", "18-profil"),
        ("/abonnement", "Abonnement à e-SAV : bon de commande", "19-abonnement"),
    ):
        page.goto(portal.web_url + path)
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        shot(page, name)


def test_an_agent_publishes_a_notice_and_handles_subscriptions(page, portal):
    """The provider's agent logs in, sees a too-short notice refused with the earliest date, publishes it properly,
    publishes a file for OPE001, and activates a subscription; the operator's administrator reads the notice."""
    page.goto(portal.web_url + "/connexion")
    page.get_by_label("Identifiant").fill(AGENT[0])
    page.get_by_label("Mot de passe").fill(AGENT[1])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Espace du fournisseur", exact=True).wait_for()
    shot(page, "20-fournisseur-accueil")
    page.get_by_role("link", name="Actualités et annonces", exact=True).first.click()
    page.get_by_label("Type").select_option("INTERRUPTION_ESAV")
    page.get_by_label("Titre").fill("Interruption d'e-SAV")
    page.get_by_label("Texte").fill("Migration des serveurs : e-SAV indisponible de 22 h à minuit.")
    page.get_by_label("Date d'effet (heure de Paris)").fill("2026-11-19T22:00")
    page.get_by_role("button", name="Publier").click()
    error = page.locator("#erreur-publication").inner_text()
    shot(page, "21-fournisseur-preavis-refuse")
    assert "date la plus proche autorisée : le 20/11/2026 à 10:00" in error
    page.get_by_label("Date d'effet (heure de Paris)").fill("2026-11-23T22:00")
    page.get_by_label("Fin prévue d'une interruption (heure de Paris)").fill("2026-11-24T00:00")
    page.get_by_role("button", name="Publier").click()
    page.get_by_text("La publication est enregistrée.").wait_for()
    shot(page, "22-fournisseur-actualites")
    page.goto(portal.web_url + "/fournisseur/fichiers")
    page.locator("#operateur").select_option("OPE001")
    page.set_input_files(
        "#fichier", files=[{"name": "bilan.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 bilan"}]
    )
    page.get_by_role("button", name="Publier le fichier").click()
    assert "bilan.pdf publié pour OPE001 (version 1)" in page.locator("#fichier-publie").inner_text()
    shot(page, "23-fournisseur-fichiers")
    record = portal.gateway.subscriptions.submit(
        "OPE002",
        {
            "referenceContrat": "CG-OPE002-01-ESAV",
            "numeroAffaire": "AFF-1",
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
        },
        frozenset({"EN_LIGNE"}),
        "admin.beta",
    )
    page.goto(portal.web_url + "/fournisseur/abonnements")
    page.locator(f"#date-{record.reference}").fill("2026-11-20")
    shot(page, "24-fournisseur-abonnements")
    page.get_by_role("button", name=f"Activer {record.reference}").click()
    page.get_by_text("L'abonnement est enregistré.").wait_for()
    assert portal.gateway.store.subscription(record.reference).state == "ACTIVE"
    assert portal.gateway.store.get_operator("OPE002").esav_en_ligne
