"""E-mail to operators: addresses, the outbox written with its change, sending through a real SMTP relay
(STARTTLS, login), retries with backoff, the dead letter, never twice; the CLI and the portal's page."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from mail_support import SmtpRelay, attachments_of, parts_of
from support import DEFAULT_NOW, PARIS, SessionPki, demo_template, eventually, start_gateway
from web_support import ADMIN, TECH, signed_in

from gateway.cli import main
from gateway.config import Settings, load_settings
from gateway.domain.clock import FixedClock
from gateway.domain.mail_lists import Topic
from gateway.errors import ConfigError, InvalidRequestError
from gateway.server._mail import SmtpSender
from gateway.services import MAIL_MAX_ATTEMPTS, MAIL_RETRY_DELAYS, Gateway, Letter
from gateway.store import MAIL_ABANDONED, MAIL_PENDING, MAIL_SENT

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue"
#: A minor evolution announced at DEFAULT_NOW: its earliest date (two months later).
EVOLUTION_DATE = datetime(2027, 1, 18, 10, 0, tzinfo=PARIS)


@pytest.fixture
def gateway(tmp_path: Path, session_pki: SessionPki) -> Iterator[Gateway]:
    """The demo data (addresses of OPE001 and OPE002, none for OPE003) with a clock at DEFAULT_NOW, no server."""
    shutil.copytree(demo_template(session_pki, DEFAULT_NOW, CATALOGUE), tmp_path / "data")
    opened = Gateway.open(tmp_path / "data" / "esav.db", catalogue_dir=CATALOGUE, clock=FixedClock(DEFAULT_NOW))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def quiet(gateway: Gateway) -> Gateway:
    """The same, with the demo's own queued messages (its maintenance notice) already handed over, so that
    a test's outbox holds only what it queues."""
    gateway.mail.deliver(lambda mail, attachments: None)
    return gateway


def _relay_settings(relay: SmtpRelay, **more: object) -> Settings:
    values: dict[str, object] = {"mail_starttls": False, **more}
    return dataclasses.replace(Settings(), mail_relay_host="localhost", mail_relay_port=relay.port, **values)


def _publish_evolution(gateway: Gateway) -> int:
    return gateway.portal.publish_news(
        "EVOLUTION_MINEURE", "Nouvelle opération consulterEvenements", "Le flux d'événements arrive en v2.",
        starts_at=EVOLUTION_DATE, author="test",
    )  # fmt: skip


def _queue_one(gateway: Gateway, cause: str = "essai/1") -> int:
    with gateway.store.write() as db:
        mail_id = gateway.mail.queue(db, "OPE001", Topic.MAINTENANCE, cause, Letter("Essai", ("Un essai.",)))
    assert mail_id is not None
    return mail_id


def test_a_published_notice_reaches_the_relay_from_the_running_server(tmp_path, session_pki):
    """The server sends a notice to each operator's addresses: French text and HTML, doc pack, outbox's Message-ID."""
    with SmtpRelay() as relay:
        overrides = {"mail_relay_host": "127.0.0.1", "mail_relay_port": relay.port, "mail_starttls": False,
                     "mail_poll_s": 0.1}  # fmt: skip
        live = start_gateway(tmp_path / "data", session_pki, settings_overrides=overrides)
        try:
            news_id = _publish_evolution(live.gateway)
            queued = live.gateway.mail.for_cause(f"actualite/{news_id}")
            assert {m.operator_code for m in queued} == {"OPE001", "OPE002", "OPE003"}
            by_id = {m.message_id: m for m in queued}
            # The demo's own maintenance notice (queued when the demo was built) is sent too.
            received = [r for r in relay.wait_for(4) if r.message["Message-ID"] in by_id]
            assert len(received) == 2  # OPE003 has no address: its message waits, SANS_DESTINATAIRE
            for message in received:
                outbox = by_id[message.message["Message-ID"]]
                assert message.rcpt_tos == outbox.recipients
                assert message.mail_from == "esav@localhost"
                assert message.message["Subject"] == (
                    "[e-SAV] Évolution mineure des web services : Nouvelle opération consulterEvenements"
                )
                text, html = parts_of(message.message)
                assert "Madame, Monsieur," in text and "le 18/01/2027 à 10:00 (heure de Paris)" in text
                assert "deux mois" in text and "<p>Madame, Monsieur,</p>" in html
                files = attachments_of(message.message)
                assert files["documentation-esav.zip"][0] == "application/zip"
            ope001 = next(r for r in received if "esav@alpha.example" in r.rcpt_tos)
            assert ope001.rcpt_tos == ("esav@alpha.example",)  # an evolution: correspondent (and its own list)
            expected = {"OPE001": MAIL_SENT, "OPE002": MAIL_SENT, "OPE003": "SANS_DESTINATAIRE"}

            def statuses() -> dict[str, str]:
                return {m.operator_code: m.status for m in live.gateway.mail.for_cause(f"actualite/{news_id}")}

            assert eventually(lambda: statuses() == expected), statuses()
        finally:
            live.stop()


