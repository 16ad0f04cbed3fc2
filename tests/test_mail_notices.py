"""Every notice of the conditions, published on the portal and mailed to the operators concerned, with its
period enforced from the publication (injected clock) and what it must carry: dates, hours and durations,
the new document, the documentation pack."""

from __future__ import annotations

import io
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from support import CATALOGUE, DEFAULT_NOW, PARIS, SessionPki, demo_template, suite_now
from web_support import ADMIN, signed_in

from gateway.cli import main
from gateway.domain.clock import FixedClock, to_paris
from gateway.domain.mail_lists import Topic
from gateway.domain.notices import NoticeKind, earliest_start
from gateway.errors import InvalidRequestError
from gateway.services import DOC_PACK_NAME, Gateway, UploadedFile
from gateway.store import MAIL_PENDING

#: Each notice's announcement at DEFAULT_NOW (Wednesday 18/11/2026 10:00) and its earliest allowed date.
EARLIEST = {
    NoticeKind.MAINTENANCE_PORTAIL: datetime(2026, 11, 19, 10, 0, tzinfo=PARIS),  # 24 hours
    NoticeKind.INTERRUPTION_ESAV: datetime(2026, 11, 20, 10, 0, tzinfo=PARIS),  # two business days
    NoticeKind.CHANGEMENT_ACCES_PORTAIL: datetime(2026, 12, 9, 10, 0, tzinfo=PARIS),  # 15 business days
    NoticeKind.CHANGEMENT_ACCES_ESAV: datetime(2026, 12, 3, 10, 0, tzinfo=PARIS),  # 15 calendar days
    NoticeKind.EVOLUTION_MINEURE: datetime(2027, 1, 18, 10, 0, tzinfo=PARIS),  # two months
    NoticeKind.EVOLUTION_MAJEURE: datetime(2027, 5, 18, 10, 0, tzinfo=PARIS),  # six months
    NoticeKind.CHANGEMENT_CONDITIONS: datetime(2026, 12, 18, 10, 0, tzinfo=PARIS),  # one month
    NoticeKind.CHANGEMENT_CONDITIONS_ESPACE: datetime(2026, 12, 18, 10, 0, tzinfo=PARIS),  # one month
    NoticeKind.CHANGEMENT_ANNEXES_ESAV: datetime(2026, 12, 3, 10, 0, tzinfo=PARIS),  # 15 calendar days
    NoticeKind.CHANGEMENT_BON_DE_COMMANDE: DEFAULT_NOW,  # as it changes
}
CONDITIONS_PDF = UploadedFile("conditions-esav-v3.pdf", "application/pdf", b"%PDF-1.4 conditions v3")


@pytest.fixture
def gateway(tmp_path: Path, session_pki: SessionPki) -> Iterator[Gateway]:
    """The demo data with a clock at DEFAULT_NOW, and an operator without e-SAV (OPE009, portal only)."""
    shutil.copytree(demo_template(session_pki, DEFAULT_NOW, CATALOGUE), tmp_path / "data")
    opened = Gateway.open(tmp_path / "data" / "esav.db", catalogue_dir=CATALOGUE, clock=FixedClock(DEFAULT_NOW))
    opened.admin.add_operator("OPE009", "Opérateur Portail", esav_en_ligne=False, esav_integre=False)
    opened.mail.add_address("OPE009", "correspondant", "portail@ope009.example", author="test")
    try:
        yield opened
    finally:
        opened.close()


def _publish(gateway: Gateway, kind: NoticeKind, starts_at: datetime, **more: object) -> int:
    if kind.needs_window:
        more.setdefault("ends_at", starts_at + timedelta(hours=2, minutes=30))
    if kind.needs_document:
        more.setdefault("document", CONDITIONS_PDF)
    return gateway.portal.publish_news(kind.value, f"Annonce {kind.value}", "Le détail du changement.",
                                       starts_at=starts_at, author="test", **more)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_each_notice_is_refused_a_minute_short_and_mailed_on_time(gateway, kind):
    """Each notice: refused a minute short of its period, published and mailed to those concerned on time."""
    assert earliest_start(kind, DEFAULT_NOW) == EARLIEST[kind]
    before = (len(gateway.portal.all_news()), len(gateway.mail.outbox()))
    if kind is not NoticeKind.CHANGEMENT_BON_DE_COMMANDE:
        with pytest.raises(InvalidRequestError, match=f"{EARLIEST[kind]:%d/%m/%Y à %H:%M}"):
            _publish(gateway, kind, EARLIEST[kind] - timedelta(minutes=1))
        assert (len(gateway.portal.all_news()), len(gateway.mail.outbox())) == before
    news_id = _publish(gateway, kind, EARLIEST[kind])
    queued = gateway.mail.for_cause(f"actualite/{news_id}")
    expected = {"OPE001", "OPE002", "OPE003"} | ({"OPE009"} if not kind.esav else set())
    assert {m.operator_code for m in queued} == expected
    ope001 = next(m for m in queued if m.operator_code == "OPE001")
    assert ope001.topic == kind.topic.value and ope001.status == MAIL_PENDING
    assert ope001.recipients == gateway.mail.recipients("OPE001", kind.topic)
    assert kind.libelle in ope001.subject and "Préavis" in ope001.text_body and kind.notice in ope001.text_body
    assert "Le détail du changement." in ope001.html_body


