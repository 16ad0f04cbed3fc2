"""Text stored before characters XML cannot carry were refused (a vertical tab, a NUL): the detail (v1
and v2), the event feed and the push still answer, with U+FFFD in their place and the replacement
logged; the store migration repairs such rows and audits each one.

The poisoned rows are written straight into the SQLite file, as a gateway without the check stored them.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest
import zeep
from lxml import etree
from notification_support import pull_all, wait_until
from support import LiveGateway, deposit, fault_code, start_gateway
from test_notifications import FAST, Receiver

from gateway.adapters.ports import free_port
from gateway.store import Store

VT, NUL, FFFD = "\x0b", "\x00", "\ufffd"
ATTACHMENT = {"pieceJointe": [{"nom": "mesure.txt", "typeMime": "text/plain", "contenu": b"att 42 dB"}]}
REPAIR_MIGRATION = 24


def poison(live: LiveGateway, sql: str, *params: Any) -> None:
    """Write ``sql`` straight into the database file, as a gateway without the check would have stored it."""
    with closing(sqlite3.connect(live.gateway.store.path)) as db, db:
        db.execute(sql, params)


def poisoned_ticket(live: LiveGateway) -> str:
    """A v2 ticket whose SAV comment, attachment name, deposit comment and cancel reason hold a VT or a NUL."""
    reference = deposit(live.client(), commentaire="dépôt", piecesJointes=ATTACHMENT).referenceSignalisation
    live.gateway.sav.comment(reference, author="sav/dupont", text="tableur")
    live.client().service.annulerSignalisation(reference, "motif")
    poison(live, "UPDATE comments SET text = ? WHERE text = 'tableur'", f"colonne A{VT}colonne B")
    poison(live, "UPDATE attachments SET name = ?", f"mesure{NUL}.txt")
    poison(live, "UPDATE tickets SET commentaire = ? WHERE reference = ?", f"dé{VT}pôt", reference)
    poison(live, "UPDATE transitions SET reason = ? WHERE action = 'ANNULER'", f"mo{NUL}tif")
    return reference


def replacements_logged(caplog: Any) -> list[str]:
    return [r.getMessage() for r in caplog.records if "replaced by U+FFFD" in r.getMessage()]


@pytest.mark.sqlite_file
def test_v2_detail_answers_a_ticket_with_stored_control_characters(live, caplog):
    """consulterDetailSignalisation v2 answers with U+FFFD where a VT or a NUL is stored, and logs the replacement."""
    reference = poisoned_ticket(live)
    caplog.set_level(logging.WARNING, logger="gateway.ws")
    detail = live.client().service.consulterDetailSignalisation(reference)
    sav = [c.texte for c in detail.commentaires.commentaire if c.origine == "FOURNISSEUR"]
    assert sav == [f"colonne A{FFFD}colonne B"]
    assert detail.piecesJointes.descriptionPieceJointe[0].nom == f"mesure{FFFD}.txt"
    assert detail.defautDeclare.commentaire == f"dé{FFFD}pôt"
    assert [h.motif for h in detail.historique.changementEtat if h.action == "ANNULER"] == [f"mo{FFFD}tif"]
    assert replacements_logged(caplog)


@pytest.mark.sqlite_file
def test_v1_detail_answers_a_ticket_with_stored_control_characters(live, caplog):
    """consulterDetailSignalisation v1 answers the same poisoned ticket with U+FFFD in place of each bad character."""
    reference = poisoned_ticket(live)
    caplog.set_level(logging.WARNING, logger="gateway.ws")
    detail = live.client(version="v1").service.consulterDetailSignalisation(reference)
    assert f"colonne A{FFFD}colonne B" in [c.texte for c in detail.commentaires.commentaire]
    assert detail.piecesJointes.descriptionPieceJointe[0].nom == f"mesure{FFFD}.txt"
    assert replacements_logged(caplog)


@pytest.mark.sqlite_file
def test_an_answer_that_cannot_be_written_is_a_typed_internal_error(live, caplog, monkeypatch):
    """An answer that still fails to serialise is ERREUR_INTERNE with the call's id, logged; never Body-less."""
    reference = poisoned_ticket(live)
    monkeypatch.setattr("gateway.ws._protocol.wire_text", lambda text, where: text)
    caplog.set_level(logging.ERROR, logger="gateway.server")
    with pytest.raises(zeep.exceptions.Fault) as raised:
        live.client().service.consulterDetailSignalisation(reference)
    assert fault_code(raised.value) == "ERREUR_INTERNE"
    [incident] = raised.value.detail.xpath(".//*[local-name()='idErreur']/text()")
    assert any(str(incident) in r.getMessage() and r.exc_info for r in caplog.records)


def poison_event_text(live: LiveGateway, event_id: int, text: str) -> None:
    """Replace the ``texte`` of a stored COMMENTAIRE_SAV event's payload (JSON, as the store writes it)."""
    [event] = [e for e in live.gateway.store.events_after("OPE001", event_id - 1, limit=1)]
    payload = json.dumps({**event.payload, "texte": text}, ensure_ascii=False)
    poison(live, "UPDATE events SET payload = ? WHERE id = ?", payload, event_id)


