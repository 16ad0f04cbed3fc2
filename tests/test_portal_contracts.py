"""What the operator's contracts and subscription decide, by the clock: "Mes fichiers" and its naming rules,
access closed on a termination's effective day, a new offer's month of set-up; list paging; login-failure purge."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import unescape

import pytest
import zeep
from support import DEFAULT_NOW, LiveGateway, deposit, example_form, fault_code
from web_support import ADMIN, TECH, csrf_of, signed_in

from gateway.cli import main
from gateway.domain.clock import PARIS, FixedClock
from gateway.domain.file_rules import FILE_RULES, check_file_name
from gateway.errors import AuthenticationError, InvalidRequestError
from gateway.services import Caller, DepositRequest, Gateway

BOTH = frozenset({"EN_LIGNE", "INTEGRE"})
ORDER_FORM = {
    "referenceContrat": "CG-OPE001-01-ESAV",
    "numeroAffaire": "AFF-2026-0001",
    "raisonSociale": "Opérateur Alpha SA",
    "siret": "44306184100047",
    "representantNom": "Alpha",
    "representantPrenom": "Alice",
    "telephone": "01 23 45 67 89",
    "courriel": "sav@alpha.example",
    "adresse1": "1 rue de Paris, 75011 Paris",
    "faitA": "Paris",
    "faitLe": "2026-11-16",
    "signataireNom": "Martin",
    "signatairePrenom": "Claire",
    "signataireQualite": "Directrice générale",
}
COPPER_ONLY = ("CUIVRE_DEGROUPAGE",)


def at_paris(portal: LiveGateway, *args: int) -> None:
    portal.clock.set(datetime(*args, tzinfo=PARIS))


# B. "Mes fichiers": only when a contract provides it; each offer's naming rule and formats ---------------


@pytest.mark.parametrize(
    ("name", "mime", "offers", "problem"),
    [
        ("OPE001_CUIVRE_20261118_releve.csv", "text/csv", COPPER_ONLY, None),
        ("OPE001_CUIVRE_20261118_releve.csv", "application/vnd.ms-excel", COPPER_ONLY, None),
        ("OPE001_LFO_20261118_plan-site-A.pdf", "application/pdf", ("FIBRE_LFO",), None),
        ("OPE001_ETH_20261118_inventaire.xml", "text/xml", ("ETHERNET_CE2O",), None),
        ("releve.csv", "text/csv", COPPER_ONLY, "nom non conforme. Règle de nommage : <OPERATEUR>_CUIVRE_"),
        ("OPE002_CUIVRE_20261118_releve.csv", "text/csv", COPPER_ONLY, "commencer par votre code opérateur OPE001"),
        ("OPE001_LFO_20261118_plan.pdf", "application/pdf", COPPER_ONLY, "préfixe d'offre « LFO » inconnu"),
        ("OPE001_CUIVRE_20261332_releve.csv", "text/csv", COPPER_ONLY, "« 20261332 » n'est pas une date AAAAMMJJ"),
        ("OPE001_CUIVRE_20261118_plan.pdf", "application/pdf", COPPER_ONLY, "format .pdf refusé pour l'offre"),
        ("OPE001_CUIVRE_20261118_releve.csv", "application/pdf", COPPER_ONLY, "« text/csv » attendu"),
        ("OPE001_CUIVRE_20261118_releve.csv", "text/csv", (), "aucun de vos contrats ne prévoit"),
    ],
)
def test_file_names_follow_the_rule_of_their_offer(name, mime, offers, problem):
    """Names and formats are checked against the offer the name designates; a refusal names the file and the rule."""
    if problem is None:
        assert check_file_name(name, mime, "OPE001", offers).offer == offers[0]
        return
    with pytest.raises(InvalidRequestError) as refused:
        check_file_name(name, mime, "OPE001", offers)
    assert refused.value.libelle.startswith(name) and problem in refused.value.libelle
    if offers:
        assert "par exemple OPE001_" in refused.value.libelle  # an example the user can copy


def test_every_offer_of_the_catalogue_has_a_file_rule(tmp_path):
    """The rules are data covering each offer of the catalogue, with distinct prefixes."""
    gateway = Gateway.open(tmp_path / "esav.db")  # its writers' lock file beside it, not in the working folder
    try:
        offers = {offer for form in gateway.catalogue.forms() for offer in form.offres}
    finally:
        gateway.close()
    assert set(FILE_RULES) == offers
    assert len({r.prefix for r in FILE_RULES.values()}) == len(FILE_RULES)


def test_the_upload_refusal_names_the_file_the_rule_and_an_example(portal):
    """A badly named upload is refused (422) with the rule and an example on the page; nothing is stored."""
    tech = signed_in(portal, TECH)
    token = csrf_of(tech.get("/fichiers").text)
    response = tech.http.post(
        tech.base + "/fichiers", data={"csrf": token}, files=[("fichiers", ("export.csv", b"a;b\n", "text/csv"))]
    )
    text = unescape(response.text)
    assert response.status_code == 422 and "export.csv : nom non conforme" in text
    assert "OPE001_CUIVRE_20261118_releve-1.csv" in text
    assert [f for f in portal.gateway.store.files("OPE001") if f.direction == "OPERATEUR"] == []


def test_mes_fichiers_exists_only_when_a_contract_provides_it(portal):
    """OPE002's contracts do not provide it: no link, 404 by URL, even to a file of its own; once a contract
    provides it, the section appears."""
    gateway = portal.gateway
    gateway.accounts.create_user(None, "OPE002", "admin.beta", "Bob", "Beta-Admin-2026!", role="ADMINISTRATEUR")
    own_file = gateway.portal.publish_file("OPE002", "beta.csv", "text/csv", b"a;b\n", "test")
    beta = signed_in(portal, ("admin.beta", "Beta-Admin-2026!"))
    assert 'href="/fichiers"' not in beta.get("/").text
    assert beta.get("/fichiers").status_code == 404
    assert beta.get(f"/fichiers/{own_file.id}").status_code == 404
    gateway.portal.set_contract("OPE002", "CUIVRE_DEGROUPAGE", "CT-OPE002-02", date(2025, 1, 1), files_provided=True)
    assert 'href="/fichiers"' in beta.get("/").text
    assert beta.get(f"/fichiers/{own_file.id}").content == b"a;b\n"


def test_the_demo_gives_mes_fichiers_to_ope001_and_ope003_only(portal):
    """The demo's contracts provide "Mes fichiers" for OPE001 and OPE003, not OPE002."""
    flags = {
        code: {c.files_provided for c in portal.gateway.store.contracts(code)}
        for code in ("OPE001", "OPE002", "OPE003")
    }
    assert flags == {"OPE001": {True}, "OPE002": {False}, "OPE003": {True}}


