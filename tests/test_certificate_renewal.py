"""Renewing operators' certificates as the conditions promise: delivered 15 business days before expiry with a
mailed notice, both certificates working until the old one expires; the daily reminder lists the late ones."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import zeep
from support import (
    CATALOGUE,
    DEFAULT_NOW,
    PKI_EPOCH,
    REPO,
    LiveGateway,
    SessionPki,
    demo_template,
    fault_code,
    start_gateway,
    suite_now,
)  # fmt: skip

from gateway.cli import main
from gateway.domain.certificates import reminder_date
from gateway.domain.clock import PARIS
from gateway.errors import InvalidRequestError
from gateway.security import pki as pki_mod

EXPIRY = datetime(2027, 1, 15, 12, 0, tzinfo=PARIS)


@pytest.fixture
def live(tmp_path: Path, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """The demo gateway without its nightly window: a test here sets its clock to the real time (TLS checks
    the certificates on it), which may be 04:05 Paris."""
    server = start_gateway(tmp_path / "data", session_pki, settings_overrides={"maintenance_minutes": 0})
    try:
        yield server
    finally:
        server.stop()


def _register(live: LiveGateway, not_after: datetime) -> pki_mod.IssuedCertificate:
    issued = pki_mod.issue_client_certificate(
        live.pki.ca, "OPE001", "Opérateur Alpha", not_before=PKI_EPOCH, not_after=not_after
    )
    live.gateway.admin.register_certificate("OPE001", issued.cert_pem, [live.pki.ca.cert_pem])
    return issued


def _catalogue_call(live: LiveGateway, cert: Path, key: Path) -> object:
    session = requests.Session()
    session.trust_env = False
    session.verify, session.cert = str(live.pki.directory / "ca.pem"), (str(cert), str(key))
    # Built from the frozen contract: a refused certificate is not even given the WSDL.
    client = zeep.Client(str(REPO / "wsdl" / "v2" / "catalogue.wsdl"), transport=zeep.Transport(session=session))
    return client.create_service("{urn:esav:catalogue:v2}catalogue", live.url("catalogue")).listerFormulaires()


def test_renewal_mails_the_new_certificate_and_both_work_until_the_old_one_expires(live, tmp_path):
    """A renewal mails the new certificate (no key); both authenticate until the old one expires, then only the new."""
    now = datetime.now(UTC).replace(microsecond=0)
    live.clock.set(now)
    demo = pki_mod.certificate_info((live.pki.directory / "OPE001.pem").read_bytes()).fingerprint
    live.gateway.admin.revoke_certificate(demo)  # OPE001 now relies on a certificate expiring in 30 days
    old = _register(live, now + timedelta(days=30))
    old_files = (tmp_path / "old.pem", tmp_path / "old.key")
    pki_mod.write_pem_files(old, *old_files)
    live.gateway.mail.add_address("OPE001", "certificats", "pki@alpha.example", author="test")
    renewal = live.gateway.certificate_renewal.renew("OPE001", ca=live.pki.ca, author="test")
    assert renewal.previous is not None and renewal.previous.fingerprint == old.info.fingerprint
    assert renewal.due_on == reminder_date(old.info.not_after) and not renewal.late
    assert renewal.issued is not None and renewal.certificate.not_after > old.info.not_after
    mail = live.gateway.mail.message(renewal.mail_id or 0)
    assert mail.recipients == ("esav@alpha.example", "pki@alpha.example") and mail.topic == "certificats"
    assert "Certificat d'authentification renouvelé" in mail.subject
    assert "Les deux certificats sont acceptés jusqu'à l'expiration du certificat en cours" in mail.text_body
    [attachment] = live.gateway.mail.attachments(mail.id)
    assert attachment.content == renewal.issued.cert_pem and b"PRIVATE KEY" not in attachment.content
    new_files = (tmp_path / "new.pem", tmp_path / "new.key")
    pki_mod.write_pem_files(renewal.issued, *new_files)
    assert _catalogue_call(live, *old_files) and _catalogue_call(live, *new_files)
    live.clock.set(old.info.not_after + timedelta(seconds=1))
    with pytest.raises(zeep.exceptions.Fault) as refused:
        _catalogue_call(live, *old_files)
    assert fault_code(refused.value) == "AUTHENTIFICATION"
    assert _catalogue_call(live, *new_files)
    assert [a.action for a in live.gateway.store.audit() if a.target == renewal.certificate.fingerprint] == [
        "certificat.emission", "certificat.renouvellement"
    ]  # fmt: skip


def test_a_renewal_after_its_due_day_is_flagged_late(live):
    """Renewed after the 15th business day before expiry, the renewal is recorded as late (audit, result)."""
    old = _register(live, EXPIRY)
    live.gateway.admin.revoke_certificate(
        pki_mod.certificate_info((live.pki.directory / "OPE001.pem").read_bytes()).fingerprint
    )
    live.clock.set(datetime(2026, 12, 24, 9, 0, tzinfo=PARIS))  # due on 23/12
    renewal = live.gateway.certificate_renewal.renew("OPE001", ca=live.pki.ca, author="test")
    assert renewal.previous is not None and renewal.previous.fingerprint == old.info.fingerprint
    assert renewal.late and renewal.due_on is not None and renewal.due_on.isoformat() == "2026-12-23"
    [entry] = [a for a in live.gateway.store.audit() if a.action == "certificat.renouvellement"]
    assert entry.details["en_retard"] is True and entry.details["du_le"] == "2026-12-23"


def test_a_successor_expiring_first_is_not_a_renewal(live):
    """A certificate that expires before the operator's current one is refused as a renewal, and nothing is kept."""
    before = len(live.gateway.admin.list_certificates("OPE001"))
    with pytest.raises(InvalidRequestError, match="ce n'est pas un renouvellement"):
        live.gateway.certificate_renewal.renew("OPE001", ca=live.pki.ca, valid_days=30, author="test")
    assert len(live.gateway.admin.list_certificates("OPE001")) == before
    assert [m for m in live.gateway.mail.outbox(operator_code="OPE001") if m.topic == "certificats"] == []


