"""e-soutien both ways: an operator's request reaches the provider's inbox, is answered, replied to and closed."""

from __future__ import annotations

import re
from datetime import datetime
from html import unescape

from sav_support import AGENT, audit_rows
from web_support import ADMIN, TECH, csrf_of, signed_in

from gateway.domain.clock import PARIS


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def send(browser, path: str, data: dict, files=None, form_page: str | None = None):
    token = csrf_of(browser.get(form_page or path).text)
    return browser.http.post(browser.base + path, data={"csrf": token, **data}, files=files)


def open_request(browser, **fields) -> str:
    data = {"sujet": "ESAV", "objet": "Liste vide", "description": "La liste e-SAV reste vide depuis 9 h.", **fields}
    sent = send(browser, "/e-soutien", data, files=[("pieces", ("capture.png", b"\x89PNG", "image/png"))])
    assert sent.status_code == 200, sent.text[:400]
    return re.search(r'id="reference-soutien">(SOU\d{8})<', sent.text).group(1)


def test_a_request_goes_from_operator_to_agent_and_back(portal):
    """Operator opens it with a file; agent sees its deadline, answers with a file; operator replies; agent closes."""
    tech = signed_in(portal, TECH)
    reference = open_request(tech)
    agent = signed_in(portal, AGENT, lands_on=None)
    inbox = agent.get("/fournisseur/e-soutien").text
    row = inbox[inbox.index(reference) :].split("</tr>")[0]
    assert "OPE001" in row and "e-SAV" in row and "Nouvelle" in row and "18/11/2026 14:00" in row
    thread = agent.get(f"/fournisseur/e-soutien/{reference}").text
    assert "La liste e-SAV reste vide depuis 9 h." in thread and "capture.png" in thread
    assert "du lundi au samedi" in unescape(thread)
    png = re.search(rf'href="(/fournisseur/e-soutien/{reference}/pieces/\d+)"', thread).group(1)
    assert agent.get(png).content == b"\x89PNG"
    taken = send(
        agent, f"/fournisseur/e-soutien/{reference}/prendre", {}, form_page=f"/fournisseur/e-soutien/{reference}"
    )
    assert "La demande est prise en charge." in unescape(taken.text) and "En cours" in taken.text
    answered = send(
        agent,
        f"/fournisseur/e-soutien/{reference}/repondre",
        {"message": "Un index était corrompu ; c'est réparé."},
        files=[("pieces", ("rapport.pdf", b"%PDF-1.4 r", "application/pdf"))],
        form_page=f"/fournisseur/e-soutien/{reference}",
    )
    assert answered.status_code == 200 and "Répondue" in answered.text
    mine = tech.get("/e-soutien").text
    assert reference in mine and "Répondue" in mine
    seen = tech.get(f"/e-soutien/{reference}").text
    assert "Un index était corrompu" in unescape(seen) and "rapport.pdf" in seen
    assert re.search(r"agent/agent\.sav — 18/11/2026 10:00:00", seen)  # every message is timestamped
    report = re.search(rf'href="(/e-soutien/{reference}/pieces/\d+)">rapport.pdf', seen).group(1)
    assert tech.get(report).content == b"%PDF-1.4 r"
    replied = send(tech, f"/e-soutien/{reference}", {"message": "Merci, c'est revenu."})
    assert replied.status_code == 200 and "En cours" in replied.text
    closed = send(
        agent,
        f"/fournisseur/e-soutien/{reference}/clore",
        {"message": "Clos, bonne journée."},
        form_page=f"/fournisseur/e-soutien/{reference}",
    )
    assert "La demande est close." in unescape(closed.text)
    final = tech.get(f"/e-soutien/{reference}").text
    assert "Clos, bonne journée." in final and "Cette demande est close" in final
    refused = send(tech, f"/e-soutien/{reference}", {"message": "Encore une chose"}, form_page="/e-soutien")
    assert refused.status_code == 422 and "est close" in unescape(refused.text)
    for action in ("esoutien.prise_en_charge", "esoutien.reponse", "esoutien.cloture"):
        assert [actor for actor, _, _ in audit_rows(portal, action, reference)] == ["agent/agent.sav"], action
    assert audit_rows(portal, "esoutien.reponse", reference)[0][2] == {"pieces": ["rapport.pdf"]}
    assert audit_rows(portal, "esoutien.piece_jointe.telechargement", reference)[0][0] == "agent/agent.sav"


