"""The operators' portal over HTTPS: accounts, sessions, CSRF, throttling, rights, escaping, e-SAV en ligne."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from lxml import etree
from support import CATALOGUE, deposit
from web_support import ADMIN, TECH, csrf_of, signed_in

from gateway.catalogue import Catalogue, build_mockups
from gateway.errors import InvalidRequestError
from gateway.services import Caller, DepositRequest


def example_values(code: str, version: str = "1.0") -> dict[str, str]:
    """The example instance of a form as the page's fields: path → value (first occurrence)."""
    root = etree.parse(str(CATALOGUE / "forms" / code / f"{version}.example.xml")).getroot()
    values: dict[str, str] = {}
    for element in root.iter():
        if len(element) == 0 and element.text and element.text.strip():
            path = "/" + "/".join(etree.QName(e).localname for e in [*reversed(list(element.iterancestors())), element])
            values.setdefault(path, element.text.strip())
    return values


# Accounts, sessions, CSRF, throttling ---------------------------------------------------------------


def test_pages_need_a_login_and_the_session_cookie_is_secure_httponly_samesite(portal):
    """An anonymous visit lands on the login page; the session cookie is Secure, HttpOnly and SameSite=Lax."""
    b = signed_in(portal)
    response = b.get("/esav")
    assert response.url.endswith("/connexion?suite=%2Fesav")
    assert "<h1>Connexion à l'Espace Opérateurs</h1>" in response.text
    cookie = response.history[0].headers["Set-Cookie"]
    assert "esav_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_login_opens_a_new_session_id_so_a_planted_one_is_worthless(portal):
    """Session fixation: the id known before login is not the one after, and does not become logged in."""
    b = signed_in(portal)
    b.get("/connexion")
    before = b.session_id
    b.login(TECH)
    after = b.session_id
    assert before and after and before != after
    attacker = signed_in(portal)
    attacker.http.cookies.set("esav_session", before, domain="localhost.local")
    attacker.http.cookies.clear()
    attacker.http.cookies.set("esav_session", before)
    assert attacker.get("/esav").url.endswith("/connexion?suite=%2Fesav")


def test_wrong_password_is_refused_with_one_message(portal):
    """A wrong password and an unknown login get the same answer (401), and no session."""
    b = signed_in(portal)
    wrong = b.post("/connexion", {"login": "tech.alpha", "password": "pas le bon mot de passe"})
    unknown = b.post("/connexion", {"login": "personne", "password": "pas le bon mot de passe"})
    assert wrong.status_code == unknown.status_code == 401
    assert (
        "Identifiant ou mot de passe incorrect" in wrong.text
        and "Identifiant ou mot de passe incorrect" in unknown.text
    )
    assert b.get("/esav").url.endswith("/connexion?suite=%2Fesav")


def test_an_unknown_login_costs_a_verification_with_the_hashers_parameters():
    """The hash checked for an unknown login is a real one made with the passwords' parameters (same cost)."""
    from gateway.services._accounts import _DUMMY_HASH, _HASHER

    assert not _HASHER.check_needs_rehash(_DUMMY_HASH)
    assert _HASHER.verify(_DUMMY_HASH, "compte inexistant")


def test_five_failures_block_the_login_from_that_address_even_with_the_right_password(portal):
    """Throttling: after 5 failures in 15 minutes, the 6th attempt is refused (429) with a clear message."""
    b = signed_in(portal)
    for _ in range(5):
        assert b.post("/connexion", {"login": "tech.alpha", "password": "mauvais-mot-de-passe"}).status_code == 401
    blocked = b.post("/connexion", {"login": "tech.alpha", "password": TECH[1]})
    assert blocked.status_code == 429
    assert "Trop d'échecs de connexion : réessayez dans 15 minutes." in unescape(blocked.text)
    signed_in(portal, ADMIN)  # another login from the same address is not blocked


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/connexion", {"login": "tech.alpha", "password": TECH[1]}),
        ("/esav/deposer", {"prestation": "0140000001", "gravite": "MAJEURE"}),
        ("/deconnexion", {}),
    ],
)
@pytest.mark.parametrize("token", [None, "jeton-invente"])
def test_a_post_without_the_session_csrf_token_is_refused(portal, path, data, token):
    """CSRF: every form POST without its session's token (absent or forged) answers 403 and does nothing."""
    b = signed_in(portal, TECH) if path != "/connexion" else signed_in(portal)
    b.get("/")
    body = dict(data) if token is None else {**data, "csrf": token}
    response = b.http.post(b.base + path, data=body, allow_redirects=False)
    assert response.status_code == 403
    assert "jeton CSRF" in response.text
    assert (
        portal.gateway.store.open_tickets(
            "OPE001", states=["EN_DEPOT"], prestation=None, deposited_from=None, deposited_to=None, page=1, size=10
        ).total
        == 0
    )