def test_the_daily_reminder_lists_and_mails_what_was_not_renewed_in_time(live, caplog):
    """A certificate not renewed in time is reminded once (log, mail) and listed daily until renewed."""
    old = _register(live, EXPIRY)
    watch = live.gateway.certificate_watch
    live.clock.set(datetime(2026, 12, 23, 0, 0, tzinfo=PARIS))
    with caplog.at_level(logging.WARNING, logger="gateway.exploitation"):
        assert [c.fingerprint for c in watch.remind()] == [old.info.fingerprint]
        live.clock.advance(timedelta(days=1))
        assert watch.remind() == []
    late_lines = [r.getMessage() for r in caplog.records if "non renouvelés à temps" in r.getMessage()]
    assert len(late_lines) == 2 and all(old.info.fingerprint[:16] in line for line in late_lines)
    [reminder] = live.gateway.mail.for_cause(f"rappel-certificat/{old.info.fingerprint}")
    assert "à renouveler" in reminder.subject and "15/01/2027" in reminder.subject
    live.gateway.certificate_renewal.renew("OPE001", ca=live.pki.ca, author="test")
    assert watch.not_renewed() == []


def test_cli_renew_records_the_operators_own_certificate_and_reports_the_notice(tmp_path, session_pki, capsys):
    """esav certificats renouveler --cert records the operator's own certificate, late; expiring shows it renewed."""
    data = tmp_path / "data"
    shutil.copytree(demo_template(session_pki, DEFAULT_NOW, CATALOGUE), data)
    # dated on the commands' clock
    short = pki_mod.issue_client_certificate(session_pki.ca, "OPE002", "Opérateur Beta", valid_days=5, now=suite_now())
    (tmp_path / "short.pem").write_bytes(short.cert_pem)
    own = pki_mod.issue_client_certificate(session_pki.ca, "OPE002", "Opérateur Beta", valid_days=4000, now=suite_now())
    (tmp_path / "own.pem").write_bytes(own.cert_pem)
    capsys.readouterr()
    assert main(["certificats", "enregistrer", "OPE002", str(tmp_path / "short.pem"), "--donnees", str(data)]) == 0
    assert main(["certificats", "expirant", "--donnees", str(data)]) == 0
    assert f"{short.info.fingerprint[:16]}…" in (listed := capsys.readouterr().out) and "NON RENOUVELÉ" in listed
    assert (
        main(["certificats", "renouveler", "OPE002", "--cert", str(tmp_path / "own.pem"), "--donnees", str(data)]) == 0
    )
    out = capsys.readouterr().out
    assert f"Nouveau certificat {own.info.fingerprint}" in out
    assert f"L'ancien ({short.info.fingerprint[:16]}…) reste valable" in out and "dans les délais" not in out
    assert "Avis de livraison : message" in out
    assert main(["certificats", "expirant", "--donnees", str(data)]) == 0
    assert f"renouvelé par {own.info.fingerprint[:16]}…" in capsys.readouterr().out
    assert main(["certificats", "renouveler", "OPE002", "--jours", "30", "--donnees", str(data)]) == 1
    err = capsys.readouterr().err
    assert "[REQUETE_INVALIDE]" in err and "ce n'est pas un renouvellement" in err and "Traceback" not in err
    assert main(["courriel", "file", "--operateur", "OPE002", "--donnees", str(data)]) == 0
    assert "Certificat d'authentification renouvelé" in capsys.readouterr().out
