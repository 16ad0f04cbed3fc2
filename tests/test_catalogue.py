"""The form catalogue: data files, version statuses, deposit checks, load-time refusals."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

import gateway.catalogue as catalogue_pkg
from gateway.catalogue import Catalogue, VersionStatus, default_catalogue_root
from gateway.domain.clock import PARIS
from gateway.errors import CatalogueError, FormInvalidError, FormVersionRetiredError, UnknownCodeError

ROOT = default_catalogue_root()
XS = "{http://www.w3.org/2001/XMLSchema}"
NOM = "{urn:esav:nomenclature}"
DEMO_DAY = datetime(2026, 11, 22, 10, 0, tzinfo=PARIS)

CATALOGUE = Catalogue.load(ROOT)
FORM_VERSIONS = [(f.code, v.version) for f in CATALOGUE.forms() for v in f.versions]
EXPECTED_FORM_VERSIONS = [
    ("SIG_FTTH", "1.0"),
    ("SIG_FTTH", "2.0"),
    ("SIG_CUIVRE", "1.0"),
    ("SIG_DSL", "1.0"),
    ("SIG_DSL", "2.0"),
    ("SIG_LFO", "1.0"),
    ("SIG_ETHERNET", "1.0"),
]


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def example(code: str, version: str) -> etree._Element:
    return etree.fromstring(CATALOGUE.example(code, version))


def xsd_tree(code: str, version: str) -> etree._Element:
    return etree.fromstring(CATALOGUE.xsd_text(code, version).encode())


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the real catalogue folder."""
    target = tmp_path / "catalogue"
    shutil.copytree(ROOT, target)
    return target


def add_version(root: Path, code: str, version: str, production: str, copy_from: str) -> None:
    """Declare a new version in the manifest of ``root`` and give it a copy of an existing XSD."""
    manifest = root / "catalogue.xml"
    text = manifest.read_text(encoding="utf-8")
    anchor = f'<formulaire code="{code}"'
    start = text.index(anchor)
    end = text.index("</formulaire>", start)
    line = f'  <version numero="{version}" dateProduction="{production}"/>\n  '
    manifest.write_text(text[:end] + line + text[end:], encoding="utf-8")
    forms = root / "forms" / code
    shutil.copy(forms / f"{copy_from}.xsd", forms / f"{version}.xsd")


# -- the shipped data ------------------------------------------------------------------------


def test_public_names_are_exported() -> None:
    """Every name in gateway.catalogue.__all__ exists and the public API is all there."""
    for name in catalogue_pkg.__all__:
        assert hasattr(catalogue_pkg, name), name
    assert {"Catalogue", "VersionStatus", "default_catalogue_root"} <= set(catalogue_pkg.__all__)


def test_default_root_is_the_repository_catalogue() -> None:
    """default_catalogue_root() is the checkout's catalogue/ folder holding the manifest."""
    assert Path(__file__).resolve().parents[1] / "catalogue" == ROOT
    assert (ROOT / "catalogue.xml").is_file()


def test_manifest_lists_the_demo_forms_and_versions() -> None:
    """The manifest holds the five demo forms with the versions and dates the demo relies on."""
    assert FORM_VERSIONS == EXPECTED_FORM_VERSIONS
    ftth = CATALOGUE.form("SIG_FTTH")
    assert [v.date_production for v in ftth.versions] == [date(2025, 1, 1), date(2026, 11, 2)]
    assert CATALOGUE.form("SIG_DSL").versions[1].date_production == date(2026, 5, 4)


@pytest.mark.parametrize(
    ("code_offre", "code", "racine"),
    [
        ("FTTH_ACCES", "SIG_FTTH", "signalisationFtth"),
        ("CUIVRE_DEGROUPAGE", "SIG_CUIVRE", "signalisationCuivre"),
        ("DSL_BITSTREAM", "SIG_DSL", "signalisationDsl"),
        ("FIBRE_LFO", "SIG_LFO", "signalisationLfo"),
        ("ETHERNET_CE2O", "SIG_ETHERNET", "signalisationEthernet"),
    ],
)
def test_form_for_offer(code_offre: str, code: str, racine: str) -> None:
    """Each demo offer is served by its form, whose root element is in urn:esav:formulaire:{CODE}."""
    form = CATALOGUE.form_for_offer(code_offre)
    assert (form.code, form.racine, form.namespace) == (code, racine, f"urn:esav:formulaire:{code}")