# C. A terminated subscription closes the accesses on its effective day, by the clock ---------------------


def test_a_terminated_subscription_closes_both_accesses_on_its_effective_day(portal):
    """Notice on 18/11/2026: on 17/01/2027 SOAP and the portal's e-SAV still work; from 18/01/2027 00:00 Paris the
    web services answer NON_HABILITE and e-SAV en ligne is gone from the portal (other sections stay)."""
    subscriptions = portal.gateway.subscriptions
    record = subscriptions.register("OPE001", ORDER_FORM, BOTH, "test")
    subscriptions.activate(record.reference, date(2026, 11, 18), BOTH, "test")
    assert subscriptions.terminate(record.reference, author="test").terminates_on == "2027-01-18"
    at_paris(portal, 2027, 1, 17, 23, 59)
    assert deposit(portal.client()).etat == "EN_DEPOT"
    tech = signed_in(portal, TECH)
    assert tech.get("/esav").status_code == 200
    at_paris(portal, 2027, 1, 18, 0, 0)
    with pytest.raises(zeep.exceptions.Fault) as closed:
        deposit(portal.client())
    assert fault_code(closed.value) == "NON_HABILITE"
    assert tech.get("/esav").status_code == 404
    home = tech.get("/").text
    assert 'href="/esav"' not in home and 'href="/contrats"' in home


def test_a_new_activation_reopens_accesses_a_termination_had_closed(portal):
    """After the termination took effect, a new subscription activated by the provider opens e-SAV again."""
    subscriptions = portal.gateway.subscriptions
    first = subscriptions.register("OPE001", ORDER_FORM, BOTH, "test")
    subscriptions.activate(first.reference, date(2026, 11, 18), BOTH, "test")
    subscriptions.terminate(first.reference, author="test")
    at_paris(portal, 2027, 2, 1, 10, 0)
    second = subscriptions.register("OPE001", ORDER_FORM, BOTH, "test")
    subscriptions.activate(second.reference, date(2027, 2, 1), BOTH, "test")
    assert deposit(portal.client()).etat == "EN_DEPOT"


# D. A new offer's month of set-up ------------------------------------------------------------------------


