"""The portal's log: one JSON line per sign-in, failed sign-in and write, with the request id the page
carries, like the SOAP calls' log; never a password nor a form's values."""

from __future__ import annotations

import json
import logging

import pytest
from support import LiveGateway
from web_support import ADMIN, signed_in

from gateway.server import JsonLogFormatter


def _lines(caplog: pytest.LogCaptureFixture) -> list[dict]:
    formatter = JsonLogFormatter()
    return [json.loads(formatter.format(r)) for r in caplog.records if r.name == "gateway.portal"]


def test_sign_ins_failed_sign_ins_and_writes_are_logged_as_json_lines(
    portal: LiveGateway, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed sign-in, a sign-in and a user's creation give three lines naming the event, the account,
    the path and the status, with the request id of the response; pages only read are not logged."""
    with caplog.at_level(logging.INFO, logger="gateway.portal"):
        refused = signed_in(portal).post("/connexion", {"login": ADMIN[0], "password": "Mauvais-Mot-2026!"})
        admin = signed_in(portal, ADMIN)
        created = admin.post(
            "/admin/utilisateurs", {"login": "journal.alpha", "nom": "Jean Journal", "password": "Journal-Alpha-1"}
        )
    assert refused.status_code == 401 and created.status_code == 200
    lines = _lines(caplog)
    assert [(line["event"], line["account"], line["path"], line["http_status"]) for line in lines] == [
        ("connexion_refusee", "admin.alpha", "/connexion", 401),
        ("connexion", "admin.alpha", "/connexion", 303),
        ("ecriture", "OPE001/admin.alpha", "/admin/utilisateurs", 303),
    ]
    assert all(set(line) >= {"ts", "request_id", "method", "client_ip", "duration_ms"} for line in lines)
    assert lines[0]["request_id"] == refused.headers["X-Request-Id"]
    assert lines[2]["request_id"] == created.history[0].headers["X-Request-Id"]
    text = json.dumps(lines)
    assert "Mauvais-Mot" not in text and "Journal-Alpha" not in text and "Jean Journal" not in text