def test_interruptions_announce_dates_hours_and_durations_on_the_portal_and_by_mail(gateway):
    """A portal maintenance needs its end; its mail and its portal news give the dates, hours and duration."""
    start = datetime(2026, 11, 20, 22, 0, tzinfo=PARIS)
    with pytest.raises(InvalidRequestError, match="donnez la fin prévue"):
        gateway.portal.publish_news("MAINTENANCE_PORTAIL", "Migration", "Coupure.", starts_at=start)
    with pytest.raises(InvalidRequestError, match="La fin prévue précède le début"):
        _publish(gateway, NoticeKind.MAINTENANCE_PORTAIL, start, ends_at=start)
    news_id = _publish(gateway, NoticeKind.MAINTENANCE_PORTAIL, start, ends_at=start + timedelta(hours=26, minutes=5))
    [news] = [n for n in gateway.portal.all_news() if n.id == news_id]
    assert news.body.startswith(
        "Du 20/11/2026 à 22:00 au 22/11/2026 à 00:05 (heure de Paris) ; durée prévisionnelle : 1 jour 2 h 05 min."
    )
    text = gateway.mail.for_cause(f"actualite/{news_id}")[0].text_body
    assert "Début                : le 20/11/2026 à 22:00 (heure de Paris)" in text
    assert "Fin prévue           : le 22/11/2026 à 00:05 (heure de Paris)" in text
    assert "Durée prévisionnelle : 1 jour 2 h 05 min" in text


@pytest.mark.parametrize("kind", [k for k in NoticeKind if k.needs_document])
def test_a_change_of_conditions_is_sent_with_the_new_document(gateway, kind):
    """Conditions and annexes are refused without the new document and mailed with it, to the contract contact too."""
    with pytest.raises(InvalidRequestError, match="joignez la nouvelle version du document"):
        gateway.portal.publish_news(kind.value, "Conditions", "Texte.", starts_at=EARLIEST[kind], author="test")
    news_id = _publish(gateway, kind, EARLIEST[kind])
    mail = next(m for m in gateway.mail.for_cause(f"actualite/{news_id}") if m.operator_code == "OPE001")
    assert mail.attachment_names == ("conditions-esav-v3.pdf",)
    assert [a.content for a in gateway.mail.attachments(mail.id)] == [CONDITIONS_PDF.content]
    assert "contrats@alpha.example" in mail.recipients and mail.topic == Topic.CONDITIONS.value


@pytest.mark.parametrize("kind", [NoticeKind.EVOLUTION_MINEURE, NoticeKind.EVOLUTION_MAJEURE])
def test_a_web_service_evolution_is_sent_with_the_documentation_pack(gateway, kind):
    """Minor and major evolutions carry the documentation pack as one zip (WSDLs, forms, test set), stored once."""
    news_id = _publish(gateway, kind, EARLIEST[kind])
    mails = gateway.mail.for_cause(f"actualite/{news_id}")
    [attachment] = gateway.mail.attachments(mails[0].id)
    assert attachment.name == DOC_PACK_NAME and attachment.mime_type == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(attachment.content)).namelist()
    assert "documentation-esav/wsdl/v2/signalisation.wsdl" in names
    assert any(n.startswith("documentation-esav/formulaires/forms/SIG_FTTH/") for n in names)
    assert any(n.startswith("documentation-esav/jeu-de-tests/") for n in names)
    assert all(gateway.mail.attachments(m.id)[0].content == attachment.content for m in mails)


def test_a_notice_for_one_offer_goes_to_its_operators_only(gateway):
    """An evolution about LFO is mailed to the operators holding LFO (OPE001), not to the others."""
    news_id = _publish(gateway, NoticeKind.EVOLUTION_MINEURE, EARLIEST[NoticeKind.EVOLUTION_MINEURE], offer="FIBRE_LFO")
    assert [m.operator_code for m in gateway.mail.for_cause(f"actualite/{news_id}")] == ["OPE001"]


