"""Service ``catalogue`` v2 through a real zeep client over mutual TLS (contract §6)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import zeep
from lxml import etree
from support import CATALOGUE, deposit, fault_code

from gateway.domain.clock import PARIS

CATALOGUE_NS = {"c": "urn:esav:catalogue"}
NOMENCLATURE_NS = {"n": "urn:esav:nomenclature"}
WSDL_NS = {"wsdl": "http://schemas.xmlsoap.org/wsdl/"}
MANIFEST = etree.parse(str(CATALOGUE / "catalogue.xml"))
#: (form code, version) as the manifest declares them, read from the file rather than the library.
FORM_VERSIONS = [
    (f.get("code"), v.get("numero"))
    for f in MANIFEST.getroot().iterfind("c:formulaire", CATALOGUE_NS)
    for v in f.iterfind("c:version", CATALOGUE_NS)
]


@pytest.fixture
def catalogue(live) -> zeep.Client:
    """A zeep client of /esav/v2/catalogue as OPE001."""
    return live.client(service="catalogue")


def statuses(forms, code: str) -> dict[str, str]:
    [form] = [f for f in forms if f.code == code]
    return {v.version: v.statut for v in form.versions.versionFormulaire}


def test_lister_formulaires_lists_every_form_of_the_manifest(catalogue):
    """Without codeOffre, every form comes back in manifest order with its title, offers, namespace and root."""
    forms = catalogue.service.listerFormulaires()
    manifest_forms = MANIFEST.getroot().findall("c:formulaire", CATALOGUE_NS)
    assert [f.code for f in forms] == [m.get("code") for m in manifest_forms]
    assert [f.titre for f in forms] == [m.get("titre") for m in manifest_forms]
    assert [f.offres.codeOffre for f in forms] == [
        [o.get("code") for o in m.findall("c:offre", CATALOGUE_NS)] for m in manifest_forms
    ]
    ftth = forms[0]
    assert (ftth.espaceDeNoms, ftth.elementRacine) == ("urn:esav:formulaire:SIG_FTTH", "signalisationFtth")
    [v1, v2] = ftth.versions.versionFormulaire
    assert (v1.version, v1.dateProduction, v1.dateFinCohabitation) == ("1.0", date(2025, 1, 1), date(2026, 12, 2))
    assert (v2.version, v2.dateProduction, v2.dateFinCohabitation) == ("2.0", date(2026, 11, 2), None)


def test_lister_formulaires_filters_by_offer(catalogue):
    """With codeOffre, only the forms serving that offer are listed."""
    forms = catalogue.service.listerFormulaires(codeOffre="DSL_BITSTREAM")
    assert [f.code for f in forms] == ["SIG_DSL"]
    assert statuses(forms, "SIG_DSL") == {"1.0": "RETIRE", "2.0": "EN_VIGUEUR"}


def test_lister_formulaires_unknown_offer_faults(catalogue):
    """An offer no form serves is refused with REQUETE_INVALIDE naming it."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        catalogue.service.listerFormulaires(codeOffre="SATELLITE")
    assert fault_code(caught.value) == "REQUETE_INVALIDE"
    assert "SATELLITE" in caught.value.message


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (datetime(2026, 11, 1, 23, 59, 59), {"1.0": "EN_VIGUEUR", "2.0": "A_VENIR"}),
        (datetime(2026, 11, 2, 0, 0), {"1.0": "EN_COHABITATION", "2.0": "EN_VIGUEUR"}),
        (datetime(2026, 12, 2, 23, 59, 59), {"1.0": "EN_COHABITATION", "2.0": "EN_VIGUEUR"}),
        (datetime(2026, 12, 3, 0, 0), {"1.0": "RETIRE", "2.0": "EN_VIGUEUR"}),
    ],
    ids=["eve-of-2.0", "2.0-first-instant", "last-cohabitation-second", "day-after"],
)
def test_statuses_follow_the_gateway_clock(live, catalogue, at, expected):
    """SIG_FTTH statuses before, during and after cohabitation follow the injected clock (Paris time)."""
    live.clock.set(at.replace(tzinfo=PARIS))
    assert statuses(catalogue.service.listerFormulaires(codeOffre="FTTH_ACCES"), "SIG_FTTH") == expected


@pytest.mark.parametrize(
    ("at", "status", "accepted"),
    [(datetime(2026, 12, 2, 23, 59), "EN_COHABITATION", True), (datetime(2026, 12, 3, 0, 1), "RETIRE", False)],
)
def test_listed_status_agrees_with_deposits(live, catalogue, at, status, accepted):
    """What listerFormulaires says of SIG_FTTH 1.0 is what a deposit with 1.0 meets at that instant."""
    live.clock.set(at.replace(tzinfo=PARIS))
    assert statuses(catalogue.service.listerFormulaires(), "SIG_FTTH")["1.0"] == status
    if accepted:
        assert deposit(live.client(), "FTTH_ACCES", version="1.0").etat == "EN_DEPOT"
    else:
        with pytest.raises(zeep.exceptions.Fault) as caught:
            deposit(live.client(), "FTTH_ACCES", version="1.0")
        assert fault_code(caught.value) == "FORMULAIRE_VERSION_RETIREE"