def test_form_for_unknown_offer() -> None:
    """An offer no form serves raises UnknownCodeError naming it."""
    with pytest.raises(UnknownCodeError) as caught:
        CATALOGUE.form_for_offer("OFFRE_INCONNUE")
    assert caught.value.valeur == "OFFRE_INCONNUE"


@pytest.mark.parametrize(("code", "version"), EXPECTED_FORM_VERSIONS)
def test_example_is_valid(code: str, version: str) -> None:
    """Each form version's example instance is valid against its XSD."""
    CATALOGUE.validate(code, version, example(code, version))


@pytest.mark.parametrize(("code", "version"), EXPECTED_FORM_VERSIONS)
def test_example_size_is_realistic(code: str, version: str) -> None:
    """Examples are of the size of a real deposit (1 to 3 KB)."""
    assert 1000 <= len(CATALOGUE.example(code, version)) <= 3072


@pytest.mark.parametrize(("code", "version"), EXPECTED_FORM_VERSIONS)
def test_enumerations_equal_their_nomenclature(code: str, version: str) -> None:
    """Every enumeration names a code list and equals it as it stood on the version's production day."""
    production = CATALOGUE.form(code).get_version(version).date_production
    enumerated = [
        t
        for t in xsd_tree(code, version).iter(f"{XS}simpleType")
        if t.find(f"{XS}restriction/{XS}enumeration") is not None
    ]
    assert enumerated
    for simple_type in enumerated:
        list_code = simple_type.findtext(f"{XS}annotation/{XS}appinfo/{NOM}nomenclature")
        assert list_code, f"{simple_type.get('name')} does not name its code list"
        values = [e.get("value") for e in simple_type.iter(f"{XS}enumeration")]
        expected = [v.code for v in CATALOGUE.nomenclature(list_code).values_at(production)]
        assert values == expected, simple_type.get("name")


@pytest.mark.parametrize(("code", "version"), EXPECTED_FORM_VERSIONS)
def test_every_element_has_a_french_label(code: str, version: str) -> None:
    """Every element declaration carries an xs:documentation label."""
    for element in xsd_tree(code, version).iter(f"{XS}element"):
        assert element.findtext(f"{XS}annotation/{XS}documentation", "").strip(), element.get("name")


def test_dsl_2_widens_the_fault_codes() -> None:
    """SIG_DSL 2.0 accepts a fault code that 1.0 does not know."""
    payload = example("SIG_DSL", "1.0")
    payload.find(".//{*}codeDefaut").text = "LATENCE_ELEVEE"
    CATALOGUE.validate("SIG_DSL", "2.0", payload)
    with pytest.raises(FormInvalidError):
        CATALOGUE.validate("SIG_DSL", "1.0", payload)


def test_ftth_2_requires_the_market_segment() -> None:
    """SIG_FTTH 2.0 refuses a form without segmentMarche, which 1.0 did not have."""
    payload = example("SIG_FTTH", "1.0")
    CATALOGUE.validate("SIG_FTTH", "1.0", payload)
    with pytest.raises(FormInvalidError) as caught:
        CATALOGUE.validate("SIG_FTTH", "2.0", payload)
    assert "segmentMarche" in caught.value.details[0].libelle


def test_xsd_text_is_the_exact_file() -> None:
    """xsd_text returns the file's text unchanged."""
    path = ROOT / "forms" / "SIG_FTTH" / "2.0.xsd"
    assert CATALOGUE.xsd_text("SIG_FTTH", "2.0") == path.read_text(encoding="utf-8")
    assert CATALOGUE.xsd_path("SIG_FTTH", "2.0") == path