def test_logout_ends_the_session(portal_any):
    """After logout the old session id opens nothing."""
    b = signed_in(portal_any, TECH)
    old = b.session_id
    response = b.post("/deconnexion", {}, form_page="/")
    assert response.url.endswith("/connexion?ok=deconnecte") and "Vous êtes déconnecté." in response.text
    again = signed_in(portal_any)
    again.http.cookies.set("esav_session", old)
    assert again.get("/").url.endswith("/connexion?suite=%2F")


# e-SAV en ligne: deposit ----------------------------------------------------------------------------


def test_a_ticket_deposited_on_the_page_is_the_same_ticket_over_soap(portal_any):
    """Deposit from the catalogue form: the reference is the acknowledgement, and SOAP sees that ticket."""
    b = signed_in(portal_any, TECH)
    response = b.post(
        "/esav/deposer",
        {"prestation": "0140000001", "gravite": "MAJEURE", **example_values("SIG_CUIVRE")},
        form_page="/esav/deposer?prestation=0140000001",
    )
    assert response.status_code == 200
    reference = re.search(r'<strong id="reference">(SIG\d+)</strong>', response.text).group(1)
    state = portal_any.client().service.consulterEtatSignalisation(referenceSignalisation=reference)
    assert state.etat == "EN_DEPOT"
    ticket = portal_any.gateway.store.get_ticket(reference)
    assert (ticket.form_code, ticket.form_version, ticket.prestation) == ("SIG_CUIVRE", "1.0", "0140000001")
    first = portal_any.gateway.store.transitions(ticket.id)[0]
    assert first.author == "tech.alpha"


def test_a_reference_or_comment_longer_than_the_contract_allows_is_refused_under_its_field(portal_any):
    """65 characters of operator reference (the WSDL's 64 at most; PostgreSQL's index refused 3,000) and a
    4,001-character comment: refused (422) naming the field, nothing stored, on both engines."""
    b = signed_in(portal_any, TECH)
    for field, value, message in (
        ("referenceOperateur", "R" * 65, "Référence opérateur : 65 caractères, au plus 64."),
        ("referenceOperateur", "R" * 3000, "Référence opérateur : 3000 caractères, au plus 64."),
        ("commentaire", "c" * 4001, "Commentaire : 4001 caractères, au plus 4000."),
    ):
        response = b.post(
            "/esav/deposer",
            {"prestation": "0140000001", "gravite": "MAJEURE", field: value, **example_values("SIG_CUIVRE")},
            form_page="/esav/deposer?prestation=0140000001",
        )
        assert response.status_code == 422, (field, response.status_code)
        assert message in unescape(response.text), field
    assert portal_any.gateway.store.get_ticket("SIG00000001") is None


def test_schema_errors_are_shown_next_to_their_fields(portal):
    """A value the XSD refuses and an empty mandatory field are reported under those very fields (422)."""
    b = signed_in(portal, TECH)
    values = example_values("SIG_CUIVRE")
    values["/signalisationCuivre/ligne/ndi"] = "pas-un-ndi"
    values["/signalisationCuivre/contactSite/nom"] = ""
    response = b.post(
        "/esav/deposer",
        {"prestation": "0140000001", "gravite": "MAJEURE", **values},
        form_page="/esav/deposer?prestation=0140000001",
    )
    assert response.status_code == 422
    assert re.search(r'id="f-signalisationCuivre-ligne-ndi-erreur">[^<]*format attendu', response.text)
    assert 'id="f-signalisationCuivre-contactSite-nom-erreur">Champ obligatoire.' in response.text
    assert 'value="pas-un-ndi"' in response.text  # what the user typed is kept
    assert portal.gateway.store.get_ticket("SIG00000001") is None


def test_the_deposit_page_fields_are_the_mockup_fields(portal):
    """The page's form controls (name, id, required, kind) are exactly those of the form's HTML mockup."""
    catalogue = Catalogue.load(CATALOGUE)
    mockup = build_mockups(catalogue)["SIG_CUIVRE/1.0.html"]
    page = signed_in(portal, TECH).get("/esav/deposer?prestation=0140000001").text
    form_fields = {c for c in _controls(page) if c[0].startswith("/")}
    assert form_fields == _controls(mockup)


