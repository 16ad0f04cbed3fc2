"""Espace Opérateurs beyond e-SAV: sections by profile, news, contracts, "Mes fichiers", duplicates, FAQ, e-soutien."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape

import pytest
import requests
from pypdf import PdfReader
from web_support import ADMIN, TECH, Browser, csrf_of, signed_in

from gateway.services._pdf import text_pdf

#: Names that follow the copper offer's rule (gateway/domain/file_rules.py).
RELEVE = "OPE001_CUIVRE_20261118_releve.csv"
NOTE = "OPE001_CUIVRE_20261118_note.txt"


def upload(b: Browser, *files: tuple[str, bytes, str]) -> requests.Response:
    token = csrf_of(b.get("/fichiers").text)
    return b.http.post(b.base + "/fichiers", data={"csrf": token}, files=[("fichiers", (n, c, t)) for n, c, t in files])


def test_home_shows_only_the_sections_the_profile_opens(portal):
    """tech.alpha has files and contracts but not invoice duplicates; the administrator has all."""
    tech = signed_in(portal, TECH).get("/").text
    assert 'href="/fichiers"' in tech and 'href="/contrats"' in tech and 'href="/duplicata"' not in tech
    admin = signed_in(portal, ADMIN).get("/").text
    assert 'href="/duplicata"' in admin and 'href="/admin/utilisateurs"' in admin


def test_invoice_duplicates_cover_three_rolling_years_and_are_pdfs(portal):
    """Invoices of the last three years are listed and download as PDF; older ones are neither listed nor reachable."""
    admin = signed_in(portal, ADMIN)
    page = admin.get("/duplicata").text
    numbers = re.findall(r'<a href="/duplicata/(\d+)">(F001-\d{6})', page)
    assert len(numbers) == 36  # monthly invoices since the first of the month three years ago
    listed = {number for _, number in numbers}
    assert "F001-202611" in listed and "F001-202312" in listed and "F001-202311" not in listed
    invoice_id = numbers[0][0]
    pdf = admin.get(f"/duplicata/{invoice_id}")
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")
    document = PdfReader(io.BytesIO(pdf.content))
    assert len(document.pages) == 1 and document.metadata.title == "Facture F001-202611 (duplicata)"
    text = " ".join(document.pages[0].extract_text().split())
    assert "Facture F001-202611 (duplicata)" in text and "Période facturée : 11/2026" in text and ",56 €" in text
    too_old = portal.gateway.store.invoices("OPE001", "2000-01-01")[-1]
    assert admin.get(f"/duplicata/{too_old.id}").status_code == 404


def test_a_user_without_the_duplicates_eservice_does_not_reach_them(portal):
    """tech.alpha gets 404 on the duplicates page and on an invoice's direct URL."""
    invoice = portal.gateway.store.invoices("OPE001", "2000-01-01")[0]
    tech = signed_in(portal, TECH)
    assert tech.get("/duplicata").status_code == 404
    assert tech.get(f"/duplicata/{invoice.id}").status_code == 404


def test_another_operators_invoice_and_file_are_never_reachable(portal):
    """OPE002's invoice and file answer 404 to OPE001's administrator."""
    invoice = portal.gateway.store.invoices("OPE002", "2000-01-01")[0]
    other_file = portal.gateway.portal.publish_file("OPE002", "beta.csv", "text/csv", b"a;b\n", "test")
    admin = signed_in(portal, ADMIN)
    assert admin.get(f"/duplicata/{invoice.id}").status_code == 404
    assert admin.get(f"/fichiers/{other_file.id}").status_code == 404
    assert "beta.csv" not in admin.get("/fichiers").text


def test_upload_gives_a_receipt_and_a_reupload_keeps_the_earlier_version(portal):
    """The receipt names each file with its publication time; the same name again is version 2, v1 stays."""
    tech = signed_in(portal, TECH)
    first = upload(tech, (RELEVE, b"ligne;etat\n1;OK\n", "text/csv"), (NOTE, b"bonjour", "text/plain"))
    assert first.status_code == 200
    receipt = unescape(re.search(r'<ul id="recu">(.*?)</ul>', first.text, re.S).group(1))
    assert "OPE001_CUIVRE_20261118_releve.csv</strong> (version 1) — publié le 18/11/2026 à 10:00:00" in receipt
    assert "OPE001_CUIVRE_20261118_note.txt</strong> (version 1)" in receipt
    portal.clock.advance(timedelta(minutes=5))
    second = upload(tech, ("OPE001_CUIVRE_20261118_releve.csv", b"ligne;etat\n1;KO\n", "text/csv"))
    assert f"{RELEVE}</strong> (version 2) — publié le 18/11/2026 à 10:05:00" in unescape(second.text)
    versions = [f for f in portal.gateway.store.files("OPE001") if f.name == "OPE001_CUIVRE_20261118_releve.csv"]
    assert [v.version for v in versions] == [2, 1]
    assert tech.get(f"/fichiers/{versions[1].id}").content == b"ligne;etat\n1;OK\n"
    assert tech.get(f"/fichiers/{versions[0].id}").content == b"ligne;etat\n1;KO\n"
    listing = tech.get("/fichiers").text
    assert f'<a href="/fichiers/{versions[1].id}">v1</a>' in listing
    assert "planning-interventions.csv" in listing  # the provider's file for the operator