def test_unknown_version_files() -> None:
    """Asking for the XSD or example of an unknown version raises UnknownCodeError."""
    with pytest.raises(UnknownCodeError):
        CATALOGUE.xsd_text("SIG_FTTH", "9.0")
    with pytest.raises(UnknownCodeError):
        CATALOGUE.example("SIG_INCONNU", "1.0")


# -- code lists ------------------------------------------------------------------------------


def test_nomenclature_lists_and_text() -> None:
    """A code list has its code, label and values in file order; its XML is the exact file."""
    gravites = CATALOGUE.nomenclature("GRAVITES")
    assert gravites.codes() == ("MINEURE", "MAJEURE", "CRITIQUE")
    assert gravites.libelle_of("CRITIQUE") == "Critique"
    path = ROOT / "nomenclature" / "GRAVITES.xml"
    assert CATALOGUE.nomenclature_xml("GRAVITES") == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("list_code", "value", "present"),
    [
        ("CODES_CLOTURE", "ANNULATION_OPERATEUR", True),
        ("CODES_CLOTURE", "DELAI_REPONSE_EXPIRE", True),
        ("MOTIFS_REJET", "DOUBLON", True),
        ("MOTIFS_GEL", "ATTENTE_RENDEZ_VOUS", True),
        ("MOTIFS_REJET", "ANNULATION_OPERATEUR", False),
        ("CODES_CLOTURE", "annulation_operateur", False),
    ],
)
def test_has_value(list_code: str, value: str, present: bool) -> None:
    """has_value tells whether a code list holds a value, exactly (case matters)."""
    assert CATALOGUE.has_value(list_code, value) is present


def test_unknown_nomenclature() -> None:
    """An unknown code list raises UnknownCodeError."""
    with pytest.raises(UnknownCodeError):
        CATALOGUE.has_value("LISTE_INCONNUE", "X")
    with pytest.raises(UnknownCodeError):
        CATALOGUE.nomenclature_xml("LISTE_INCONNUE")


def test_test_types_are_per_activated_offer() -> None:
    """TYPES_TEST holds values per activated offer and none for a passive one."""
    types = CATALOGUE.nomenclature("TYPES_TEST")
    assert "MESURE_PUISSANCE_OPTIQUE" in [v.code for v in types.values_for_offer("FTTH_ACCES")]
    assert "SYNCHRONISATION" not in [v.code for v in types.values_for_offer("FTTH_ACCES")]
    assert types.values_for_offer("CUIVRE_DEGROUPAGE") == ()


# -- statuses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "v1", "v2"),
    [
        (paris(2026, 11, 1, 23, 59, 59), VersionStatus.EN_VIGUEUR, VersionStatus.A_VENIR),
        (paris(2026, 11, 2, 0, 0), VersionStatus.EN_COHABITATION, VersionStatus.EN_VIGUEUR),
        (DEMO_DAY, VersionStatus.EN_COHABITATION, VersionStatus.EN_VIGUEUR),
        (paris(2026, 12, 2, 23, 59, 59), VersionStatus.EN_COHABITATION, VersionStatus.EN_VIGUEUR),
        (paris(2026, 12, 3, 0, 0), VersionStatus.RETIRE, VersionStatus.EN_VIGUEUR),
        # 23:30 UTC on 2 December is already 3 December in Paris.
        (datetime(2026, 12, 2, 23, 30, tzinfo=UTC), VersionStatus.RETIRE, VersionStatus.EN_VIGUEUR),
        (datetime(2026, 12, 2, 22, 59, tzinfo=UTC), VersionStatus.EN_COHABITATION, VersionStatus.EN_VIGUEUR),
    ],
)
def test_ftth_statuses_around_cohabitation(at: datetime, v1: VersionStatus, v2: VersionStatus) -> None:
    """SIG_FTTH 1.0 is accepted through 2026-12-02 (Paris) and retired from 2026-12-03 00:00 Paris."""
    assert (CATALOGUE.status("SIG_FTTH", "1.0", at), CATALOGUE.status("SIG_FTTH", "2.0", at)) == (v1, v2)


