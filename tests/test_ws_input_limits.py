"""Every string a caller sends has a declared maximum, and no fault repeats a huge input.

A request past a maximum is refused while spyne validates the envelope (REQUETE_INVALIDE naming the
field), before any work; a fault quotes at most the first 100 characters of a value, whoever wrote
the message (the gateway, libxml2 or spyne).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import zeep
from lxml import etree
from support import REPO, deposit, example_form, fault_code

from gateway.errors import QUOTE_LIMIT, InvalidRequestError, quote

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
#: Multi-megabyte, under the 8 MB body limit: refused by the contract, not by the size of the request.
BIG = 3 * 1024 * 1024
#: An answer to a refused huge value stays this small.
SMALL_ANSWER = 4096
#: The contracts whose inputs an operator sends. ``notification.wsdl`` is left out: its input is the
#: provider's own event, sent to the operator's endpoint, not something the gateway receives.
CONTRACTS = ["v1/signalisation.wsdl", "v2/signalisation.wsdl", "v2/catalogue.wsdl", "v2/rendezvous.wsdl",
             "v2/test.wsdl"]  # fmt: skip
#: Inputs that are not strings, or are bounded otherwise: attachment content by the body size
#: (``max_body_bytes``) and 5 MB each; the form (``xs:any``) by the body size and its own XSD.
NOT_STRINGS = {"integer", "int", "long", "dateTime", "date", "boolean", "base64Binary"}


def _local(qname: str) -> str:
    return qname.rpartition(":")[2]


def _unbounded_strings(path: Path) -> list[str]:
    """The input fields of a contract typed as a string with no maximum (``operation/field``)."""
    root = etree.parse(str(path)).getroot()
    schema = {(child.tag, child.get("name")): child for s in root.iter(f"{{{XS}}}schema") for child in s}
    messages = {m.get("name"): m for m in root.iter(f"{{{WSDL}}}message")}
    found: list[str] = []

    def check_simple(where: str, type_name: str) -> None:
        simple = schema.get((f"{{{XS}}}simpleType", type_name))
        if simple is None:
            found.append(f"{where}: type {type_name} not found")
            return
        facets = {etree.QName(f).localname: f.get("value") for f in simple.iter() if f.getparent() is not None}
        pattern = facets.get("pattern") or ""
        bounded_pattern = pattern and not any(token in pattern for token in ("*", "+", ",}"))
        if not ({"maxLength", "length", "enumeration"} & facets.keys() or bounded_pattern):
            found.append(f"{where}: {type_name} has no maximum")

    def walk(where: str, complex_name: str, seen: frozenset[str]) -> None:
        if complex_name in seen:
            return
        complex_type = schema[(f"{{{XS}}}complexType", complex_name)]
        for field in complex_type.iter(f"{{{XS}}}element", f"{{{XS}}}attribute"):
            name = field.get("name") if field.tag.endswith("element") else "@" + str(field.get("name"))
            type_ = field.get("type")
            if type_ is None:
                found.append(f"{where}/{name}: anonymous type")
                continue
            local = _local(type_)
            if type_.startswith("xs:"):
                if local not in NOT_STRINGS:
                    found.append(f"{where}/{name}: {type_}")
            elif (f"{{{XS}}}complexType", local) in schema:
                walk(f"{where}/{name}", local, seen | {complex_name})
            else:
                check_simple(f"{where}/{name}", local)

    for operation in root.iter(f"{{{WSDL}}}portType"):
        for op in operation.iter(f"{{{WSDL}}}operation"):
            message = messages[_local(op.find(f"{{{WSDL}}}input").get("message"))]
            for part in message.iter(f"{{{WSDL}}}part"):
                element = schema[(f"{{{XS}}}element", _local(part.get("element")))]
                walk(op.get("name"), _local(element.get("type")), frozenset())
    return found


@pytest.mark.parametrize("contract", CONTRACTS)
def test_every_input_string_of_the_contract_has_a_maximum(contract):
    """Each string an operation takes (elements and attributes, nested ones too) declares a maximum."""
    assert _unbounded_strings(REPO / "wsdl" / contract) == []


def _measured_client(live, version="v2"):
    """A zeep client over mutual TLS, and the sizes of the answers it receives."""
    sizes: list[int] = []
    session = live.session("OPE001")
    session.hooks["response"].append(lambda response, *args, **kwargs: sizes.append(len(response.content)))
    return zeep.Client(live.url("signalisation", version) + "?wsdl", transport=zeep.Transport(session=session)), sizes


def _huge_reference(client):
    client.service.consulterEtatSignalisation("S" * BIG)


def _huge_mime_type(client):
    attachment = {"nom": "releve.txt", "typeMime": "S" * BIG, "contenu": b"mesures"}
    deposit(client, piecesJointes={"pieceJointe": [attachment]})


def _huge_form_code(client):
    client.service.deposerSignalisation(
        identifiantPrestation="0140000001", codeOffre="CUIVRE_DEGROUPAGE", gravite="MAJEURE",
        formulaire={"code": "S" * BIG, "version": "1.0", "_value_1": example_form("SIG_CUIVRE")},
    )  # fmt: skip


def _huge_form_version(client):
    deposit(client, version="S" * BIG, form=example_form("SIG_CUIVRE"))


@pytest.mark.parametrize(
    ("version", "call", "field"),
    [
        ("v2", _huge_reference, "referenceSignalisation"),
        ("v1", _huge_reference, "referenceSignalisation"),
        ("v2", _huge_mime_type, "typeMime"),
        ("v1", _huge_mime_type, "typeMime"),
        ("v2", _huge_form_code, "formulaire/@code"),
        ("v1", _huge_form_code, "formulaire/@code"),
        ("v2", _huge_form_version, "formulaire/@version"),
    ],
)
def test_multi_megabyte_value_gets_a_small_requete_invalide_naming_the_field(live, version, call, field):
    """3 MB in a bounded field: a REQUETE_INVALIDE of a few hundred bytes naming it; the gateway serves on."""
    client, sizes = _measured_client(live, version)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        call(client)
    ns = {"e": f"urn:esav:signalisation:{version}"}
    assert fault_code(caught.value) == "REQUETE_INVALIDE"
    assert caught.value.detail.xpath("string(.//e:chemin)", namespaces=ns).endswith(field)
    assert field.rpartition("@")[2] in caught.value.message  # the message names the field too
    assert sizes[-1] < SMALL_ANSWER
    assert live.gateway.store.get_ticket("SIG00000001") is None  # nothing was stored
    # Still serving, on the same connection.
    assert deposit(client).etat == "EN_DEPOT"


def _envelope(version: str, operation: str, inner: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:t="urn:esav:signalisation:{version}"><soap:Body>'
        f"<t:{operation}>{inner}</t:{operation}></soap:Body></soap:Envelope>"
    ).encode()


def _form_with_huge_code_defaut() -> str:
    form = copy.deepcopy(example_form("SIG_CUIVRE"))
    form.find(".//{urn:esav:formulaire:SIG_CUIVRE}codeDefaut").text = "S" * BIG
    return etree.tostring(form, encoding="unicode")


#: Values that libraries (libxml2, spyne) or the form validation quote in their messages.
QUOTED_BY_LIBRARIES = {
    "enumeration (gravite)": (
        "v2",
        "deposerSignalisation",
        "<t:identifiantPrestation>0140000001</t:identifiantPrestation><t:codeOffre>CUIVRE_DEGROUPAGE</t:codeOffre>"
        f"<t:gravite>{'S' * BIG}</t:gravite><t:formulaire code='SIG_CUIVRE' version='1.0'/>",
        "REQUETE_INVALIDE",
    ),
    "pattern (v1 date)": ("v1", "consulterHistorique", f"<t:dateDebut>{'S' * BIG}</t:dateDebut>", "REQUETE_INVALIDE"),
    "integer (numeroPage)": (
        "v2",
        "consulterHistorique",
        f"<t:dateDebut>2026-11-01T00:00:00+01:00</t:dateDebut><t:numeroPage>{'5' * 200_000}</t:numeroPage>",
        "REQUETE_INVALIDE",
    ),
    "form field (codeDefaut)": (
        "v2",
        "deposerSignalisation",
        "<t:identifiantPrestation>0140000001</t:identifiantPrestation><t:codeOffre>CUIVRE_DEGROUPAGE</t:codeOffre>"
        "<t:gravite>MAJEURE</t:gravite><t:formulaire code='SIG_CUIVRE' version='1.0'>"
        + _form_with_huge_code_defaut()
        + "</t:formulaire>",
        "FORMULAIRE_INVALIDE",
    ),
}


@pytest.mark.parametrize("case", sorted(QUOTED_BY_LIBRARIES))
def test_fault_quotes_at_most_the_first_hundred_characters_of_a_value(live, case):
    """A huge value a library's message quotes comes back cut to 100 characters, in a small answer."""
    version, operation, inner, code = QUOTED_BY_LIBRARIES[case]
    answer = live.session("OPE001").post(
        live.url("signalisation", version),
        data=_envelope(version, operation, inner),
        headers={"Content-Type": "text/xml; charset=utf-8"},
    )
    assert answer.status_code == 500 and len(answer.content) < SMALL_ANSWER
    ns = f"urn:esav:signalisation:{version}"
    assert etree.fromstring(answer.content).findtext(f".//{{{ns}}}erreurEsav/{{{ns}}}code") == code
    filler = answer.content.count(b"S" * QUOTE_LIMIT) or answer.content.count(b"5" * QUOTE_LIMIT)
    assert filler >= 1  # the value is quoted...
    assert b"S" * (QUOTE_LIMIT + 1) not in answer.content and b"5" * (QUOTE_LIMIT + 1) not in answer.content


def test_errors_quote_and_keep_at_most_the_first_hundred_characters():
    """``quote`` keeps 100 characters and marks the cut; an error's ``valeur`` is cut the same way."""
    assert quote("SIG00000001") == "SIG00000001"
    assert quote("é" * 150) == "é" * QUOTE_LIMIT + "…"
    error = InvalidRequestError(f"Signalisation {quote('X' * 5000)} inconnue.", valeur="X" * 5000)
    assert error.valeur == "X" * QUOTE_LIMIT + "…"
    assert len(error.libelle) < 2 * QUOTE_LIMIT
