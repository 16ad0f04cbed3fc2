"""Generated text in every text field of a deposit, a completion and the portal's forms never breaks the
gateway: each answer is a success or a typed fault (a page with a status below 500 on the portal), and
the ticket, its detail over v1 and v2 and the operator's event feed can still be read afterwards.

Hypothesis draws Unicode text including the control characters XML 1.0 cannot carry and very long
strings. The SOAP requests are written as raw envelopes (a SOAP client would refuse to send such text);
the portal's forms are posted as a browser would. Examples and time are bounded, and the draw is
derandomised so that the suite is reproducible.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from xml.sax.saxutils import escape, quoteattr

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree
from notification_support import pull_all
from support import CATALOGUE, LiveGateway, deposit
from test_web_portal import example_values
from web_support import TECH, csrf_of, signed_in

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "urn:esav:signalisation:v2"
SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
#: Codes a fault may carry here (the contract's list less ERREUR_INTERNE and the codes of other operations).
FAULT_CODES = {
    "AUTHENTIFICATION",
    "NON_HABILITE",
    "PRESTATION_INCONNUE",
    "FORMULAIRE_INVALIDE",
    "FORMULAIRE_VERSION_RETIREE",
    "SIGNALISATION_INCONNUE",
    "TRANSITION_INTERDITE",
    "DOUBLON",
    "LIMITE_REQUETES",
    "REQUETE_INVALIDE",
}
#: Each property test stops drawing new work after this many seconds (the examples still count).
TIME_BUDGET_S = 45.0

_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
_controls = st.text(st.characters(max_codepoint=0x9F, exclude_categories=("Cs",)), min_size=1, max_size=8)
#: A drawn text is repeated this many times: very long values stay short to print when a case fails.
REPEATS = st.sampled_from((1, 1, 1, 1, 50, 2_000, 100_000))
FUZZ = st.one_of(_text, _text, _controls)
FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FORM = etree.parse(str(CATALOGUE / "forms" / "SIG_CUIVRE" / "1.0.example.xml")).getroot()
FORM_NS = etree.QName(FORM).namespace
#: Text leaves of the SIG_CUIVRE example that an operator types freely.
FORM_TEXTS = ("defaut/description", "contactSite/nom", "accesSite/consignes", "commentaire")
DEPOSIT_FIELDS = (
    "referenceOperateur",
    "identifiantPrestation",
    "codeOffre",
    "gravite",
    "commentaire",
    "formulaire@code",
    "formulaire@version",
    "piece/nom",
    "piece/typeMime",
    *(f"form/{path}" for path in FORM_TEXTS),
)
COMPLETION_FIELDS = ("referenceSignalisation", "commentaire", "piece/nom", "piece/typeMime")


def form_with(path: str | None, value: str) -> str:
    """The SIG_CUIVRE example as XML text, with the leaf at ``path`` replaced by ``value`` (escaped)."""
    form = etree.fromstring(etree.tostring(FORM))
    text = etree.tostring(form, encoding="unicode")
    if path is None:
        return text
    leaf = form.find("/".join(f"{{{FORM_NS}}}{step}" for step in path.split("/")))
    assert leaf is not None, path
    marker = "@@FUZZ@@"
    leaf.text = marker
    return etree.tostring(form, encoding="unicode").replace(marker, escape(value))


def deposit_envelope(field: str, value: str) -> bytes:
    """A v2 ``deposerSignalisation`` of OPE001's copper line whose ``field`` holds ``value``."""
    values = {
        "referenceOperateur": "FUZZ-REF",
        "identifiantPrestation": "0140000001",
        "codeOffre": "CUIVRE_DEGROUPAGE",
        "gravite": "MAJEURE",
        "commentaire": "Commentaire",
        "formulaire@code": "SIG_CUIVRE",
        "formulaire@version": "1.0",
        "piece/nom": "mesure.txt",
        "piece/typeMime": "text/plain",
    }
    form_path = field.removeprefix("form/") if field.startswith("form/") else None
    values[field] = value
    simple = "".join(
        f"<t:{name}>{escape(values[name])}</t:{name}>"
        for name in ("referenceOperateur", "identifiantPrestation", "codeOffre", "gravite")
    )
    body = (
        f"<t:deposerSignalisation>{simple}"
        f"<t:formulaire code={quoteattr(values['formulaire@code'])} version={quoteattr(values['formulaire@version'])}>"
        f"{form_with(form_path, value)}</t:formulaire>"
        f"<t:commentaire>{escape(values['commentaire'])}</t:commentaire>"
        f"{attachment(values['piece/nom'], values['piece/typeMime'])}</t:deposerSignalisation>"
    )
    return soap(body)