def test_cohabitation_end_is_derived() -> None:
    """A version's last day is one calendar month after its successor's production day."""
    ftth, dsl = CATALOGUE.form("SIG_FTTH"), CATALOGUE.form("SIG_DSL")
    assert ftth.versions[0].date_fin_cohabitation == date(2026, 12, 2)
    assert ftth.versions[1].date_fin_cohabitation is None
    assert dsl.versions[0].date_fin_cohabitation == date(2026, 6, 4)


def test_before_first_production() -> None:
    """Before its production day a form has no version in force and its first one is A_VENIR."""
    at = paris(2024, 12, 31, 23, 59)
    assert CATALOGUE.status("SIG_CUIVRE", "1.0", at) is VersionStatus.A_VENIR
    assert CATALOGUE.version_in_force("SIG_CUIVRE", at) is None
    assert CATALOGUE.accepted_versions("SIG_CUIVRE", at) == ()


def test_versions_on_demo_day() -> None:
    """On the demo day SIG_DSL 1.0 is retired, and SIG_FTTH accepts 1.0 and 2.0 with 2.0 in force."""
    assert CATALOGUE.status("SIG_DSL", "1.0", DEMO_DAY) is VersionStatus.RETIRE
    assert CATALOGUE.version_in_force("SIG_DSL", DEMO_DAY) == "2.0"
    assert CATALOGUE.accepted_versions("SIG_FTTH", DEMO_DAY) == ("1.0", "2.0")
    assert CATALOGUE.version_in_force("SIG_FTTH", DEMO_DAY) == "2.0"
    assert CATALOGUE.version_in_force("SIG_FTTH", paris(2026, 11, 1, 12, 0)) == "1.0"


def test_status_of_unknown_version() -> None:
    """Asking the status of an unknown version raises UnknownCodeError."""
    with pytest.raises(UnknownCodeError):
        CATALOGUE.status("SIG_FTTH", "3.0", DEMO_DAY)


def test_naive_datetime_is_refused() -> None:
    """A naive datetime is a programming error: ValueError, not a silent guess of the zone."""
    with pytest.raises(ValueError, match="fuseau"):
        CATALOGUE.status("SIG_FTTH", "1.0", datetime(2026, 11, 22, 10, 0))


# -- deposits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code_offre", "code", "version"),
    [
        ("FTTH_ACCES", "SIG_FTTH", "1.0"),
        ("FTTH_ACCES", "SIG_FTTH", "2.0"),
        ("CUIVRE_DEGROUPAGE", "SIG_CUIVRE", "1.0"),
        ("DSL_BITSTREAM", "SIG_DSL", "2.0"),
        ("FIBRE_LFO", "SIG_LFO", "1.0"),
        ("ETHERNET_CE2O", "SIG_ETHERNET", "1.0"),
    ],
)
def test_deposit_accepted(code_offre: str, code: str, version: str) -> None:
    """On the demo day a valid form of an accepted version passes check_deposit."""
    CATALOGUE.check_deposit(code_offre, code, version, example(code, version), DEMO_DAY)


def test_deposit_with_retired_version_names_version_in_force() -> None:
    """A retired version raises FormVersionRetiredError naming the version in force."""
    with pytest.raises(FormVersionRetiredError) as caught:
        CATALOGUE.check_deposit("DSL_BITSTREAM", "SIG_DSL", "1.0", example("SIG_DSL", "1.0"), DEMO_DAY)
    assert caught.value.code == "FORMULAIRE_VERSION_RETIREE"
    assert caught.value.valeur == "2.0"
    assert "2.0" in caught.value.libelle
    assert "04/06/2026" in caught.value.libelle


def test_deposit_on_last_day_of_cohabitation_then_retired() -> None:
    """SIG_FTTH 1.0 is still accepted at 23:59 on its last day and refused one minute later."""
    payload = example("SIG_FTTH", "1.0")
    CATALOGUE.check_deposit("FTTH_ACCES", "SIG_FTTH", "1.0", payload, paris(2026, 12, 2, 23, 59))
    with pytest.raises(FormVersionRetiredError) as caught:
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_FTTH", "1.0", payload, paris(2026, 12, 3, 0, 0))
    assert caught.value.valeur == "2.0"


