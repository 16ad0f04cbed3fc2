"""Every door answers only after a durable commit: a failed commit is an error answer, and nothing is stored.

The commit is made to fail with the suite's one helper (``fail_commits``: COMMIT hits a disk
error); what is stored is read from the SQLite file through a connection of its own, so only
committed rows count.
"""

from __future__ import annotations

import re
import sqlite3
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import zeep
from support import deposit, fault_code
from test_store_group_commit import _add_operator, _committed_codes, fail_commits
from test_web_portal import example_values
from web_support import TECH, Browser, csrf_of, signed_in

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