def _controls(html: str) -> set[tuple[str, str, bool, str]]:
    found: set[tuple[str, str, bool, str]] = set()

    class Collect(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list) -> None:
            a = dict(attrs)
            if tag in ("input", "select", "textarea") and a.get("type") != "hidden" and "name" in a:
                found.add((a["name"], a["id"], "required" in a, a.get("type") or tag))

    Collect().feed(html)
    return found


def test_ftth_is_web_services_only_on_the_page_and_in_the_service(portal):
    """FTTH: the page says web services only instead of a form, and the service refuses a WEB deposit."""
    b = signed_in(portal, ADMIN)
    page = b.get("/esav/deposer?prestation=FI-0001-0001")
    assert "se déposent par web services uniquement" in page.text and "Déposer la signalisation" not in page.text
    crafted = b.post(
        "/esav/deposer",
        {"prestation": "FI-0001-0001", "gravite": "MAJEURE", **example_values("SIG_FTTH", "2.0")},
        form_page="/esav/deposer?prestation=FI-0001-0001",
    )
    assert crafted.status_code == 422 and "dépôt par web services uniquement" in crafted.text
    form = etree.parse(str(CATALOGUE / "forms" / "SIG_FTTH" / "2.0.example.xml")).getroot()
    request = DepositRequest("FI-0001-0001", "FTTH_ACCES", "MAJEURE", "SIG_FTTH", "2.0", form)
    web = Caller("OPE001", "Opérateur Alpha", frozenset(), channel="WEB", author="admin.alpha")
    with pytest.raises(InvalidRequestError, match="dépôt par web services uniquement"):
        portal.gateway.tickets.deposit(web, request)
    assert deposit(portal.client(), "FTTH_ACCES", version="2.0").etat == "EN_DEPOT"  # SOAP still deposits


# Rights -----------------------------------------------------------------------------------------------


def test_a_user_neither_sees_nor_reaches_an_offer_outside_its_profile(portal):
    """tech.alpha has no right on FIBRE_LFO: not in its lists, and 404 on the direct URLs."""
    reference = deposit(portal.client(), "FIBRE_LFO").referenceSignalisation
    tech = signed_in(portal, TECH)
    assert reference not in tech.get("/esav").text
    assert "LFO-000001" not in tech.get("/esav/deposer").text
    assert tech.get(f"/esav/signalisations/{reference}").status_code == 404
    assert tech.get("/esav/deposer?prestation=LFO-000001").status_code == 404
    assert tech.get("/esav/reseau?prestation=LFO-000001").status_code == 404
    admin = signed_in(portal, ADMIN)
    assert reference in admin.get("/esav").text
    assert admin.get(f"/esav/signalisations/{reference}").status_code == 200


def test_read_only_offer_shows_the_ticket_but_no_action(portal):
    """tech.alpha reads FTTH tickets: it sees the detail, without action forms, and a crafted action is 404."""
    reference = deposit(portal.client(), "FTTH_ACCES", version="2.0").referenceSignalisation
    tech = signed_in(portal, TECH)
    detail = tech.get(f"/esav/signalisations/{reference}")
    assert detail.status_code == 200 and "Annuler la signalisation" not in detail.text
    crafted = tech.post(f"/esav/signalisations/{reference}/annuler", {"texte": "non"}, form_page="/")
    assert crafted.status_code == 404
    assert portal.gateway.store.get_ticket(reference).state == "EN_DEPOT"


def test_another_operators_ticket_is_never_reachable(portal):
    """A ticket of OPE002 answers 404 to OPE001's administrator, for reading and acting."""
    reference = (
        portal.client("OPE002")
        .service.deposerSignalisation(
            identifiantPrestation="0140000002",
            codeOffre="CUIVRE_DEGROUPAGE",
            gravite="MAJEURE",
            formulaire={
                "code": "SIG_CUIVRE",
                "version": "1.0",
                "_value_1": etree.parse(str(CATALOGUE / "forms" / "SIG_CUIVRE" / "1.0.example.xml")).getroot(),
            },
        )
        .referenceSignalisation
    )
    admin = signed_in(portal, ADMIN)
    assert admin.get(f"/esav/signalisations/{reference}").status_code == 404
    assert admin.post(f"/esav/signalisations/{reference}/annuler", {"texte": "x"}, form_page="/").status_code == 404
    assert admin.get(f"/esav/signalisations/{reference}/rendez-vous").status_code == 404
    assert portal.gateway.store.get_ticket(reference).state == "EN_DEPOT"