def test_starttls_and_login_are_used_when_configured(quiet, session_pki):
    """With STARTTLS and a login, the relay (which requires both) receives the message, authenticated."""
    gateway = quiet
    tls = (session_pki.directory / "server.pem", session_pki.directory / "server.key")
    with SmtpRelay(tls=tls, credentials=("passerelle", "s3cret-relais")) as relay:
        settings = _relay_settings(
            relay, mail_starttls=True, mail_ca=session_pki.directory / "ca.pem", mail_username="passerelle",
            mail_password="s3cret-relais",
        )  # fmt: skip
        mail_id = _queue_one(gateway)
        run = gateway.mail.deliver(SmtpSender(settings))
        assert mail_id in run.sent
        assert {r.authenticated_as for r in relay.wait_for(1)} == {"passerelle"}


def test_a_wrong_password_is_a_temporary_failure(quiet, session_pki):
    """A login refused by the relay is the configuration's fault, not the message's: it waits and is retried."""
    gateway = quiet
    tls = (session_pki.directory / "server.pem", session_pki.directory / "server.key")
    with SmtpRelay(tls=tls, credentials=("passerelle", "s3cret-relais")) as relay:
        settings = _relay_settings(
            relay, mail_starttls=True, mail_ca=session_pki.directory / "ca.pem", mail_username="passerelle",
            mail_password="faux",
        )  # fmt: skip
        mail_id = _queue_one(gateway)
        assert gateway.mail.deliver(SmtpSender(settings)).retried == [mail_id]
        record = gateway.mail.message(mail_id)
        assert record.status == MAIL_PENDING and "authentification refusée" in (record.last_error or "")
        assert relay.received == []


def test_temporary_failures_back_off_then_the_message_is_set_aside_and_retry_sends_it_once(quiet, capsys):
    """451 backs off 1, 5, 15… min, the 8th failure is a dead letter, retry sends it exactly once."""
    gateway = quiet
    clock = gateway.clock
    assert isinstance(clock, FixedClock)
    with SmtpRelay() as relay:
        sender = SmtpSender(_relay_settings(relay))
        mail_id = _queue_one(gateway)
        relay.behaviour.defer_data = 1000
        for attempt in range(1, MAIL_MAX_ATTEMPTS):
            assert gateway.mail.deliver(sender).retried == [mail_id]
            record = gateway.mail.message(mail_id)
            assert record.next_attempt_at == clock.now() + MAIL_RETRY_DELAYS[attempt - 1]
            assert gateway.mail.deliver(sender).retried == []  # not due yet
            clock.set(record.next_attempt_at)
        assert gateway.mail.deliver(sender).abandoned == [mail_id]
        assert gateway.mail.message(mail_id).status == MAIL_ABANDONED
        relay.behaviour.defer_data = 0
        assert gateway.mail.deliver(sender).sent == []  # a dead letter is not sent on its own
        assert gateway.mail.retry([mail_id], author="test") == [mail_id]
        assert gateway.mail.deliver(sender).sent == [mail_id]
        assert gateway.mail.deliver(sender).sent == []
        assert len(relay.wait_for(1)) == 1
        assert gateway.mail.message(mail_id).status == MAIL_SENT
        assert [a.action for a in gateway.store.audit() if a.action == "mail.relance"] == ["mail.relance"]


def test_a_refused_recipient_sets_the_message_aside_at_once(quiet):
    """Every recipient refused with 550: permanent, the message is set aside with the relay's answer."""
    gateway = quiet
    with SmtpRelay() as relay:
        relay.behaviour.refuse = {"esav@alpha.example", "exploitation@alpha.example"}
        mail_id = _queue_one(gateway)
        assert gateway.mail.deliver(SmtpSender(_relay_settings(relay))).abandoned == [mail_id]
        assert "550" in (gateway.mail.message(mail_id).last_error or "")


def test_one_refused_recipient_among_several_is_noted_and_the_others_receive_it(quiet):
    """A partly refused message is sent to the accepted recipients; the refusal is noted in the outbox."""
    gateway = quiet
    with SmtpRelay() as relay:
        relay.behaviour.refuse = {"exploitation@alpha.example"}
        mail_id = _queue_one(gateway)
        assert gateway.mail.deliver(SmtpSender(_relay_settings(relay))).sent == [mail_id]
        assert relay.wait_for(1)[0].rcpt_tos == ("esav@alpha.example",)
        assert "exploitation@alpha.example (550)" in (gateway.mail.message(mail_id).last_error or "")


