"""Hostile XML is refused before any processing (contract §8), as a typed REQUETE_INVALIDE fault (§9).

Every hostile body below is a variation of one valid ``consulterEtatSignalisation`` envelope, which
``test_baseline_envelope_reaches_the_service`` proves the service accepts: a refusal of a variant is
due to its hostility, not to a broken envelope.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
import zeep
from lxml import etree
from support import fault_code

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
TNS = "urn:esav:signalisation:v2"
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "consulterEtatSignalisation"}
#: Replaced by the URL of a loopback server that records whether anything fetched it.
CANARY = b"@CANARY@"
#: Never expand, never fetch: reading the gateway's answers must not be a hazard of its own.
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
LEAKS = (b"Traceback", b'File "', b"root:x:0:0", b"lollollol", b"canary-fetched")


def envelope(
    reference: bytes = b"SIG00000000", *, prolog: bytes = b"", operation: bytes = b"consulterEtatSignalisation"
) -> bytes:
    """The valid envelope of one state query, with an optional prolog (DOCTYPE) and reference text."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n' + prolog + b'<soap:Envelope xmlns:soap="' + SOAP_ENV.encode()
        + b'" xmlns:tns="' + TNS.encode() + b'"><soap:Body><tns:' + operation + b"><tns:referenceSignalisation>"
        + reference + b"</tns:referenceSignalisation></tns:" + operation + b"></soap:Body></soap:Envelope>"
    )  # fmt: skip


def nested(depth: int) -> bytes:
    """An envelope whose Body holds ``depth`` nested elements."""
    inner = b"<tns:n>" * depth + b"</tns:n>" * depth
    return envelope().replace(b"<soap:Body>", b"<soap:Body>" + inner, 1)


BILLION_LAUGHS = (
    b'<!DOCTYPE soap:Envelope [<!ENTITY lol "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    + b"]>\n"
)