def test_deposit_with_form_of_another_offer() -> None:
    """A form that does not serve the prestation's offer is refused, naming the right form."""
    with pytest.raises(FormInvalidError) as caught:
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_DSL", "2.0", example("SIG_DSL", "2.0"), DEMO_DAY)
    assert "SIG_DSL" in caught.value.libelle
    assert "FTTH_ACCES" in caught.value.libelle
    assert "SIG_FTTH" in caught.value.libelle


def test_deposit_with_unknown_form_or_version() -> None:
    """An unknown form code or version number is FORMULAIRE_INVALIDE, not an internal error."""
    with pytest.raises(FormInvalidError, match="SIG_INCONNU"):
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_INCONNU", "1.0", example("SIG_FTTH", "1.0"), DEMO_DAY)
    with pytest.raises(FormInvalidError, match=r"3\.0"):
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_FTTH", "3.0", example("SIG_FTTH", "1.0"), DEMO_DAY)


def test_deposit_with_version_not_yet_in_production() -> None:
    """A version before its production day is refused, saying when it enters production."""
    with pytest.raises(FormInvalidError) as caught:
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_FTTH", "2.0", example("SIG_FTTH", "2.0"), paris(2026, 10, 15, 9, 0))
    assert not isinstance(caught.value, FormVersionRetiredError)
    assert "pas encore en production" in caught.value.libelle
    assert "02/11/2026" in caught.value.libelle


@pytest.mark.parametrize(
    "xml",
    [
        b'<signalisationFtth xmlns="urn:esav:formulaire:SIG_DSL"/>',
        b'<signalisationFtth xmlns="urn:autre"/>',
        b"<signalisationFtth/>",
        b'<signalisationDsl xmlns="urn:esav:formulaire:SIG_FTTH"/>',
    ],
)
def test_deposit_with_wrong_root_element(xml: bytes) -> None:
    """A payload whose root is not the form's element in the form's namespace is refused."""
    with pytest.raises(FormInvalidError, match="racine"):
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_FTTH", "1.0", etree.fromstring(xml), DEMO_DAY)


def test_deposit_without_payload() -> None:
    """An empty formulaire (no element) is refused as FORMULAIRE_INVALIDE."""
    with pytest.raises(FormInvalidError, match="vide"):
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_FTTH", "1.0", None, DEMO_DAY)


def three_errors() -> etree._Element:
    """The SIG_FTTH 2.0 example with a bad phone, a bad impact code and no codeInsee."""
    payload = example("SIG_FTTH", "2.0")
    payload.find("{*}contactSite/{*}telephone").text = "06-12-34"
    payload.find("{*}defaut/{*}impact").text = "PANNE"
    equipements = payload.find("{*}equipements")
    # codeInsee is the last mandatory child once the optional hexacle after it is gone too.
    equipements.remove(equipements.find("{*}codeInsee"))
    equipements.remove(equipements.find("{*}hexacle"))
    return payload


def test_invalid_payload_lists_every_error_with_readable_paths() -> None:
    """Every schema error is listed with a path without prefixes; chemin is the first one's."""
    with pytest.raises(FormInvalidError) as caught:
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_FTTH", "2.0", three_errors(), DEMO_DAY)
    error = caught.value
    assert error.code == "FORMULAIRE_INVALIDE"
    assert [d.chemin for d in error.details] == [
        "/signalisationFtth/defaut/impact",
        "/signalisationFtth/equipements",
        "/signalisationFtth/contactSite/telephone",
    ]
    assert error.chemin == "/signalisationFtth/defaut/impact"
    impact, equipements, telephone = (d.libelle for d in error.details)
    assert "PANNE" in impact and "COUPURE" in impact
    assert "codeInsee" in equipements and "urn:" not in equipements
    assert "06-12-34" in telephone and "[1-9][0-9]{8}" in telephone