@pytest.mark.parametrize(
    ("name", "content", "kind", "message"),
    [
        ("OPE001_CUIVRE_20261118_programme.exe", b"MZ", "application/x-msdownload", "format .exe refusé"),
        ("OPE001_CUIVRE_20261118_gros.csv", b"x" * (5 * 1024 * 1024 + 1), "text/csv", "dépasse 5 Mo"),
    ],
)
def test_an_upload_of_a_refused_file_is_explained(portal, name, content, kind, message):
    """A type outside the list or a file over 5 MB is refused with a message naming the file; nothing is stored."""
    response = upload(signed_in(portal, TECH), (name, content, kind))
    assert response.status_code == 422 and name in response.text and message in unescape(response.text)
    assert [f for f in portal.gateway.store.files("OPE001") if f.direction == "OPERATEUR"] == []


def test_news_and_faq_follow_the_offers_the_user_reaches(portal):
    """An LFO notice and LFO question are hidden from tech.alpha (no LFO right) and shown to the administrator."""
    portal.gateway.portal.publish_news("EVOLUTION", "Nouvelle GTR LFO", "La GTR 2 h arrive.", offer="FIBRE_LFO")
    tech = signed_in(portal, TECH)
    news = tech.get("/actualites").text
    assert "Nouvelle GTR LFO" not in news and "Offre de référence FTTH" in unescape(news)
    assert "liaison fibre dédiée" not in unescape(tech.get("/faq").text)
    admin = signed_in(portal, ADMIN)
    assert "Nouvelle GTR LFO" in admin.get("/actualites").text
    assert "liaison fibre dédiée" in unescape(admin.get("/faq").text)


def test_contracts_show_the_offers_held_within_the_profile(portal):
    """tech.alpha sees the contracts of the offers it reaches, not LFO's."""
    page = signed_in(portal, TECH).get("/contrats").text
    assert "CUIVRE_DEGROUPAGE" in page and "FIBRE_LFO" not in page


def test_e_soutien_records_a_request_and_refuses_an_empty_one(portal):
    """A complete request gets a reference; an empty description is refused (422) with the text kept."""
    tech = signed_in(portal, TECH)
    sent = tech.post("/e-soutien", {"objet": "Page lente", "description": "La liste met 10 s à s'afficher."})
    reference = re.search(r'id="reference-soutien">(SOU\d{8})<', sent.text).group(1)
    assert portal.gateway.store.support_requests("OPE001")[0].reference == reference
    empty = tech.post("/e-soutien", {"objet": "Sans description", "description": "  "})
    assert empty.status_code == 422 and "La description est obligatoire." in empty.text
    assert 'value="Sans description"' in empty.text


def test_file_names_are_escaped(portal):
    """An uploaded file's name holding markup is shown as text, in the receipt and the list."""
    tech = signed_in(portal, TECH)
    response = upload(tech, ("<img src=x onerror=alert(1)>.txt", b"x", "text/plain"))
    assert "<img src=x" not in response.text and "&lt;img src=x onerror=alert(1)&gt;.txt" in response.text
    assert "<img src=x" not in tech.get("/fichiers").text


def test_pdf_prints_french_text_with_its_unicode_font():
    """A generated PDF carries é, œ, €, « » as text (embedded DejaVu Sans), and prints "?" for what the font lacks."""
    pdf = text_pdf("Facture F-1 (duplicata) — œuvre", ["Montant : 12,00 €", "« Émise » le 01/11/2026", "日"])
    document = PdfReader(io.BytesIO(pdf))
    fonts = {f["/BaseFont"] for f in document.pages[0]["/Resources"]["/Font"].values()}
    assert all("DejaVuSans" in name for name in fonts), fonts
    assert document.pages[0].extract_text().splitlines()[:4] == [
        "Facture F-1 (duplicata) — œuvre",
        "Montant : 12,00 €",
        "« Émise » le 01/11/2026",
        "?",
    ]


def test_pdf_of_many_lines_continues_on_numbered_pages():
    """150 lines fill several A4 pages, in order, none lost, each page saying "page n/N"; same text, same bytes."""
    lines = [f"Ligne {i} : prestation « cœur » {i},00 €" for i in range(150)]
    pdf = text_pdf("Relevé", lines)
    document = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text().splitlines() for page in document.pages]
    assert len(pages) == 4
    assert [p[-1] for p in pages] == [f"Relevé — page {n}/4" for n in range(1, 5)]
    assert [line for p in pages for line in p if line.startswith("Ligne")] == lines
    assert all(p.mediabox.width == pytest.approx(595.3, abs=0.1) for p in document.pages)  # A4
    assert text_pdf("Relevé", lines) == pdf
