"""The documentation pack of annex 2 on the portal (each document with its version and date) and in evolution mail."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime

from mail_support import SmtpRelay, attachments_of
from support import PARIS, SessionPki, eventually, start_gateway
from web_support import TECH, signed_in

EXPECTED = {
    "guide-esav-en-ligne": ("Guide d'usage d'e-SAV en ligne", "Version 1.0 du 03/12/2026"),
    "guide-plate-forme-integration": (
        "Guide d'usage de la plate-forme d'intégration e-SAV",
        "Version 1.1 du 03/12/2026",
    ),
    "specifications-v1": ("Spécifications fonctionnelles et techniques e-SAV WS v1", "Version v1 du 04/03/2024"),
    "specifications-v2": ("Spécifications fonctionnelles et techniques e-SAV WS v2", "Version v2 du 01/09/2026"),
    "jeu-de-tests": ("Jeu de tests des opérateurs", "Version 2.0 du 03/12/2026"),
}


def test_documents_page_lists_annex_2_with_versions_and_dates_and_each_downloads(portal) -> None:
    """Guides, per-version specifications, test set and catalogue pack are listed with version and date and download."""
    tech = signed_in(portal, TECH)
    page = tech.get("/documents").text.replace("&#39;", "'")
    for key, (title, edition) in EXPECTED.items():
        assert title in page and f'id="v-{key}">{edition}' in page, key
    assert "Pack catalogue : Maquettes HTML des formulaires" in page and 'href="/documents/archive"' in page
    guide = tech.get("/documents/guide-esav-en-ligne/guide-esav-en-ligne.html")
    assert guide.status_code == 200 and "Déposer une signalisation" in guide.text
    assert guide.text.count('src="data:image/png;base64,') >= 5  # the browser tests' screenshots, embedded
    spec = tech.get("/documents/specifications-v2/specifications-esav-ws-v2.html").text
    assert "<code>deposerSignalisation</code>" in spec and "identifiantPrestation" in spec
    assert "SIG_FTTH" in spec and "DEFAUTS_FTTH" in spec and "en production le 01/09/2026" in spec
    assert "v1 (production" not in spec and "servie jusqu'au" not in spec
    v1 = tech.get("/documents/specifications-v1/specifications-esav-ws-v1.html").text
    assert "servie jusqu'au 28/02/2027 inclus" in v1
    assert tech.get("/documents/specifications-v2/..~..~setup.cfg").status_code == 404


def test_the_whole_pack_downloads_as_one_zip_with_its_index(portal) -> None:
    """/documents/archive: one zip holding every document and an index of their versions and dates."""
    archive = signed_in(portal, TECH).get("/documents/archive")
    assert archive.status_code == 200 and archive.headers["Content-Type"] == "application/zip"
    pack = zipfile.ZipFile(io.BytesIO(archive.content))
    names = pack.namelist()
    index = pack.read("documentation-esav/LISEZMOI.txt").decode("utf-8")
    for key, (title, edition) in EXPECTED.items():
        assert f"{key} : {title} — {edition.replace('Version', 'version')}" in index
    assert "documentation-esav/guide-esav-en-ligne/guide-esav-en-ligne.html" in names
    assert "documentation-esav/specifications-v2/specifications-esav-ws-v2.html" in names
    assert "documentation-esav/wsdl/v2/signalisation.wsdl" in names
    assert any(n.startswith("documentation-esav/maquettes/") for n in names)


def test_an_evolution_notice_mails_the_whole_pack(tmp_path, session_pki: SessionPki) -> None:
    """A minor evolution's mail, through a real SMTP relay, carries the pack with the guides and specifications."""
    with SmtpRelay() as relay:
        overrides = {"mail_relay_host": "127.0.0.1", "mail_relay_port": relay.port, "mail_starttls": False,
                     "mail_poll_s": 0.1}  # fmt: skip
        live = start_gateway(tmp_path / "data", session_pki, settings_overrides=overrides)
        try:
            news_id = live.gateway.portal.publish_news(
                "EVOLUTION_MINEURE", "Nouvelle opération", "Le flux d'événements arrive en v2.",
                starts_at=datetime(2027, 1, 18, 10, 0, tzinfo=PARIS), author="test",
            )  # fmt: skip
            ours = {m.message_id for m in live.gateway.mail.for_cause(f"actualite/{news_id}")}
            # The demo's own maintenance notice is sent too: 4 messages in all (OPE003 has no address).
            received = [r for r in relay.wait_for(4) if r.message["Message-ID"] in ours]
            assert received
            content = attachments_of(received[0].message)["documentation-esav.zip"][1]
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
            assert "documentation-esav/guide-esav-en-ligne/guide-esav-en-ligne.html" in names
            assert "documentation-esav/specifications-v2/specifications-esav-ws-v2.html" in names
            assert "documentation-esav/LISEZMOI.txt" in names

            def settled() -> bool:  # every message handed over and recorded before the relay stops
                return all(m.status in ("ENVOYE", "SANS_DESTINATAIRE") for m in live.gateway.mail.outbox())

            assert eventually(settled)
        finally:
            live.stop()