def test_payload_inside_an_envelope_is_validated_alone() -> None:
    """A form still inside its SOAP envelope is validated as a subtree, with paths from its root."""
    envelope = etree.fromstring(
        b'<e:Envelope xmlns:e="urn:e"><e:Body><e:formulaire code="SIG_FTTH" version="2.0"/></e:Body></e:Envelope>'
    )
    envelope[0][0].append(three_errors())
    payload = envelope[0][0][0]
    with pytest.raises(FormInvalidError) as caught:
        CATALOGUE.check_deposit("FTTH_ACCES", "SIG_FTTH", "2.0", payload, DEMO_DAY)
    assert len(caught.value.details) == 3
    assert caught.value.chemin == "/signalisationFtth/defaut/impact"


def test_paths_index_repeated_elements_and_ignore_prefixes() -> None:
    """Repeated siblings get [n] in the path, and a prefixed payload gives the same paths."""
    text = CATALOGUE.example("SIG_FTTH", "1.0").decode()
    text = text.replace('xmlns="urn:esav:formulaire:SIG_FTTH"', 'xmlns:f="urn:esav:formulaire:SIG_FTTH"')
    text = text.replace("<", "<f:").replace("<f:/", "</f:").replace("<f:?xml", "<?xml")
    payload = etree.fromstring(text.encode())
    payload.findall("{*}disponibilites/{*}creneau")[1].find("{*}fin").text = "demain"
    with pytest.raises(FormInvalidError) as caught:
        CATALOGUE.validate("SIG_FTTH", "1.0", payload)
    assert [d.chemin for d in caught.value.details] == ["/signalisationFtth/disponibilites/creneau[2]/fin"]
    assert "demain" in caught.value.details[0].libelle


def test_validation_is_thread_safe() -> None:
    """Threads validating valid and invalid forms at once each see only their own errors."""
    failures: list[str] = []
    barrier = threading.Barrier(8)

    def work(index: int) -> None:
        barrier.wait()
        for round_ in range(200):
            bad = (index + round_) % 2 == 0
            payload = three_errors() if bad else example("SIG_FTTH", "2.0")
            try:
                CATALOGUE.validate("SIG_FTTH", "2.0", payload)
                if bad:
                    failures.append("invalid form accepted")
            except FormInvalidError as exc:
                if not bad or len(exc.details) != 3:
                    failures.append(f"wrong errors: {exc.details}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


# -- load-time refusals ----------------------------------------------------------------------


def test_three_concurrent_versions_are_refused(catalogue_copy: Path) -> None:
    """A version entering production while two earlier ones are accepted makes the load fail."""
    add_version(catalogue_copy, "SIG_FTTH", "3.0", "2026-12-02", copy_from="2.0")
    with pytest.raises(CatalogueError) as caught:
        Catalogue.load(catalogue_copy)
    message = caught.value.libelle
    assert "catalogue.xml" in message
    assert "1.0, 2.0 et 3.0" in message


def test_next_version_after_cohabitation_is_accepted(catalogue_copy: Path) -> None:
    """A third version entering production the day after the first one's last day loads fine."""
    add_version(catalogue_copy, "SIG_FTTH", "3.0", "2026-12-03", copy_from="2.0")
    loaded = Catalogue.load(catalogue_copy)
    at = paris(2026, 12, 3, 0, 0)
    assert loaded.accepted_versions("SIG_FTTH", at) == ("2.0", "3.0")
    assert loaded.status("SIG_FTTH", "1.0", at) is VersionStatus.RETIRE


def test_cohabitation_end_clamps_to_month_end(catalogue_copy: Path) -> None:
    """One month after 31 January is the last day of February."""
    add_version(catalogue_copy, "SIG_CUIVRE", "2.0", "2027-01-31", copy_from="1.0")
    loaded = Catalogue.load(catalogue_copy)
    assert loaded.form("SIG_CUIVRE").versions[0].date_fin_cohabitation == date(2027, 2, 28)


def test_versions_out_of_order_are_refused(catalogue_copy: Path) -> None:
    """A version numbered higher but produced earlier than another is refused."""
    add_version(catalogue_copy, "SIG_CUIVRE", "2.0", "2024-06-01", copy_from="1.0")
    with pytest.raises(CatalogueError, match="ordre"):
        Catalogue.load(catalogue_copy)


def test_missing_form_file_is_named(catalogue_copy: Path) -> None:
    """A manifest version without its XSD file fails the load, naming the file."""
    (catalogue_copy / "forms" / "SIG_LFO" / "1.0.xsd").unlink()
    with pytest.raises(CatalogueError, match=r"SIG_LFO/1\.0\.xsd"):
        Catalogue.load(catalogue_copy)


def test_malformed_xml_names_file_and_line(catalogue_copy: Path) -> None:
    """A malformed catalogue file fails the load with its path and line number."""
    path = catalogue_copy / "nomenclature" / "GRAVITES.xml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("/>", ">")
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"GRAVITES\.xml:\d+: XML mal formé"):
        Catalogue.load(catalogue_copy)