def completion_envelope(reference: str, field: str, value: str) -> bytes:
    """A v2 ``completerSignalisation`` of ``reference`` whose ``field`` holds ``value``."""
    values = {"referenceSignalisation": reference, "commentaire": "Complément", "piece/nom": "photo.txt"}
    values["piece/typeMime"] = "text/plain"
    values[field] = value
    body = (
        f"<t:completerSignalisation><t:referenceSignalisation>{escape(values['referenceSignalisation'])}"
        f"</t:referenceSignalisation><t:commentaire>{escape(values['commentaire'])}</t:commentaire>"
        f"{attachment(values['piece/nom'], values['piece/typeMime'])}</t:completerSignalisation>"
    )
    return soap(body)


def attachment(name: str, mime: str) -> str:
    content = base64.b64encode(b"mesure: -42 dB\n").decode()
    return (
        f"<t:piecesJointes><t:pieceJointe><t:nom>{escape(name)}</t:nom><t:typeMime>{escape(mime)}</t:typeMime>"
        f"<t:contenu>{content}</t:contenu></t:pieceJointe></t:piecesJointes>"
    )


def soap(body: str) -> bytes:
    # Text XML cannot carry is sent as it is: a careless or hostile client would.
    return (f'<s:Envelope xmlns:s="{SOAP_ENV}" xmlns:t="{TNS}"><s:Body>{body}</s:Body></s:Envelope>').encode(
        "utf-8", "surrogatepass"
    )


def post(live: LiveGateway, action: str, envelope: bytes) -> str | None:
    """POST ``envelope``; return the ticket reference of a success, None for a typed fault, fail otherwise."""
    response = live.session().post(
        live.url(), data=envelope, headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action}
    )
    assert response.status_code in (200, 500), (response.status_code, response.content[:300])
    assert len(response.content) < 16_384, f"an answer of {len(response.content)} bytes echoes the input"
    document = etree.fromstring(response.content, SAFE_PARSER)
    body = document.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1, response.content[:300]
    if response.status_code == 500:
        codes = body.xpath(".//*[local-name()='erreurEsav']/*[local-name()='code']/text()")
        assert codes and codes[0] in FAULT_CODES, response.content[:600]
        return None
    references = body.xpath(".//*[local-name()='referenceSignalisation']/text()")
    return str(references[0]) if references else ""


def read_back(live: LiveGateway, reference: str) -> None:
    """The ticket's detail over v1 and v2 and the whole event feed answer with a Body."""
    for version in ("v1", "v2"):
        detail = live.client(version=version).service.consulterDetailSignalisation(referenceSignalisation=reference)
        assert detail.referenceSignalisation == reference
    assert pull_all(live.client())


def within_budget(started: list[float]) -> bool:
    if not started:
        started.append(time.monotonic())
    return time.monotonic() - started[0] < TIME_BUDGET_S


def keeps_serving(live: LiveGateway) -> None:
    """A plain deposit after the fuzzing still gets its reference."""
    assert deposit(live.client()).referenceSignalisation.startswith("SIG")


@pytest.mark.slow
def test_generated_text_in_a_deposit_gives_a_ticket_or_a_typed_fault(live):
    """Any text in any field of ``deposerSignalisation``: success or typed fault, and the ticket reads back."""
    started: list[float] = []

    @FUZZ_SETTINGS
    @given(field=st.sampled_from(DEPOSIT_FIELDS), text=FUZZ, repeat=REPEATS)
    @example(field="commentaire", text="\x0b", repeat=1)
    @example(field="piece/nom", text="a\x00b.txt", repeat=1)
    @example(field="identifiantPrestation", text="0", repeat=3_000_000)
    def check(field: str, text: str, repeat: int) -> None:
        if not within_budget(started):
            return
        reference = post(live, "deposerSignalisation", deposit_envelope(field, text * repeat))
        outcomes.append(bool(reference))
        if reference:
            read_back(live, reference)

    outcomes: list[bool] = []
    check()
    assert any(outcomes) and not all(outcomes), "the draw must hold both accepted and refused deposits"
    keeps_serving(live)


