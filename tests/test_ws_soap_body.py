"""A SOAP Body without the operation's element is the caller's error: REQUETE_INVALIDE, one log line."""

from __future__ import annotations

import logging

import pytest
from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

BODIES = {
    "empty-body": f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body/></soap:Envelope>',
    "text-only-body": f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>hello</soap:Body></soap:Envelope>',
    "comment-only-body": f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><!-- x --></soap:Body></soap:Envelope>',
    "no-body": f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Header/></soap:Envelope>',
}


def _code(answer: bytes, version: str) -> str | None:
    root = etree.fromstring(answer, SAFE_PARSER)
    ns = f"urn:esav:signalisation:{version}"
    return root.findtext(f".//{{{ns}}}erreurEsav/{{{ns}}}code")


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("name", sorted(BODIES))
def test_body_without_an_operation_is_requete_invalide_logged_in_one_line(live, caplog, version, name):
    """An empty, text-only or missing Body gets REQUETE_INVALIDE (soap:Client) and one log line, no traceback."""
    session = live.session("OPE001")
    with caplog.at_level(logging.INFO):
        answer = session.post(live.url("signalisation", version), data=BODIES[name].encode(), headers=HEADERS)
    assert answer.status_code == 500
    assert _code(answer.content, version) == "REQUETE_INVALIDE"
    assert b"soap11env:Client" in answer.content and b"ERREUR_INTERNE" not in answer.content
    gateway_records = [r for r in caplog.records if r.name.startswith("gateway")]
    assert [(r.name, r.levelname) for r in gateway_records] == [("gateway.calls", "INFO")]
    assert all(r.exc_info is None for r in caplog.records)
    assert "REQUETE_INVALIDE" in gateway_records[0].getMessage()
    # The next call on the same connection is served as usual.
    follow_up = session.get(live.url("signalisation", version) + "?wsdl", timeout=10)
    assert follow_up.status_code == 200