def test_manifest_not_matching_its_format_names_the_line(catalogue_copy: Path) -> None:
    """A manifest with a bad production date fails the load at that line."""
    manifest = catalogue_copy / "catalogue.xml"
    text = manifest.read_text(encoding="utf-8").replace('"2026-05-04"', '"04/05/2026"')
    manifest.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "04/05/2026" in t)
    with pytest.raises(CatalogueError, match=rf"catalogue\.xml:{line}:"):
        Catalogue.load(catalogue_copy)


def test_doctype_is_refused(catalogue_copy: Path) -> None:
    """A catalogue file with a DOCTYPE (entities) is refused, and no entity is expanded."""
    path = catalogue_copy / "nomenclature" / "IMPACTS.xml"
    text = path.read_text(encoding="utf-8").replace(
        "<nomenclature", '<!DOCTYPE n [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<nomenclature', 1
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match="DOCTYPE"):
        Catalogue.load(catalogue_copy)


def test_form_namespace_must_follow_the_rule(catalogue_copy: Path) -> None:
    """A form XSD whose target namespace is not urn:esav:formulaire:{CODE} is refused."""
    path = catalogue_copy / "forms" / "SIG_LFO" / "1.0.xsd"
    path.write_text(path.read_text(encoding="utf-8").replace("SIG_LFO", "SIG_AUTRE"), encoding="utf-8")
    with pytest.raises(CatalogueError, match="urn:esav:formulaire:SIG_LFO"):
        Catalogue.load(catalogue_copy)


def test_uncompilable_xsd_names_file_and_line(catalogue_copy: Path) -> None:
    """A form XSD referring to an undefined type fails the load with its path and line."""
    path = catalogue_copy / "forms" / "SIG_LFO" / "1.0.xsd"
    text = path.read_text(encoding="utf-8").replace('type="SiteLfoType"', 'type="TypeAbsent"', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"SIG_LFO/1\.0\.xsd:\d+: schéma XSD invalide"):
        Catalogue.load(catalogue_copy)


def test_form_importing_another_schema_is_refused(catalogue_copy: Path) -> None:
    """A form XSD must be self-contained: an xs:import (fetched by libxml2 itself) fails the load."""
    path = catalogue_copy / "forms" / "SIG_LFO" / "1.0.xsd"
    text = path.read_text(encoding="utf-8").replace(
        "  <xs:annotation>",
        '  <xs:import namespace="urn:x" schemaLocation="http://example.invalid/x.xsd"/>\n  <xs:annotation>',
        1,
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match="xs:import interdit"):
        Catalogue.load(catalogue_copy)


def test_list_file_must_be_named_after_its_code(catalogue_copy: Path) -> None:
    """A code list whose code differs from its file name is refused."""
    (catalogue_copy / "nomenclature" / "IMPACTS.xml").rename(catalogue_copy / "nomenclature" / "EFFETS.xml")
    with pytest.raises(CatalogueError, match="IMPACTS"):
        Catalogue.load(catalogue_copy)