def test_a_message_interrupted_while_being_sent_is_set_aside_not_sent_again(gateway):
    """A claim left by a sender that died mid-send is set aside for a person, never sent again by itself."""
    mail_id = _queue_one(gateway)
    with gateway.store.write() as tx:
        assert tx.mail.claim(mail_id, gateway.clock.now())
    clock = gateway.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=11))
    assert gateway.mail.set_aside_interrupted() == 1
    record = gateway.mail.message(mail_id)
    assert record.status == MAIL_ABANDONED and "envoi interrompu" in (record.last_error or "")


def test_the_message_is_written_in_the_transaction_of_its_change(gateway, monkeypatch):
    """A failed publication leaves neither news nor mail; one cause queues one message per operator."""
    before = len(gateway.mail.outbox())
    news_before = len(gateway.portal.all_news())

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("panne au milieu de la publication")

    original = gateway.notices.announce_notice

    def queue_then_fail(*args: object, **kwargs: object) -> list[int]:
        original(*args, **kwargs)  # type: ignore[arg-type]
        fail()
        return []

    monkeypatch.setattr(gateway.notices, "announce_notice", queue_then_fail)
    with pytest.raises(RuntimeError):
        _publish_evolution(gateway)
    assert len(gateway.mail.outbox()) == before and len(gateway.portal.all_news()) == news_before
    first = _queue_one(gateway, "essai/2")
    with gateway.store.write() as db:
        assert gateway.mail.queue(db, "OPE001", Topic.MAINTENANCE, "essai/2", Letter("Essai", ("Bis",))) is None
    assert [m.id for m in gateway.mail.for_cause("essai/2")] == [first]


def test_recipients_follow_the_topic_lists_each_address_once(gateway):
    """Recipients are the topic's list and the correspondent (conditions: the contract contact too), each once."""
    gateway.mail.add_address("OPE001", "conditions", "esav@alpha.example", author="test")
    assert gateway.mail.recipients("OPE001", Topic.CONDITIONS) == ("contrats@alpha.example", "esav@alpha.example")
    assert gateway.mail.recipients("OPE001", Topic.MAINTENANCE) == ("esav@alpha.example", "exploitation@alpha.example")
    assert gateway.mail.recipients("OPE003", Topic.MAINTENANCE) == ()


@pytest.mark.parametrize(
    ("list_name", "address", "message"),
    [
        ("correspondant", "pas-une-adresse", "Adresse électronique « pas-une-adresse » invalide"),
        ("correspondant", "a@b.fr\r\nBcc: x@y.fr", "invalide"),
        ("tout", "esav@alpha.example", "Liste « tout » inconnue"),
    ],
)
def test_bad_addresses_and_lists_are_refused_clearly(gateway, list_name, address, message):
    """An invalid address (header injection included) or an unknown list is refused, naming it; nothing stored."""
    before = gateway.mail.addresses("OPE001")
    with pytest.raises(InvalidRequestError, match=message):
        gateway.mail.add_address("OPE001", list_name, address, author="test")
    assert gateway.mail.addresses("OPE001") == before


def test_mail_settings_are_checked_at_start_up():
    """A bad mail setting stops start-up with a message naming the key."""
    with pytest.raises(ConfigError, match="mail_relay_port"):
        load_settings(environ={"ESAV_MAIL_RELAY_PORT": "0"})
    with pytest.raises(ConfigError, match="mail_username, mail_password"):
        load_settings(environ={"ESAV_MAIL_USERNAME": "passerelle"})
    with pytest.raises(ConfigError, match="mail_from"):
        load_settings(environ={"ESAV_MAIL_FROM": "personne"})
    settings = load_settings(environ={"ESAV_MAIL_RELAY_HOST": "relais.example", "ESAV_MAIL_STARTTLS": "oui"})
    assert (settings.mail_relay_host, settings.mail_relay_port, settings.mail_starttls) == ("relais.example", 587, True)
    assert Settings().mail_relay_host == ""  # off by default: mail stays in the outbox


# The command line ------------------------------------------------------------------------------


