"""The fast path of the hottest v2 operations answers exactly what spyne answers (C14N), faults included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree
from support import CATALOGUE, start_gateway

from gateway.server import _phases
from gateway.ws._fastpath import AnswerTemplate

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "urn:esav:signalisation:v2"
HEADERS = {"Content-Type": "text/xml; charset=utf-8"}
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
FORM = etree.tostring(etree.parse(str(CATALOGUE / "forms" / "SIG_CUIVRE" / "1.0.example.xml")).getroot()).decode()


def _envelope(call: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<soap-env:Envelope xmlns:soap-env="{SOAP_ENV}">'
        f"<soap-env:Body>{call}</soap-env:Body></soap-env:Envelope>"
    ).encode()


def _deposit(
    prestation: str = "0140000001",
    offer: str = "CUIVRE_DEGROUPAGE",
    form: str = FORM,
    extra: str = "",
    code: str = "SIG_CUIVRE",
) -> bytes:
    return _envelope(
        f'<ns0:deposerSignalisation xmlns:ns0="{NS}">{extra}'
        f"<ns0:identifiantPrestation>{prestation}</ns0:identifiantPrestation>"
        f"<ns0:codeOffre>{offer}</ns0:codeOffre><ns0:gravite>MAJEURE</ns0:gravite>"
        f'<ns0:formulaire code="{code}" version="1.0">{form}</ns0:formulaire>'
        "<ns0:commentaire>Pas de synchro &amp; bruit &lt;fort&gt;</ns0:commentaire>"
        "</ns0:deposerSignalisation>"
    )


def _state(reference: str) -> bytes:
    return _envelope(
        f'<ns0:consulterEtatSignalisation xmlns:ns0="{NS}">'
        f"<ns0:referenceSignalisation>{reference}</ns0:referenceSignalisation></ns0:consulterEtatSignalisation>"
    )


#: (name, operator, request): sent in this order to both gateways, each from the same demo data.
CALLS = [
    ("deposit", "OPE001", _deposit()),
    ("deposit-with-reference", "OPE001", _deposit(extra="<ns0:referenceOperateur>OC-1</ns0:referenceOperateur>")),
    ("state", "OPE001", _state("SIG00000001")),
    ("state-of-another-operator", "OPE002", _state("SIG00000001")),
    ("state-unknown", "OPE001", _state("SIG99999999")),
    ("state-too-long", "OPE001", _state("S" * 40)),
    ("state-empty", "OPE001", _state("")),
    ("deposit-unknown-prestation", "OPE001", _deposit(prestation="nope")),
    ("deposit-prestation-too-long", "OPE001", _deposit(prestation="P" * 65)),
    ("deposit-bad-gravity", "OPE001", _deposit().replace(b">MAJEURE<", b">GRAVE<")),
    ("deposit-missing-offer", "OPE001", _deposit().replace(b"<ns0:codeOffre>CUIVRE_DEGROUPAGE</ns0:codeOffre>", b"")),
    ("deposit-invalid-form", "OPE001", _deposit(form=FORM.replace("</", "<extra/></", 1))),
    ("deposit-two-forms", "OPE001", _deposit(form=FORM + FORM)),
    ("deposit-form-code-too-long", "OPE001", _deposit(code="C" * 65)),
    ("deposit-unknown-element", "OPE001", _deposit(extra="<ns0:inconnu>x</ns0:inconnu>")),
    ("deposit-without-rights", "OPE003", _deposit()),
]


def _canonical(answer: bytes) -> bytes:
    """The answer in C14N, the request id of a fault (random per call) blanked."""
    root = etree.fromstring(answer, SAFE_PARSER)
    for ident in root.iter("{*}idErreur"):
        ident.text = "…"
    return etree.tostring(root, method="c14n")


@pytest.fixture
def both(tmp_path, session_pki):
    """Two gateways on the same demo data and clock: the fast path on, and off (spyne alone)."""
    fast = start_gateway(tmp_path / "fast", session_pki)
    spyne = start_gateway(tmp_path / "spyne", session_pki, settings_overrides={"fast_path": False})
    try:
        yield fast, spyne
    finally:
        fast.stop()
        spyne.stop()


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_fast_path_answers_are_c14n_equal_to_spynes(both, monkeypatch, version):
    """Deposits, state queries and their faults (contract, rights, rules) answer the same bytes in meaning."""
    fast, spyne = both
    read_by_spyne = []
    original_read = _phases.read
    monkeypatch.setattr(_phases, "read", lambda app, environ: read_by_spyne.append(1) or original_read(app, environ))
    for name, operator, request in CALLS:
        request = request.replace(NS.encode(), f"urn:esav:signalisation:{version}".encode())
        answers = []
        for server in (fast, spyne):
            session = server.session(operator)
            answer = session.post(server.url("signalisation", version), data=request, headers=HEADERS, timeout=30)
            answers.append((answer.status_code, answer.headers["Content-Type"], answer.headers.get("Retry-After")))
            answers.append(_canonical(answer.content))
        assert answers[:2] == answers[2:], name
    # Every call above reached the fast path on the first gateway, spyne on the second.
    assert len(read_by_spyne) == len(CALLS)


def test_deposit_with_attachments_is_left_to_spyne(live, monkeypatch):
    """A deposit carrying attachments is read by spyne (base64), and still answered as usual."""
    read_by_spyne = []
    original_read = _phases.read
    monkeypatch.setattr(_phases, "read", lambda app, environ: read_by_spyne.append(1) or original_read(app, environ))
    attachment = (
        "<ns0:piecesJointes><ns0:pieceJointe><ns0:nom>m.txt</ns0:nom><ns0:typeMime>text/plain</ns0:typeMime>"
        "<ns0:contenu>YXR0IDQyIGRC</ns0:contenu></ns0:pieceJointe></ns0:piecesJointes>"
    )
    request = _deposit().replace(b"</ns0:deposerSignalisation>", f"{attachment}</ns0:deposerSignalisation>".encode())
    answer = live.session("OPE001").post(live.url(), data=request, headers=HEADERS, timeout=30)
    assert answer.status_code == 200 and b"referenceSignalisation>SIG" in answer.content
    assert read_by_spyne == [1]


def test_answer_template_writes_any_text_as_lxml_would():
    """Markup characters are escaped, characters XML cannot carry become U+FFFD, a None field is left out."""
    template = AnswerTemplate(NS, "consulterEtatSignalisation", ("referenceSignalisation", "etat", "dateEtat", "x"))
    instant = datetime(2026, 11, 18, 10, 0, 0, 123456, tzinfo=timezone(timedelta(hours=1)))
    hostile = "a & b < c > d \r e \x00 f \ud800 g ]]> h é"
    written = etree.fromstring(template.render((hostile, "EN_DEPOT", instant, None)), SAFE_PARSER)
    answer = written.find(f"{{{SOAP_ENV}}}Body/{{{NS}}}consulterEtatSignalisationResponse")
    assert [child.tag.rpartition("}")[2] for child in answer] == ["referenceSignalisation", "etat", "dateEtat"]
    assert answer[0].text == "a & b < c > d \r e \ufffd f \ufffd g ]]> h é"
    assert answer[2].text == "2026-11-18T10:00:00.123456+01:00"