@pytest.mark.slow
def test_generated_text_in_a_completion_gives_a_success_or_a_typed_fault(live):
    """Any text in any field of ``completerSignalisation``: success or typed fault, and the ticket reads back."""
    reference = deposit(live.client()).referenceSignalisation
    started: list[float] = []

    @FUZZ_SETTINGS
    @given(field=st.sampled_from(COMPLETION_FIELDS), text=FUZZ, repeat=REPEATS)
    @example(field="commentaire", text="colonne\x0bsuivante", repeat=1)
    @example(field="referenceSignalisation", text="S", repeat=2_000_000)
    def check(field: str, text: str, repeat: int) -> None:
        if not within_budget(started):
            return
        outcomes.append(
            post(live, "completerSignalisation", completion_envelope(reference, field, text * repeat)) is not None
        )
        read_back(live, reference)

    outcomes: list[bool] = []
    check()
    assert any(outcomes) and not all(outcomes), "the draw must hold both accepted and refused completions"
    keeps_serving(live)


def page_ok(response: requests.Response, outcomes: list[bool]) -> None:
    """A portal answer to a fuzzed form: a page below 500 that leaks no traceback."""
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text
    outcomes.append(response.status_code < 400)


def portal_property(
    portal: LiveGateway, action: Callable[[str, str], None], fields: tuple[str, ...], outcomes: list[bool]
) -> None:
    """Run ``action(field, text)`` over the draw; the pages must have accepted some and refused some."""
    started: list[float] = []

    @FUZZ_SETTINGS
    @given(field=st.sampled_from(fields), text=FUZZ, repeat=REPEATS)
    @example(field=fields[0], text="\x00", repeat=1)
    @example(field=fields[0], text="tab\x0bvertical", repeat=1)
    def check(field: str, text: str, repeat: int) -> None:
        if within_budget(started):
            action(field, text * repeat)

    check()
    assert any(outcomes) and not all(outcomes), "the draw must hold both accepted and refused forms"
    keeps_serving(portal)


@pytest.mark.slow
def test_generated_text_in_the_portal_deposit_form_never_breaks_a_page(portal):
    """Any text in any field of the deposit page: a page below 500, and a stored ticket reads back."""
    tech = signed_in(portal, TECH)
    outcomes: list[bool] = []
    values = {"prestation": "0140000001", "gravite": "MAJEURE", **example_values("SIG_CUIVRE")}
    fields = ("/signalisationCuivre/defaut/description", "referenceOperateur", "gravite", "prestation")
    fields += tuple(path for path in values if path.startswith("/") and path not in fields)

    def action(field: str, value: str) -> None:
        response = tech.post("/esav/deposer", {**values, field: value}, form_page="/esav/deposer?prestation=0140000001")
        page_ok(response, outcomes)
        found = re.search(r'<strong id="reference">(SIG\d+)</strong>', response.text)
        if found:
            read_back(portal, found.group(1))

    portal_property(portal, action, fields, outcomes)


@pytest.mark.slow
def test_generated_text_in_the_portal_completion_and_cancel_forms_never_breaks_a_page(portal):
    """Any text in a completion, an attachment's name or a cancel reason: a page below 500, ticket readable."""
    tech = signed_in(portal, TECH)
    client = portal.client()
    outcomes: list[bool] = []

    def action(field: str, value: str) -> None:
        reference = deposit(client).referenceSignalisation
        page = f"/esav/signalisations/{reference}"
        token = csrf_of(tech.get(page).text)
        if field == "annulation":
            response = tech.http.post(f"{tech.base}{page}/annuler", data={"csrf": token, "texte": value})
        else:
            text, name = (value, "mesure.csv") if field == "complement" else ("Complément", value)
            response = tech.http.post(
                f"{tech.base}{page}/completer",
                data={"csrf": token, "texte": text},
                files=[("pieces", (name, b"dB;-42\n", "text/csv"))],
            )
        page_ok(response, outcomes)
        read_back(portal, reference)
        for link in re.findall(rf'href="({page}/pieces/\d+)"', response.text):
            download = tech.get(link)
            assert download.status_code == 200
            disposition = download.headers.get("Content-Disposition", "")
            assert not any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in disposition), disposition

    portal_property(portal, action, ("complement", "annulation", "nom-piece"), outcomes)