def comment_events(live: LiveGateway) -> list[int]:
    return [e.id for e in live.gateway.store.events_after("OPE001", 0, limit=100) if e.kind == "COMMENTAIRE_SAV"]


@pytest.mark.sqlite_file
def test_event_feed_delivers_a_stored_bad_event_and_those_after_it(live, caplog):
    """consulterEvenements returns every event of a window holding a poisoned one, that one with U+FFFD, and logs it."""
    reference = deposit(live.client()).referenceSignalisation
    live.gateway.sav.comment(reference, author="sav/dupont", text="tableur")
    live.gateway.sav.comment(reference, author="sav/dupont", text="après")
    bad, after = comment_events(live)
    poison_event_text(live, bad, f"a{VT}b")
    caplog.set_level(logging.WARNING, logger="gateway.ws")
    pulled = pull_all(live.client())
    assert len(pulled) == 3
    assert {e.idEvenement: e.commentaire.texte for e in pulled if e.commentaire} == {bad: f"a{FFFD}b", after: "après"}
    assert any(f"event {bad} " in m for m in replacements_logged(caplog))


@pytest.mark.sqlite_file
def test_push_delivers_a_stored_bad_event_and_every_later_one(tmp_path, session_pki, caplog):
    """A queued event whose text holds a VT reaches the reference receiver with U+FFFD; the events behind it follow."""
    pushing = start_gateway(tmp_path / "data", session_pki, settings_overrides=FAST)
    receiver = Receiver(pushing.pki.directory, port=free_port())  # down at first: the events wait in the queue
    try:
        pushing.gateway.notifications.register("OPE001", "signalisation", receiver.url, author="test")
        reference = deposit(pushing.client()).referenceSignalisation
        pushing.gateway.sav.comment(reference, author="sav/dupont", text="tableur")
        pushing.gateway.sav.comment(reference, author="sav/dupont", text="après")
        store = pushing.gateway.store
        wait_until(lambda: store.deliveries_of("OPE001")[0].attempts >= 1, "a first failed attempt")
        bad, after = comment_events(pushing)
        poison_event_text(pushing, bad, f"a{VT}b")
        caplog.set_level(logging.WARNING, logger="gateway.ws")
        receiver.start()
        pushing.clock.advance(timedelta(minutes=5))
        wait_until(lambda: all(d.status == "LIVRE" for d in store.deliveries_of("OPE001")), "every delivery LIVRE")
        received = {e["idEvenement"]: etree.fromstring(e["xml"]) for e in receiver.log.received}
        assert sorted(received) == sorted(e.id for e in store.events_after("OPE001", 0, limit=100))
        assert received[bad].findtext(".//{*}texte") == f"a{FFFD}b"
        assert received[after].findtext(".//{*}texte") == "après"
        assert any(f"event {bad} " in m for m in replacements_logged(caplog))
    finally:
        receiver.stop()
        pushing.stop()


@pytest.mark.sqlite_file
def test_migration_repairs_stored_text_and_audits_each_row(live):
    """Reopening a database from before the check repairs each stored bad character with U+FFFD and audits each row."""
    reference = poisoned_ticket(live)
    [bad] = comment_events(live)
    poison_event_text(live, bad, f"a{VT}b")
    poison(live, f"DELETE FROM schema_migrations WHERE id = {REPAIR_MIGRATION}")  # as before the fix
    reopened = Store(live.gateway.store.path)
    try:
        ticket = reopened.get_ticket(reference)
        assert ticket is not None and ticket.commentaire == f"dé{FFFD}pôt"
        assert f"colonne A{FFFD}colonne B" in [c.text for c in reopened.comments(ticket.id)]
        assert [a.name for a in reopened.attachments(ticket.id)] == [f"mesure{FFFD}.txt"]
        assert [t.reason for t in reopened.transitions(ticket.id) if t.action == "ANNULER"] == [f"mo{FFFD}tif"]
        [event] = reopened.events_after("OPE001", bad - 1, limit=1)
        assert event.payload["texte"] == f"a{FFFD}b"
        audited = {r.target: r for r in reopened.audit() if r.action == "stockage.reparation_xml"}
        comment_id = next(c.id for c in reopened.comments(ticket.id) if c.text.startswith("colonne"))
        assert set(audited) == {
            f"tickets/{ticket.id}",
            f"comments/{comment_id}",
            f"attachments/{reopened.attachments(ticket.id)[0].id}",
            f"transitions/{next(t.id for t in reopened.transitions(ticket.id) if t.action == 'ANNULER')}",
            f"events/{bad}",
        }
        assert audited[f"events/{bad}"].actor == f"migration/{REPAIR_MIGRATION}"
        assert audited[f"events/{bad}"].details["colonnes"] == {"payload": 1}
    finally:
        reopened.close()
    with closing(sqlite3.connect(live.gateway.store.path)) as db:
        assert db.execute("SELECT count(*) FROM schema_migrations WHERE id = ?", [REPAIR_MIGRATION]).fetchone() == (1,)