def _esav(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_manages_addresses_and_shows_the_outbox(gateway, capsys):
    """esav courriel ajouter/adresses/retirer/file/afficher/relancer work; a bad address exits 1 with its reason."""
    data = str(gateway.store.path.parent)
    gateway.close()
    status, out, err = _esav(capsys, "courriel", "ajouter", "OPE003", "noc@gamma.example", "--liste", "correspondant",
                             "--donnees", data)  # fmt: skip
    assert status == 0, err
    assert "OPE003       correspondant" not in out
    status, out, _ = _esav(capsys, "courriel", "adresses", "OPE003", "--donnees", data)
    assert "OPE003  correspondant  noc@gamma.example" in out
    status, out, err = _esav(
        capsys, "courriel", "ajouter", "OPE003", "noc@@gamma", "--liste", "correspondant", "--donnees", data
    )
    assert status == 1 and "[REQUETE_INVALIDE] Adresse électronique « noc@@gamma » invalide" in err
    assert "Traceback" not in out + err
    status, out, _ = _esav(capsys, "courriel", "file", "--donnees", data)
    assert "SANS_DESTINATAIRE OPE003" in out and "[e-SAV] Maintenance du portail" in out
    status, out, _ = _esav(
        capsys, "courriel", "relancer", "--tous", "--donnees", data
    )  # OPE003 now has a correspondent
    assert status == 0 and "Relancé(s) : 3." in out
    status, out, _ = _esav(capsys, "courriel", "afficher", "3", "--donnees", data)
    assert "À : noc@gamma.example" in out and "Durée prévisionnelle : 1 h" in out
    status, out, err = _esav(capsys, "courriel", "retirer", "OPE003", "noc@gamma.example", "--liste", "correspondant",
                             "--donnees", data)  # fmt: skip
    assert status == 0 and "retirée" in out
    status, _, err = _esav(capsys, "courriel", "relancer", "1", "--donnees", data)
    assert status == 1 and "seuls les messages ABANDONNE ou SANS_DESTINATAIRE" in err


def test_cli_send_uses_the_configured_relay(gateway, capsys, monkeypatch):
    """``esav courriel envoyer`` sends the due messages through the relay of the settings; without one it says so."""
    data = str(gateway.store.path.parent)
    gateway.close()
    status, _, err = _esav(capsys, "courriel", "envoyer", "--donnees", data)
    assert status == 1 and "Aucun relais configuré" in err
    with SmtpRelay() as relay:
        monkeypatch.setenv("ESAV_MAIL_RELAY_HOST", "127.0.0.1")
        monkeypatch.setenv("ESAV_MAIL_RELAY_PORT", str(relay.port))
        monkeypatch.setenv("ESAV_MAIL_STARTTLS", "false")
        status, out, err = _esav(capsys, "courriel", "envoyer", "--donnees", data)
        assert status == 0, err
        assert "Envoyés : 2" in out
        assert {r.rcpt_tos for r in relay.wait_for(2)} == {
            ("esav@alpha.example", "exploitation@alpha.example"),
            ("esav@beta.example",),
        }


# The portal ------------------------------------------------------------------------------------


def test_the_operators_administrator_manages_its_addresses_on_the_portal(portal):
    """The administrator adds and removes addresses on /admin/adresses (bad one: 422), audited; others get 404."""
    admin = signed_in(portal, ADMIN)
    page = admin.get("/admin/adresses")
    assert page.status_code == 200 and "esav@alpha.example" in page.text
    refused = admin.post("/admin/adresses", {"liste": "quotas", "adresse": "<script>@x"})
    assert refused.status_code == 422 and "invalide" in refused.text and "<script>@x" not in refused.text
    added = admin.post("/admin/adresses", {"liste": "quotas", "adresse": "capacite@alpha.example"})
    assert added.status_code == 200 and "adresse de notification est ajoutée." in added.text
    assert portal.gateway.mail.recipients("OPE001", Topic.QUOTAS) == ("esav@alpha.example", "capacite@alpha.example")
    removed = admin.post(
        "/admin/adresses/retirer", {"liste": "quotas", "adresse": "capacite@alpha.example"}, form_page="/admin/adresses"
    )
    assert removed.status_code == 200 and "capacite@alpha.example" not in removed.text
    actions = [(a.actor, a.action) for a in portal.gateway.store.audit() if a.actor == "OPE001/admin.alpha"]
    assert actions == [("OPE001/admin.alpha", "mail.adresse.ajout"), ("OPE001/admin.alpha", "mail.adresse.retrait")]
    assert signed_in(portal, TECH).get("/admin/adresses").status_code == 404


def test_a_subject_never_carries_a_line_break(quiet):
    """A title with line breaks (typed or pasted) becomes a one-line subject: no header can be injected."""
    gateway = quiet
    with gateway.store.write() as db:
        mail_id = gateway.mail.queue(
            db, "OPE001", Topic.MAINTENANCE, "essai/3", Letter("Coupure\r\nBcc: espion@example.com", ("x",))
        )
    assert gateway.mail.message(mail_id or 0).subject == "Coupure Bcc: espion@example.com"
    with SmtpRelay() as relay:
        assert gateway.mail.deliver(SmtpSender(_relay_settings(relay))).sent == [mail_id]
        [received] = relay.wait_for(1)
        assert received.rcpt_tos == ("esav@alpha.example", "exploitation@alpha.example")
        assert received.message["Bcc"] is None