@pytest.mark.sqlite_file
def test_a_new_offer_is_set_up_for_one_month_from_its_launch_over_soap_and_on_the_portal(portal):
    """Copper launched 10/11/2026: refused on both doors until 10/12/2026, pointing to the off-web procedure."""
    data = str(portal.data_dir)
    assert main(["portail", "lancement", "CUIVRE_DEGROUPAGE", "--date", "2026-11-10", "--donnees", data]) == 0
    with pytest.raises(zeep.exceptions.Fault) as refused:
        deposit(portal.client())
    assert fault_code(refused.value) == "NON_HABILITE" and "à partir du 10/12/2026" in refused.value.message
    assert "procédure hors Web" in refused.value.message
    tech = signed_in(portal, TECH)
    page = tech.get("/esav/deposer?prestation=0140000001")
    assert 'id="mise-en-place"' in page.text and "à partir du 10/12/2026" in page.text
    assert "procédure hors Web" in unescape(page.text)
    posted = tech.post(
        "/esav/deposer",
        {"prestation": "0140000001", "gravite": "MAJEURE"},
        form_page="/esav/deposer?prestation=0140000001",
    )
    assert posted.status_code == 422 and "en cours de mise en place" in unescape(posted.text)
    assert deposit(portal.client(), "ETHERNET_CE2O").etat == "EN_DEPOT"  # an offer launched long ago
    at_paris(portal, 2026, 12, 10, 10, 0)
    assert deposit(portal.client()).etat == "EN_DEPOT"


def test_an_operator_taking_an_established_offer_is_not_held_back(portal):
    """OPE001 signs a copper contract on 10/11/2026, an offer marketed long before: deposits are accepted at once."""
    portal.gateway.portal.set_contract(
        "OPE001", "CUIVRE_DEGROUPAGE", "CT-OPE001-NEW", date(2026, 11, 10), files_provided=True
    )
    assert deposit(portal.client()).etat == "EN_DEPOT"


def test_launching_an_unknown_offer_is_refused_naming_it(portal, capsys):
    """`esav portail lancement` of an offer the catalogue does not know exits 1 naming it; nothing is recorded."""
    assert main(["portail", "lancement", "OFFRE_X", "--date", "2026-11-10", "--donnees", str(portal.data_dir)]) == 1
    assert "OFFRE_X" in capsys.readouterr().err
    assert portal.gateway.store.offer_launches() == []


# E. The ticket list filters the user's offers before paging; failed logins are purged ---------------------


def test_the_ticket_list_filters_the_users_offers_before_paging(portal):
    """100 newer LFO tickets (tech.alpha has no LFO right) do not push its one copper ticket off the first page."""
    gateway = portal.gateway
    alpha = Caller("OPE001", "Opérateur Alpha", frozenset({"signalisation"}), author="OPE001/test", esav_integre=True)

    def deposit_direct(prestation: str, offer: str, form_code: str) -> str:
        request = DepositRequest(prestation, offer, "MINEURE", form_code, "1.0", example_form(form_code))
        return gateway.tickets.deposit(alpha, request).reference

    copper = deposit_direct("0140000001", "CUIVRE_DEGROUPAGE", "SIG_CUIVRE")
    for _ in range(100):
        portal.clock.advance(timedelta(seconds=1))
        deposit_direct("LFO-000001", "FIBRE_LFO", "SIG_LFO")
    listing = signed_in(portal, TECH).get("/esav").text
    assert f"/esav/signalisations/{copper}" in listing and "1 signalisation(s)" in listing
    assert "FIBRE_LFO" not in listing
    admin = signed_in(portal, ADMIN).get("/esav").text
    assert "101 signalisation(s) — page 1 sur 2" in admin and f"/esav/signalisations/{copper}" not in admin
    second = signed_in(portal, ADMIN).get("/esav?page=2").text
    assert f"/esav/signalisations/{copper}" in second


def test_failed_logins_are_purged_after_ninety_days(tmp_path):
    """A failure older than 90 days is forgotten at the next login attempt; a younger one is kept."""
    clock = FixedClock(DEFAULT_NOW)
    gateway = Gateway.open(tmp_path / "esav.db", clock=clock)
    try:
        gateway.admin.add_operator("OPE001", "Opérateur Alpha", domains=())
        for _ in range(2):
            with pytest.raises(AuthenticationError):
                gateway.accounts.login("inconnu", "mauvais", "192.0.2.1", None)
        clock.advance(timedelta(days=89))
        with pytest.raises(AuthenticationError):
            gateway.accounts.login("autre", "mauvais", "192.0.2.2", None)
        assert gateway.store.login_failure_count() == 3
        clock.advance(timedelta(days=1, seconds=1))
        with pytest.raises(AuthenticationError):
            gateway.accounts.login("autre", "mauvais", "192.0.2.2", None)
        assert gateway.store.login_failure_count() == 2  # the two of day 0 are gone, days 89 and 90 stay
    finally:
        gateway.close()