def test_a_plain_user_does_not_reach_user_management(portal):
    """The administration pages answer 404 to a plain user and are not in its menu."""
    tech = signed_in(portal, TECH)
    assert "/admin/utilisateurs" not in tech.get("/").text
    assert tech.get("/admin/utilisateurs").status_code == 404
    assert (
        tech.post("/admin/utilisateurs", {"login": "intrus.alpha", "password": "x" * 12}, form_page="/").status_code
        == 404
    )
    assert portal.gateway.store.user_by_login("intrus.alpha") is None


def test_the_administrator_creates_a_user_and_gives_it_a_profile(portal):
    """A new user reaches exactly what its profile gives; a suspended user cannot log in."""
    admin = signed_in(portal, ADMIN)
    created = admin.post(
        "/admin/utilisateurs", {"login": "hotline.alpha", "nom": "Hotline", "password": "Hotline-Alpha-1"}
    )
    user_id = created.url.rsplit("/", 1)[1].split("?")[0]
    assert "L'utilisateur a été créé." in unescape(created.text)
    admin.post(
        f"/admin/utilisateurs/{user_id}/profil",
        {"role": "UTILISATEUR", "eservice": ["ESAV"], "offre_DSL_BITSTREAM": "LECTURE"},
        form_page=f"/admin/utilisateurs/{user_id}",
    )
    hotline = signed_in(portal, ("hotline.alpha", "Hotline-Alpha-1"))
    home = hotline.get("/").text
    assert "DSL_BITSTREAM" in home and "CUIVRE_DEGROUPAGE" not in home and "/documents" not in home
    assert hotline.get("/documents").status_code == 404
    assert hotline.get("/esav/deposer?prestation=DSL0000001").status_code == 404  # read only
    admin.post(f"/admin/utilisateurs/{user_id}/statut", {"actif": "non"}, form_page=f"/admin/utilisateurs/{user_id}")
    assert hotline.get("/").url.endswith("/connexion?suite=%2F")
    refused = signed_in(portal).post("/connexion", {"login": "hotline.alpha", "password": "Hotline-Alpha-1"})
    assert refused.status_code == 401


# Escaping -----------------------------------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_operator_supplied_text_is_escaped_everywhere_it_is_shown(portal):
    """A comment, an operator reference and a user name holding markup come back as text, never as HTML."""
    tech = signed_in(portal, TECH)
    response = tech.post(
        "/esav/deposer",
        {
            "prestation": "0140000001",
            "gravite": "MAJEURE",
            "referenceOperateur": "ref<b>1</b>",
            **example_values("SIG_CUIVRE"),
        },
        form_page="/esav/deposer?prestation=0140000001",
    )
    reference = re.search(r'<strong id="reference">(SIG\d+)</strong>', response.text).group(1)
    tech.post(
        f"/esav/signalisations/{reference}/completer", {"texte": HOSTILE}, form_page=f"/esav/signalisations/{reference}"
    )
    detail = tech.get(f"/esav/signalisations/{reference}").text
    assert HOSTILE not in detail and "<b>1</b>" not in detail
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in detail
    assert "ref&lt;b&gt;1&lt;/b&gt;" in detail
    admin = signed_in(portal, ADMIN)
    admin.post("/admin/utilisateurs", {"login": "nom.hostile", "nom": HOSTILE, "password": "Nom-Hostile-01"})
    listing = admin.get("/admin/utilisateurs").text
    assert HOSTILE not in listing and "&lt;script&gt;" in listing


# Following, appointments, tests, network ---------------------------------------------------------------


def test_detail_shows_history_gtr_and_comments_and_the_user_completes_and_cancels(portal):
    """The detail page shows the state history, GTR deadline and comments; complete then cancel work."""
    reference = deposit(portal.client(), commentaire="Premier commentaire").referenceSignalisation
    tech = signed_in(portal, TECH)
    page = tech.get(f"/esav/signalisations/{reference}").text
    assert "Historique" in page and "Dépôt" in page and "échéance le" in page and "Premier commentaire" in page
    done = tech.post(
        f"/esav/signalisations/{reference}/completer",
        {"texte": "Le client est joignable"},
        form_page=f"/esav/signalisations/{reference}",
    )
    assert "Votre complément a été enregistré." in done.text and "Le client est joignable" in done.text
    cancelled = tech.post(
        f"/esav/signalisations/{reference}/annuler",
        {"texte": "Doublon interne", "confirme": "oui"},
        form_page=f"/esav/signalisations/{reference}",
    )
    assert "La signalisation a été annulée." in cancelled.text
    assert portal.gateway.store.get_ticket(reference).state != "EN_DEPOT"


