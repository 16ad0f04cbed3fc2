"""Every door answers only after a durable commit: a failed commit is an error answer, and nothing is stored.

The commit is made to fail with the suite's helpers: ``fail_commits`` (COMMIT hits a disk error,
in this process) and, for the ``esav`` process, ``break_commits_on`` (SQLite itself refuses the
COMMIT). What is stored is read from the SQLite file through a connection of its own, so only
committed rows count.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import zeep
from platform_support import LivePlatform, start_platform_for_test
from support import SessionPki, clean_env, deposit, fault_code, in_reactor
from test_integration_platform import _deposit
from test_store_group_commit import _add_operator, _committed_codes, break_commits_on, fail_commits
from test_web_portal import example_values
from web_support import TECH, Browser, csrf_of, signed_in

from gateway.cli import main
from gateway.errors import NotRecordedError
from gateway.services import Durability
from gateway.store import Store

NOT_RECORDED = "Votre demande n'a pas pu être enregistrée"


def _count(data_dir: Path, table: str, where: str = "1", *params: Any) -> int:
    """Rows committed in ``table`` (another connection sees only what is committed)."""
    with sqlite3.connect(data_dir / "esav.db") as other:
        return int(other.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", params).fetchone()[0])


def _incident(text: str) -> str:
    found = re.search(r"incident ([0-9a-f]{12})", text)
    assert found, f"no incident id in {text[:500]!r}"
    return found.group(1)


# The seam itself ----------------------------------------------------------------------------------------


@pytest.fixture
def grouped(tmp_path):
    store = Store(tmp_path / "esav.db")
    scheduled: list = []
    durable = Durability(store)
    durable.group_per_tick(scheduled.append)
    yield durable, store, tmp_path / "esav.db"
    store.close()


def test_a_committed_block_is_durable_when_it_ends_and_nested_blocks_join_it(grouped):
    """committed(): the grouped writes are committed at the outer block's end, not at a nested block's."""
    durable, store, path = grouped
    with durable.committed():
        with durable.committed(), store.write() as db:
            _add_operator(db, "OPA")
        assert _committed_codes(path) == set() and store.commit_pending()
    assert _committed_codes(path) == {"OPA"} and not store.commit_pending()


def test_a_committed_block_whose_commit_fails_raises_and_stores_nothing(grouped, monkeypatch):
    """committed(): a failed commit raises NotRecordedError (with its incident id) and nothing is stored."""
    durable, store, path = grouped
    fail_commits(store, monkeypatch)
    with pytest.raises(NotRecordedError) as failed, durable.committed(), store.write() as db:
        _add_operator(db, "OPA")
    assert failed.value.code == "ERREUR_INTERNE" and failed.value.incident_id in failed.value.libelle
    assert _committed_codes(path) == set() and not store.commit_pending()


# SOAP --------------------------------------------------------------------------------------------------


@pytest.mark.sqlite_file
def test_soap_deposit_whose_commit_fails_is_a_fault_and_stores_no_ticket(live, monkeypatch):
    """SOAP (zeep): a deposit whose commit fails answers ERREUR_INTERNE with the incident, no reference, no row."""
    client = live.client()
    fail_commits(live.gateway.store, monkeypatch)
    with pytest.raises(zeep.exceptions.Fault) as failed:
        deposit(client)
    assert fault_code(failed.value) == "ERREUR_INTERNE"
    assert NOT_RECORDED in failed.value.message and _incident(failed.value.message)
    assert _count(live.data_dir, "tickets") == 0


# The portal --------------------------------------------------------------------------------------------


def _post_with_failing_commits(
    portal: Any, browser: Browser, monkeypatch: Any, path: str, data: dict[str, str], form_page: str
) -> Any:
    """POST ``data`` to ``path`` with its CSRF token, the commits failing from the POST on."""
    token = csrf_of(browser.get(form_page).text)
    fail_commits(portal.gateway.store, monkeypatch)
    return browser.http.post(browser.base + path, data={"csrf": token, **data}, allow_redirects=False)


def _assert_not_recorded_page(response: Any) -> None:
    assert response.status_code == 500, response.text[:500]
    assert NOT_RECORDED in unescape(response.text) and _incident(response.text)
    assert "Traceback" not in response.text and "OperationalError" not in response.text
    assert "Set-Cookie" not in response.headers and "Location" not in response.headers


def test_portal_support_request_whose_commit_fails_shows_an_error_page_and_no_reference(portal, monkeypatch):
    """Portal (e-soutien): a failed commit is a 500 page saying nothing was recorded, no SOU reference, no row."""
    tech = signed_in(portal, TECH)
    sent = _post_with_failing_commits(
        portal, tech, monkeypatch, "/e-soutien", {"objet": "Page lente", "description": "10 s."}, "/e-soutien"
    )
    _assert_not_recorded_page(sent)
    assert "SOU0" not in sent.text and "reference-soutien" not in sent.text
    assert _count(portal.data_dir, "support_requests") == 0
    monkeypatch.undo()  # the disk is back: the same request now goes through
    again = tech.post("/e-soutien", {"objet": "Page lente", "description": "10 s."})
    assert again.status_code == 200 and re.search(r'id="reference-soutien">SOU\d{8}<', again.text)


@pytest.mark.sqlite_file
def test_portal_deposit_whose_commit_fails_shows_an_error_page_and_no_reference(portal, monkeypatch):
    """Portal (deposit): a failed commit is a 500 page, no acknowledgement nor SIG reference, no ticket stored."""
    tech = signed_in(portal, TECH)
    values = {"prestation": "0140000001", "gravite": "MAJEURE", **example_values("SIG_CUIVRE")}
    sent = _post_with_failing_commits(
        portal, tech, monkeypatch, "/esav/deposer", values, "/esav/deposer?prestation=0140000001"
    )
    _assert_not_recorded_page(sent)
    assert 'id="reference"' not in sent.text and "SIG0" not in sent.text
    assert _count(portal.data_dir, "tickets") == 0


def test_portal_complement_whose_commit_fails_shows_an_error_page_not_the_redirect(portal, monkeypatch):
    """Portal (complement): a failed commit is a 500 page instead of the redirect with its flash; no comment stored."""
    reference = deposit(portal.client()).referenceSignalisation
    comments = _count(portal.data_dir, "comments")
    tech = signed_in(portal, TECH)
    detail = f"/esav/signalisations/{reference}"
    sent = _post_with_failing_commits(
        portal, tech, monkeypatch, f"{detail}/completer", {"texte": "Site ouvert"}, detail
    )
    _assert_not_recorded_page(sent)
    assert "Votre complément a été enregistré." not in sent.text
    assert _count(portal.data_dir, "comments") == comments


# The CLI -----------------------------------------------------------------------------------------------


@pytest.mark.sqlite_file
def test_cli_command_whose_commit_fails_exits_non_zero_with_a_message_and_stores_nothing(live, monkeypatch, capsys):
    """CLI (esav sav commenter): a failed commit exits 1 with message and incident, prints nothing, stores nothing."""
    reference = deposit(live.client()).referenceSignalisation
    comments = _count(live.data_dir, "comments")
    fail_commits(live.gateway.store, monkeypatch)
    assert main(["sav", "afficher", reference, "--donnees", str(live.data_dir)]) == 0  # reading commits nothing
    capsys.readouterr()
    status = main(["sav", "commenter", reference, "Technicien passé", "--donnees", str(live.data_dir)])
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert "[ERREUR_INTERNE]" in err and NOT_RECORDED in err and _incident(err) and "Traceback" not in err
    assert _count(live.data_dir, "comments") == comments


@pytest.mark.sqlite_file
def test_esav_process_whose_commit_sqlite_refuses_exits_1_with_one_message_and_stores_nothing(live):
    """The `esav` process: a COMMIT SQLite itself refuses ends in exit 1 and the message, no traceback, no comment."""
    reference = deposit(live.client()).referenceSignalisation
    comments = _count(live.data_dir, "comments")
    break_commits_on(live.data_dir / "esav.db", "comments")
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "sav", "commenter", reference, "Passé", "--donnees", str(live.data_dir)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 1 and done.stdout == "", done.stderr
    assert "[ERREUR_INTERNE]" in done.stderr and NOT_RECORDED in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "FOREIGN KEY constraint failed" in done.stderr  # the cause, in one line
    assert _count(live.data_dir, "comments") == comments


# The integration platform ------------------------------------------------------------------------------


@pytest.fixture
def platform(tmp_path: Path, session_pki: SessionPki) -> Any:
    running = start_platform_for_test(tmp_path / "platform", session_pki)
    try:
        yield running
    finally:
        running.stop()


def _state(p: LivePlatform, reference: str) -> str:
    with sqlite3.connect(p.data_dir / "esav.db") as other:
        return str(other.execute("SELECT state FROM tickets WHERE reference = ?", [reference]).fetchone()[0])


def test_robot_step_whose_commit_fails_raises_and_moves_no_ticket(platform, monkeypatch):
    """Integration robot: a step whose commit fails raises NotRecordedError and leaves the ticket where it was."""
    reference = _deposit(platform, "OPE002", "REJETEE")
    fail_commits(platform.gateway.store, monkeypatch)
    with pytest.raises(NotRecordedError):
        in_reactor(platform.running.robot.step)
    assert _state(platform, reference) == "EN_DEPOT"
    assert _count(platform.data_dir, "transitions", "author = ?", "ROBOT-INTEGRATION") == 0
    monkeypatch.undo()
    assert in_reactor(platform.running.robot.step) != []  # the next tick takes the step


def test_journal_batch_whose_commit_fails_is_kept_for_the_next_batch(platform, monkeypatch):
    """Integration journal: a batch whose commit fails raises, is not stored, and is written by the next flush."""
    platform.flush()
    before = _count(platform.data_dir, "call_journal")
    fail_commits(platform.gateway.store, monkeypatch)
    with pytest.raises(zeep.exceptions.Fault):
        _deposit(platform, "OPE002", "REJETEE")  # answered ERREUR_INTERNE, and journaled as such
    with pytest.raises(NotRecordedError):
        platform.flush()
    assert _count(platform.data_dir, "call_journal") == before
    monkeypatch.undo()
    platform.flush()
    assert _count(platform.data_dir, "call_journal", "fault_code = 'ERREUR_INTERNE'") == 1


def test_journal_calls_flushed_by_a_soap_call_whose_commit_fails_are_kept(platform, monkeypatch):
    """Integration journal: calls flushed inside a SOAP call (consulterJournal) whose commit fails are not lost."""
    monkeypatch.setattr(platform.running.journal, "_delay", 3600.0)  # only the SOAP call below flushes
    _deposit(platform, "OPE001", "REJETEE")  # answered, journaled, still buffered
    fail_commits(platform.gateway.store, monkeypatch)
    with pytest.raises(zeep.exceptions.Fault) as failed:
        platform.client("OPE001", "integration").service.consulterJournal(max=500)
    assert fault_code(failed.value) == "ERREUR_INTERNE"
    assert _count(platform.data_dir, "call_journal") == 0
    monkeypatch.undo()
    platform.flush()
    assert _count(platform.data_dir, "call_journal", "operation = 'deposerSignalisation'") == 1


def test_sandbox_reset_whose_commit_fails_is_refused_and_deletes_nothing(platform, monkeypatch, capsys):
    """Integration reset (SOAP and CLI): a failed commit is a fault / exit 1 with the message; the sandbox stays."""
    reference = _deposit(platform, "OPE001", "REJETEE")
    platform.flush()
    fail_commits(platform.gateway.store, monkeypatch)
    with pytest.raises(zeep.exceptions.Fault) as failed:
        platform.client("OPE001", "integration").service.reinitialiserBacASable()
    assert fault_code(failed.value) == "ERREUR_INTERNE" and NOT_RECORDED in failed.value.message
    status = main(["integration", "reinitialiser", "OPE001", "--donnees", str(platform.data_dir)])
    out, err = capsys.readouterr()
    assert status == 1 and "réinitialisé" not in out and NOT_RECORDED in err
    assert _count(platform.data_dir, "tickets", "reference = ?", reference) == 1