def test_plain_news_is_not_mailed(gateway):
    """News that is not a notice of change (an item of news, a reference offer) is published only."""
    news_id = gateway.portal.publish_news("ACTUALITE", "Bienvenue", "Nouveau portail.", author="test")
    assert gateway.mail.for_cause(f"actualite/{news_id}") == []


def test_a_declared_interruption_is_published_and_mailed(gateway):
    """maintenance.declare: refused under two business days, else published and mailed with dates and duration."""
    with pytest.raises(InvalidRequestError, match="deux jours ouvrés"):
        gateway.maintenance.declare(
            start=datetime(2026, 11, 20, 9, 59, tzinfo=PARIS), end=datetime(2026, 11, 20, 12, 0, tzinfo=PARIS),
            reason="montée de version", actor="test",
        )  # fmt: skip
    record = gateway.maintenance.declare(
        start=datetime(2026, 11, 20, 22, 0, tzinfo=PARIS), end=datetime(2026, 11, 20, 23, 30, tzinfo=PARIS),
        reason="montée de version", actor="test",
    )  # fmt: skip
    [news] = [n for n in gateway.portal.all_news() if n.kind == "INTERRUPTION_ESAV"]
    assert news.title == "Interruption d'e-SAV : montée de version" and news.starts_at == record.start
    assert "durée prévisionnelle : 1 h 30 min" in news.body
    mails = gateway.mail.for_cause(f"actualite/{news.id}")
    assert {m.operator_code for m in mails} == {"OPE001", "OPE002", "OPE003"}
    text = next(m for m in mails if m.operator_code == "OPE001").text_body
    assert "Début                : le 20/11/2026 à 22:00 (heure de Paris)" in text and "1 h 30 min" in text


def _esav(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_declare_and_publish_mail_the_operators(gateway, capsys, tmp_path):
    """esav maintenance declarer and esav portail publier --document queue their mail; the outbox lists it."""
    data = str(gateway.store.path.parent)
    gateway.close()
    start = (to_paris(suite_now()) + timedelta(days=10)).replace(hour=22, minute=0, second=0, microsecond=0)
    status, out, err = _esav(capsys, "maintenance", "declarer", "--debut", f"{start:%Y-%m-%dT%H:%M}",
                             "--fin", f"{start + timedelta(hours=2):%Y-%m-%dT%H:%M}", "--motif", "migration",
                             "--donnees", data)  # fmt: skip
    assert status == 0, err
    assert "publiée sur le portail et envoyée aux opérateurs" in out
    document = tmp_path / "conditions-espace-v2.pdf"
    document.write_bytes(b"%PDF-1.4 v2")
    status, out, err = _esav(capsys, "portail", "publier", "--type", "CHANGEMENT_CONDITIONS_ESPACE", "--titre",
                             "Conditions v2", "--texte", "Nouvelles conditions.", "--date",
                             f"{start + timedelta(days=40):%Y-%m-%dT%H:%M}", "--donnees", data)  # fmt: skip
    assert status == 1 and "joignez la nouvelle version du document" in err
    status, out, err = _esav(capsys, "portail", "publier", "--type", "CHANGEMENT_CONDITIONS_ESPACE", "--titre",
                             "Conditions v2", "--texte", "Nouvelles conditions.", "--date",
                             f"{start + timedelta(days=40):%Y-%m-%dT%H:%M}", "--document", document,
                             "--donnees", data)  # fmt: skip
    assert status == 0, err
    assert "4 courrier(s) en file d'envoi" in out  # every operator: the portal's conditions
    status, out, _ = _esav(capsys, "courriel", "file", "--donnees", data)
    assert "Interruption d'e-SAV : migration" in out and "pièces : conditions-espace-v2.pdf" in out


def test_the_portal_shows_the_mailed_notice(portal):
    """The interruption declared by the provider appears in the operator's news with its dates and duration."""
    portal.gateway.maintenance.declare(
        start=datetime(2026, 11, 23, 22, 0, tzinfo=PARIS), end=datetime(2026, 11, 24, 0, 0, tzinfo=PARIS),
        reason="bascule de site", actor="test",
    )  # fmt: skip
    page = signed_in(portal, ADMIN).get("/actualites").text
    assert "Interruption d&#39;e-SAV : bascule de site" in page
    assert "Du 23/11/2026 à 22:00 au 24/11/2026 à 00:00 (heure de Paris) ; durée prévisionnelle : 2 h." in page