def test_a_slot_found_on_the_page_is_booked(portal):
    """Slot search lists free slots; booking one records the appointment on the ticket."""
    reference = deposit(portal.client()).referenceSignalisation
    tech = signed_in(portal, TECH)
    page = tech.get(f"/esav/signalisations/{reference}/rendez-vous?type=SAV").text
    slot = re.search(r'name="creneau" value="([^"]+)"', page).group(1)
    booked = tech.post(
        f"/esav/signalisations/{reference}/rendez-vous",
        {"type": "SAV", "creneau": slot, "contact": "Mme Martin", "telephone": "0612345678"},
        form_page=f"/esav/signalisations/{reference}/rendez-vous",
    )
    assert "Le rendez-vous est réservé." in booked.text
    ticket = portal.gateway.store.get_ticket(reference)
    assert [a.slot_id for a in portal.gateway.store.appointments_of_ticket(ticket.id)] == [slot]


def test_a_line_test_launched_on_the_page_shows_its_result(portal):
    """Launching a test redirects to its page, running first, then with its result once polled."""
    tech = signed_in(portal, TECH)
    page = tech.get("/esav/tests").text
    assert "DSL0000001" in page and "0140000001" not in page  # copper unbundling is passive
    kind = re.search(r'<select id="type-\d+" name="type"><option value="([^"]+)"', page).group(1)
    launched = tech.post("/esav/tests", {"prestation": "DSL0000001", "type": kind})
    assert "/esav/tests/TST" in launched.url and 'http-equiv="refresh"' in launched.text
    portal.clock.advance(timedelta(seconds=30))  # the simulated test takes 20 s on the gateway's clock
    reference = launched.url.rsplit("/", 1)[1]
    portal.gateway.line_tests.poll(reference)
    result = tech.get(f"/esav/tests/{reference}").text
    assert 'http-equiv="refresh"' not in result and "Terminé le" in result


def test_planned_works_and_incidents_of_a_prestation(portal):
    """Paris 11e has a planned work and an incident; Lyon has none."""
    tech = signed_in(portal, TECH)
    paris = tech.get("/esav/reseau?prestation=FI-0001-0001").text
    assert "TP-DEMO-0001" in paris and "INC-DEMO-0001" in paris
    lyon = tech.get("/esav/reseau?prestation=FI-0001-0002").text
    assert "TP-DEMO-" not in lyon and "INC-DEMO-" not in lyon


def test_the_documents_area_serves_the_doc_pack_and_nothing_else(portal):
    """The doc pack lists WSDLs, XSDs, nomenclature, mockups and test set; unlisted paths are 404."""
    tech = signed_in(portal, TECH)
    page = tech.get("/documents").text
    for name in ("v2/signalisation.wsdl", "forms/SIG_CUIVRE/1.0.xsd", "SIG_CUIVRE/1.0.html"):
        assert name in page
    wsdl = tech.get("/documents/wsdl/v2~signalisation.wsdl")
    assert wsdl.status_code == 200 and b"definitions" in wsdl.content
    assert tech.get("/documents/wsdl/..~..~setup.cfg").status_code == 404
    assert csrf_of(page)


def test_a_completion_carries_attachments_that_can_be_downloaded(portal):
    """Completing with files attaches them to the ticket; they are listed and downloadable from the detail."""
    reference = deposit(portal.client()).referenceSignalisation
    tech = signed_in(portal, TECH)
    token = csrf_of(tech.get(f"/esav/signalisations/{reference}").text)
    done = tech.http.post(
        f"{tech.base}/esav/signalisations/{reference}/completer",
        data={"csrf": token, "texte": "Photo du boîtier jointe"},
        files=[("pieces", ("mesure.csv", b"dB;-42\n", "text/csv"))],
    )
    assert "Votre complément a été enregistré." in done.text
    link = re.search(rf'href="(/esav/signalisations/{reference}/pieces/\d+)">mesure.csv<', done.text).group(1)
    assert tech.get(link).content == b"dB;-42\n"
    refused = tech.http.post(
        f"{tech.base}/esav/signalisations/{reference}/completer",
        data={"csrf": token, "texte": "Exécutable"},
        files=[("pieces", ("outil.exe", b"MZ", "application/x-msdownload"))],
    )
    assert refused.status_code == 422 and "outil.exe" in refused.text


def test_a_session_idle_for_thirty_minutes_is_over(portal):
    """After 30 minutes without a request the session no longer opens pages; 29 minutes is fine."""
    tech = signed_in(portal, TECH)
    portal.clock.advance(timedelta(minutes=29))
    assert tech.get("/").url == tech.base + "/"
    portal.clock.advance(timedelta(minutes=31))
    assert tech.get("/").url.endswith("/connexion?suite=%2F")