#: (name, request body, expected erreurEsav code): the manifest of hostile requests.
HOSTILE = [
    (
        "external-entity-file",
        envelope(b"&xxe;", prolog=b'<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'),
        "REQUETE_INVALIDE",
    ),
    (
        "external-entity-http",
        envelope(b"&xxe;", prolog=b'<!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "' + CANARY + b'/xxe">]>\n'),
        "REQUETE_INVALIDE",
    ),
    (
        "external-parameter-entity",
        envelope(prolog=b'<!DOCTYPE soap:Envelope [<!ENTITY % remote SYSTEM "' + CANARY + b'/pe.dtd"> %remote;]>\n'),
        "REQUETE_INVALIDE",
    ),
    (
        "external-dtd",
        envelope(prolog=b'<!DOCTYPE soap:Envelope SYSTEM "' + CANARY + b'/evil.dtd">\n'),
        "REQUETE_INVALIDE",
    ),
    (
        "external-dtd-file",
        envelope(prolog=b'<!DOCTYPE soap:Envelope SYSTEM "file:///etc/passwd">\n'),
        "REQUETE_INVALIDE",
    ),
    ("internal-dtd-without-entity", envelope(prolog=b"<!DOCTYPE soap:Envelope []>\n"), "REQUETE_INVALIDE"),
    ("billion-laughs", envelope(b"&lol9;", prolog=BILLION_LAUGHS), "REQUETE_INVALIDE"),
    (
        "quadratic-blowup",
        envelope(b"&big;" * 20_000, prolog=b'<!DOCTYPE soap:Envelope [<!ENTITY big "' + b"A" * 50_000 + b'">]>\n'),
        "REQUETE_INVALIDE",
    ),
    (
        "20-MB-comment",
        envelope().replace(b"<soap:Body>", b"<soap:Body><!--" + b" padding " * (20 * 1024 * 1024 // 9) + b"-->", 1),
        "REQUETE_INVALIDE",
    ),
    ("20-MB-text", envelope(b"S" * (20 * 1024 * 1024)), "REQUETE_INVALIDE"),
    ("10000-nested-elements", nested(10_000), "REQUETE_INVALIDE"),
    ("invalid-utf8-in-text", envelope(b"SIG\xff\xfe\xc3\x28000"), "REQUETE_INVALIDE"),
    ("truncated-utf8-sequence", envelope(b"SIG\xe2\x82"), "REQUETE_INVALIDE"),
    ("empty-body", b"", "REQUETE_INVALIDE"),
    ("whitespace-body", b" \r\n\t ", "REQUETE_INVALIDE"),
    ("plain-text", b"Bonjour, ceci n'est pas du XML.", "REQUETE_INVALIDE"),
    ("json", b'{"referenceSignalisation": "SIG00000000"}', "REQUETE_INVALIDE"),
    ("unclosed-envelope", envelope()[:-20], "REQUETE_INVALIDE"),
]

#: Well-formed, harmless requests that the WSDL does not describe.
OUTSIDE_CONTRACT = [
    ("unknown-operation", envelope(operation=b"supprimerToutesLesSignalisations")),
    (
        "unknown-child-of-known-operation",
        envelope().replace(b"</tns:referenceSignalisation>", b"</tns:referenceSignalisation><tns:x>1</tns:x>"),
    ),
    (
        "missing-required-child",
        envelope().replace(b"<tns:referenceSignalisation>SIG00000000</tns:referenceSignalisation>", b""),
    ),
]


class _Canary(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = b'<!ENTITY canary "canary-fetched">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def canary() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every fetch (an external reference resolved by the gateway)."""
    hits: list[str] = []
    handler = type("Canary", (_Canary,), {"hits": hits})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    # shutdown() waits for the loop to notice, one poll at most: a short poll keeps teardown short.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def soap_fault(response) -> etree._Element:
    """The SOAP 1.1 Fault of a response, after the checks every fault answer must pass."""
    assert response.status_code == 500, response.content[:500]
    assert response.content.strip(), "empty response body"
    assert response.headers["Content-Type"].startswith("text/xml")
    for leak in LEAKS:
        assert leak not in response.content, f"response leaks {leak!r}: {response.content[:500]!r}"
    root = etree.fromstring(response.content, SAFE_PARSER)
    assert root.tag == f"{{{SOAP_ENV}}}Envelope"
    fault = root.find(f"{{{SOAP_ENV}}}Body/{{{SOAP_ENV}}}Fault")
    assert fault is not None, response.content[:500]
    assert (fault.findtext("faultstring") or "").strip(), "empty faultstring"
    return fault


def esav_code(fault: etree._Element) -> str | None:
    return fault.findtext(f"detail/{{{TNS}}}erreurEsav/{{{TNS}}}code")


def assert_still_serving(live) -> None:
    """A normal zeep call still gets its business answer (here: the unknown ticket's fault)."""
    with pytest.raises(zeep.exceptions.Fault) as raised:
        live.client().service.consulterEtatSignalisation("SIG00000000")
    assert fault_code(raised.value) == "SIGNALISATION_INCONNUE"


def test_baseline_envelope_reaches_the_service(live):
    """The envelope the hostile cases vary is valid: raw, it reaches the service and gets its business fault."""
    fault = soap_fault(live.session().post(live.url(), data=envelope(), headers=HEADERS))
    assert esav_code(fault) == "SIGNALISATION_INCONNUE"
    assert fault.findtext("faultcode").endswith(":Client")


@pytest.mark.parametrize(("name", "body", "expected"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_request_refused_with_typed_fault(live, canary, name, body, expected):
    """A hostile body gets HTTP 500 and a Client fault with the expected code, fetches nothing, leaks nothing."""
    canary_url, hits = canary
    response = live.session().post(live.url(), data=body.replace(CANARY, canary_url.encode()), headers=HEADERS)
    fault = soap_fault(response)
    assert esav_code(fault) == expected, response.content[:800]
    assert fault.findtext("faultcode").endswith(":Client")
    assert hits == [], f"the gateway fetched {hits}"
    assert_still_serving(live)


def test_oversized_chunked_body_refused(live):
    """A 20 MB body sent chunked (no Content-Length) is refused like a declared one, and the server goes on."""
    chunk = b"<!--" + b"x" * (1024 * 1024 - 7) + b"-->"

    def body() -> Iterator[bytes]:
        yield envelope().split(b"<soap:Body>")[0] + b"<soap:Body>"
        for _ in range(20):
            yield chunk
        yield b"</soap:Body></soap:Envelope>"

    fault = soap_fault(live.session().post(live.url(), data=body(), headers=HEADERS))
    assert esav_code(fault) == "REQUETE_INVALIDE"
    assert_still_serving(live)


@pytest.mark.parametrize(("name", "body"), OUTSIDE_CONTRACT, ids=[case[0] for case in OUTSIDE_CONTRACT])
def test_request_outside_the_contract_gets_a_fault(live, name, body):
    """A well-formed request the WSDL does not describe gets a SOAP Client fault, not an empty 500."""
    fault = soap_fault(live.session().post(live.url(), data=body, headers=HEADERS))
    assert fault.findtext("faultcode").split(":")[-1].startswith("Client")
    assert_still_serving(live)


@pytest.mark.parametrize(("name", "body"), OUTSIDE_CONTRACT, ids=[case[0] for case in OUTSIDE_CONTRACT])
def test_request_outside_the_contract_gets_typed_requete_invalide(live, name, body):
    """A request the WSDL does not describe gets the typed erreurEsav fault REQUETE_INVALIDE (§9), in French."""
    fault = soap_fault(live.session().post(live.url(), data=body, headers=HEADERS))
    assert esav_code(fault) == "REQUETE_INVALIDE", etree.tostring(fault)
    assert fault.findtext("faultstring").startswith("Requête invalide")


def test_wsdl_declares_typed_fault_on_every_operation(live):
    """GET ?wsdl answers the WSDL, whose every portType operation declares the erreurEsav fault."""
    response = live.session().get(live.url() + "?wsdl")
    assert response.status_code == 200
    assert b"erreurEsav" in response.content
    wsdl = etree.fromstring(response.content, SAFE_PARSER)
    ns = {"wsdl": WSDL_NS}
    operations = wsdl.findall("wsdl:portType/wsdl:operation", ns)
    assert {op.get("name") for op in operations} >= {"deposerSignalisation", "consulterEtatSignalisation"}
    fault_messages = {
        m.get("name")
        for m in wsdl.findall("wsdl:message", ns)
        if any(p.get("element", "").endswith(":erreurEsav") for p in m.findall("wsdl:part", ns))
    }
    assert fault_messages, "no message carries the erreurEsav element"
    for op in operations:
        faults = [f.get("message", "").split(":")[-1] for f in op.findall("wsdl:fault", ns)]
        assert set(faults) & fault_messages, f"{op.get('name')} declares no erreurEsav fault"