def test_the_inbox_filters_by_status_and_counts_each(portal):
    """Counts per status on top; the status filter keeps only that status; closed ones leave the default view."""
    tech = signed_in(portal, TECH)
    first, second = open_request(tech), open_request(tech, sujet="PORTAIL", objet="Menu")
    portal.gateway.support.close(first, author="agent/x")
    agent = signed_in(portal, AGENT, lands_on=None)
    default = agent.get("/fournisseur/e-soutien").text
    assert second in default and first not in default
    text = text_of(default)
    assert "Nouvelle : 1" in text and "Close : 1" in text
    assert first in agent.get("/fournisseur/e-soutien?statut=CLOSE").text
    bad = agent.get("/fournisseur/e-soutien?statut=PERDUE")
    assert bad.status_code == 422 and 'id="e-statut"' in bad.text


def test_a_portal_request_gets_the_weekday_deadline(portal):
    """A portal request sent Wednesday 17:00 is due Thursday 11:00 (four handling hours)."""
    portal.clock.set(datetime(2026, 11, 18, 17, 0, tzinfo=PARIS))
    reference = open_request(signed_in(portal, TECH), sujet="PORTAIL")
    thread = signed_in(portal, AGENT, lands_on=None).get(f"/fournisseur/e-soutien/{reference}").text
    assert 'id="echeance-soutien">le 19/11/2026 11:00' in thread


def test_operators_see_only_their_own_requests_and_errors_are_named(portal):
    """Another operator's request is 404; an empty description or a refused file is named under its field."""
    reference = open_request(signed_in(portal, TECH))
    portal.gateway.accounts.create_user(None, "OPE002", "bob.beta", "Bob Beta", "Beta-Bob-2026-pass!")
    assert signed_in(portal, ("bob.beta", "Beta-Bob-2026-pass!")).get(f"/e-soutien/{reference}").status_code == 404
    admin = signed_in(portal, ADMIN)
    assert admin.get(f"/e-soutien/{reference}").status_code == 200  # same operator, another user
    empty = send(admin, "/e-soutien", {"sujet": "ESAV", "objet": "Vide", "description": " "})
    assert empty.status_code == 422 and 'id="e-description"' in empty.text and 'value="Vide"' in empty.text
    bad_file = send(
        admin,
        "/e-soutien",
        {"sujet": "ESAV", "objet": "Exe", "description": "voir pièce"},
        files=[("pieces", ("outil.exe", b"MZ", "application/octet-stream"))],
    )
    assert bad_file.status_code == 422 and 'id="e-pieces"' in bad_file.text
    vertical_tab = send(admin, f"/e-soutien/{reference}", {"message": "ligne\x0bcassée"}, form_page="/e-soutien")
    assert vertical_tab.status_code == 422 and 'id="e-message"' in vertical_tab.text
    bad_topic = send(admin, "/e-soutien", {"sujet": "AUTRE", "objet": "x", "description": "y"})
    assert bad_topic.status_code == 422 and 'id="e-sujet"' in bad_topic.text
    agent = signed_in(portal, AGENT, lands_on=None)
    assert agent.get("/e-soutien").status_code == 404
    assert admin.get("/fournisseur/e-soutien").status_code == 404


def test_a_file_missing_from_a_receipt_links_to_a_prefilled_request(portal):
    """The "Mes fichiers" receipt links to a pre-filled e-soutien request; a file's own link ties the request to it."""
    admin = signed_in(portal, ADMIN)
    token = csrf_of(admin.get("/fichiers").text)
    receipt = admin.http.post(
        admin.base + "/fichiers",
        data={"csrf": token},
        files=[("fichiers", ("OPE001_CUIVRE_20261118_releve-1.csv", b"a;b\n", "text/csv"))],
    ).text
    missing = re.search(r'id="signaler-manquant" href="([^"]+)"', receipt).group(1)
    form = unescape(admin.get(unescape(missing)).text)
    assert "un fichier manque dans l'accusé de réception" in form
    assert "OPE001_CUIVRE_20261118_releve-1.csv (version 1, reçu le 18/11/2026 à 10:00:00)" in form
    one = re.search(r'href="(/e-soutien\?fichier=\d+)"', receipt).group(1)
    prefilled = admin.get(one).text
    file_id = re.search(r'name="fichier" value="(\d+)"', prefilled).group(1)
    sent = send(
        admin,
        "/e-soutien",
        {"sujet": "PORTAIL", "objet": "Fichier tronqué", "description": "Il manque des lignes.", "fichier": file_id},
    )
    reference = re.search(r'id="reference-soutien">(SOU\d{8})<', sent.text).group(1)
    thread = signed_in(portal, AGENT, lands_on=None).get(f"/fournisseur/e-soutien/{reference}").text
    assert f'href="/fournisseur/fichiers-operateurs/{file_id}">OPE001_CUIVRE_20261118_releve-1.csv' in thread