@pytest.mark.parametrize(("code", "version"), FORM_VERSIONS)
def test_obtenir_formulaire_returns_the_exact_file(catalogue, code, version):
    """obtenirFormulaire answers the XSD file's text, byte for byte once encoded in UTF-8."""
    answer = catalogue.service.obtenirFormulaire(code, version)
    assert (answer.code, answer.version) == (code, version)
    assert answer.xsd.encode("utf-8") == (CATALOGUE / "forms" / code / f"{version}.xsd").read_bytes()


@pytest.mark.parametrize(("code", "version"), [("SIG_RADIO", "1.0"), ("SIG_FTTH", "3.0")])
def test_obtenir_formulaire_unknown_faults(catalogue, code, version):
    """An unknown form or version is refused with REQUETE_INVALIDE carrying the unknown value."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        catalogue.service.obtenirFormulaire(code, version)
    assert fault_code(caught.value) == "REQUETE_INVALIDE"
    valeur = caught.value.detail.xpath(".//*[local-name()='valeur']/text()")
    assert valeur == [code if code == "SIG_RADIO" else version]


def test_obtenir_nomenclature_returns_the_code_list(catalogue):
    """obtenirNomenclature gives the list's label, offers and every value with its label and start day."""
    source = etree.parse(str(CATALOGUE / "nomenclature" / "DEFAUTS_DSL.xml")).getroot()
    answer = catalogue.service.obtenirNomenclature("DEFAUTS_DSL")
    assert (answer.code, answer.libelle) == ("DEFAUTS_DSL", source.get("libelle"))
    assert answer.offres.codeOffre == source.get("offres").split()
    assert catalogue.service.obtenirNomenclature("GRAVITES").offres is None  # a list common to all offers
    values = answer.valeurs.valeur
    assert [(v.code, v.libelle) for v in values] == [
        (v.get("code"), v.get("libelle")) for v in source.iterfind("n:valeur", NOMENCLATURE_NS)
    ]
    assert {v.code: v.depuis for v in values if v.depuis} == {
        "LATENCE_ELEVEE": date(2026, 5, 4),
        "PERTE_PAQUETS": date(2026, 5, 4),
        "PROFIL_NON_CONFORME": date(2026, 5, 4),
    }


def test_obtenir_nomenclature_value_offers(catalogue):
    """A list specific to some offers, and each value restricted to some offers, carry those offers."""
    source = etree.parse(str(CATALOGUE / "nomenclature" / "TYPES_TEST.xml")).getroot()
    expected = {v.get("code"): (v.get("offres") or "").split() for v in source.iterfind("n:valeur", NOMENCLATURE_NS)}
    assert any(expected.values()), "TYPES_TEST should have offer-specific values"
    answer = catalogue.service.obtenirNomenclature("TYPES_TEST")
    assert {v.code: (v.offres.codeOffre if v.offres else []) for v in answer.valeurs.valeur} == expected
    assert answer.offres.codeOffre == source.get("offres").split()
    assert catalogue.service.obtenirNomenclature("GRAVITES").offres is None  # a list common to all offers


def test_obtenir_nomenclature_unknown_faults(catalogue):
    """An unknown code list is refused with REQUETE_INVALIDE naming it."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        catalogue.service.obtenirNomenclature("DEFAUTS_SATELLITE")
    assert fault_code(caught.value) == "REQUETE_INVALIDE"
    assert "DEFAUTS_SATELLITE" in caught.value.message


def test_operator_without_validated_domain_may_read_the_catalogue(live):
    """OPE003, subscribed to e-SAV intégré but validated for no domain, reads the catalogue."""
    forms = live.client("OPE003", service="catalogue").service.listerFormulaires()
    assert len(forms) == len(MANIFEST.getroot().findall("c:formulaire", CATALOGUE_NS))


def test_operator_without_esav_integre_is_refused(live):
    """An operator not subscribed to e-SAV intégré gets NON_HABILITE from the catalogue too."""
    live.gateway.admin.update_operator("OPE003", esav_en_ligne=True, esav_integre=False)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client("OPE003", service="catalogue").service.listerFormulaires()
    assert fault_code(caught.value) == "NON_HABILITE"


def test_wsdl_declares_the_typed_fault_on_every_operation(live):
    """The catalogue WSDL has the three operations of §6, each declaring the erreurEsav fault."""
    wsdl = etree.fromstring(live.session().get(live.url("catalogue") + "?wsdl", timeout=10).content)
    operations = wsdl.findall("wsdl:portType/wsdl:operation", WSDL_NS)
    assert sorted(o.get("name") for o in operations) == [
        "listerFormulaires",
        "obtenirFormulaire",
        "obtenirNomenclature",
    ]
    for operation in operations:
        assert operation.find("wsdl:fault", WSDL_NS) is not None, operation.get("name")
    assert wsdl.get("targetNamespace") == "urn:esav:catalogue:v2"
