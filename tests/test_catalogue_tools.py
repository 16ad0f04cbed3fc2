"""Maintainers' catalogue tools: lint, HTML mockups, samples, diffs between versions."""

from __future__ import annotations

import functools
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree

from gateway.catalogue import (
    Catalogue,
    build_mockups,
    check_mockups,
    default_catalogue_root,
    default_mockups_dir,
    diff,
    form_model,
    lint,
    render_mockups,
    sample,
)
from gateway.errors import FormInvalidError

ROOT = default_catalogue_root()
CATALOGUE = Catalogue.load(ROOT)
FORM_VERSIONS = [(f.code, v.version) for f in CATALOGUE.forms() for v in f.versions]


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the real catalogue folder."""
    target = tmp_path / "catalogue"
    shutil.copytree(ROOT, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace ``old`` by ``new`` in a file, failing loudly if ``old`` is not there."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    """The 1-based line of the first occurrence of ``fragment`` in ``path``."""
    return next(i for i, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in text)


# -- lint ------------------------------------------------------------------------------------


def test_lint_passes_on_the_shipped_catalogue() -> None:
    """The repository's catalogue has no lint problem."""
    assert lint(ROOT) == []


def ftth1(root: Path) -> Path:
    return root / "forms" / "SIG_FTTH" / "1.0.xsd"


def break_compile(root: Path) -> tuple[Path, str, int | None]:
    edit(ftth1(root), 'type="EquipementsFtthType"', 'type="TypeAbsent"')
    return ftth1(root), "TypeAbsent", line_of(ftth1(root), "TypeAbsent")


def break_enumeration(root: Path) -> tuple[Path, str, int | None]:
    edit(ftth1(root), '      <xs:enumeration value="PM"/>\n', "")
    return ftth1(root), "LOCALISATIONS_FTTH (manquantes : PM", line_of(ftth1(root), 'name="LocalisationType"')


def break_enumeration_order(root: Path) -> tuple[Path, str, int | None]:
    edit(root / "nomenclature" / "IMPACTS.xml", 'code="COUPURE"', 'code="TMP"')
    edit(root / "nomenclature" / "IMPACTS.xml", 'code="INTERMITTENT"', 'code="COUPURE"')
    edit(root / "nomenclature" / "IMPACTS.xml", 'code="TMP"', 'code="INTERMITTENT"')
    return ftth1(root), "IMPACTS (ordre différent)", line_of(ftth1(root), 'name="ImpactType"')


def break_appinfo(root: Path) -> tuple[Path, str, int | None]:
    edit(ftth1(root), "<xs:appinfo><nom:nomenclature>IMPACTS</nom:nomenclature></xs:appinfo>", "")
    return ftth1(root), "ImpactType sans référence de nomenclature", line_of(ftth1(root), 'name="ImpactType"')


def break_unknown_list(root: Path) -> tuple[Path, str, int | None]:
    edit(ftth1(root), "<nom:nomenclature>IMPACTS<", "<nom:nomenclature>IMPACTS_V2<")
    return ftth1(root), "nomenclature IMPACTS_V2 inconnue", line_of(ftth1(root), 'name="ImpactType"')


def break_label(root: Path) -> tuple[Path, str, int | None]:
    edit(ftth1(root), "<xs:documentation>Téléphone du contact</xs:documentation>", "<xs:documentation/>")
    return ftth1(root), "élément telephone sans libellé", line_of(ftth1(root), 'name="telephone"')


def break_missing_file(root: Path) -> tuple[Path, str, int | None]:
    (root / "forms" / "SIG_LFO" / "1.0.xsd").unlink()
    return root / "catalogue.xml", "SIG_LFO 1.0 : fichier", None


def break_stray_file(root: Path) -> tuple[Path, str, int | None]:
    extra = root / "forms" / "SIG_LFO" / "1.1.xsd"
    shutil.copy(root / "forms" / "SIG_LFO" / "1.0.xsd", extra)
    return extra, "sans version déclarée", None


def break_stray_form(root: Path) -> tuple[Path, str, int | None]:
    shutil.copytree(root / "forms" / "SIG_LFO", root / "forms" / "SIG_RADIO")
    return root / "forms" / "SIG_RADIO", "formulaire SIG_RADIO absent du manifeste", None


def break_overlap(root: Path) -> tuple[Path, str, int | None]:
    manifest = root / "catalogue.xml"
    edit(
        manifest,
        '<version numero="2.0" dateProduction="2026-11-02"/>',
        '<version numero="2.0" dateProduction="2026-11-02"/>\n    <version numero="3.0" dateProduction="2026-11-20"/>',
    )
    shutil.copy(root / "forms" / "SIG_FTTH" / "2.0.xsd", root / "forms" / "SIG_FTTH" / "3.0.xsd")
    return manifest, "1.0, 2.0 et 3.0 seraient acceptées ensemble", line_of(manifest, 'code="SIG_FTTH"')


def break_example(root: Path) -> tuple[Path, str, int | None]:
    example = root / "forms" / "SIG_CUIVRE" / "1.0.example.xml"
    edit(example, "<ndi>0140000001</ndi>", "<ndi>14</ndi>")
    return example, "/signalisationCuivre/ligne/ndi", line_of(example, "<ndi>")


def break_missing_example(root: Path) -> tuple[Path, str, int | None]:
    example = root / "forms" / "SIG_ETHERNET" / "1.0.example.xml"
    example.unlink()
    return example, "exemple absent", None


def break_list_file(root: Path) -> tuple[Path, str, int | None]:
    path = root / "nomenclature" / "MOTIFS_GEL.xml"
    edit(path, 'code="ATTENTE_ACCES_SITE"', 'code="attente accès"')
    return path, "attente accès", line_of(path, "attente accès")


def break_namespace(root: Path) -> tuple[Path, str, int | None]:
    path = root / "forms" / "SIG_LFO" / "1.0.xsd"
    edit(path, "urn:esav:formulaire:SIG_LFO", "urn:esav:formulaire:LFO", count=2)
    # lxml places a start tag on the line where it ends.
    return path, "espace de noms cible doit être urn:esav:formulaire:SIG_LFO", line_of(path, 'version="1.0">')


BREAKAGES: list[Callable[[Path], tuple[Path, str, int | None]]] = [
    break_compile,
    break_enumeration,
    break_enumeration_order,
    break_appinfo,
    break_unknown_list,
    break_label,
    break_missing_file,
    break_stray_file,
    break_stray_form,
    break_overlap,
    break_example,
    break_missing_example,
    break_list_file,
    break_namespace,
]


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda f: f.__name__.removeprefix("break_"))
def test_lint_reports_each_breakage(
    catalogue_copy: Path, breakage: Callable[[Path], tuple[Path, str, int | None]]
) -> None:
    """Each kind of catalogue defect is reported against the right file, with its line when it has one."""
    file, fragment, line = breakage(catalogue_copy)
    problems = lint(catalogue_copy)
    matching = [p for p in problems if p.file == file and fragment in p.message]
    assert matching, "\n".join(map(str, problems))
    if line is not None:
        assert matching[0].line == line, str(matching[0])


def test_lint_reports_every_problem_at_once(catalogue_copy: Path) -> None:
    """Several defects in different files are all reported by one run."""
    expected = [b(catalogue_copy) for b in (break_label, break_example, break_list_file)]
    problems = lint(catalogue_copy)
    for file, fragment, _ in expected:
        assert any(p.file == file and fragment in p.message for p in problems), fragment


# -- mockups ---------------------------------------------------------------------------------


def test_committed_mockups_are_fresh() -> None:
    """html_mockups/ holds exactly what the current forms generate (run render_mockups if not)."""
    assert check_mockups(CATALOGUE, default_mockups_dir()) == []


def test_mockups_are_deterministic(tmp_path: Path) -> None:
    """Two renderings give the same bytes, and a fresh rendering passes the check."""
    first, second = tmp_path / "a", tmp_path / "b"
    render_mockups(CATALOGUE, first)
    render_mockups(CATALOGUE, second)
    for path in first.rglob("*.html"):
        assert path.read_bytes() == (second / path.relative_to(first)).read_bytes()
    assert check_mockups(CATALOGUE, first) == []


def test_stale_missing_and_orphan_mockups_are_reported(tmp_path: Path) -> None:
    """check_mockups names a changed page, a missing page and a page without a form."""
    render_mockups(CATALOGUE, tmp_path)
    (tmp_path / "SIG_DSL" / "2.0.html").write_text("<p>ancienne</p>", encoding="utf-8")
    (tmp_path / "SIG_LFO" / "1.0.html").unlink()
    (tmp_path / "SIG_LFO" / "0.9.html").write_text("<p>orpheline</p>", encoding="utf-8")
    assert sorted(check_mockups(CATALOGUE, tmp_path)) == [
        "SIG_DSL/2.0.html : maquette périmée",
        "SIG_LFO/0.9.html : maquette sans formulaire",
        "SIG_LFO/1.0.html : maquette absente",
    ]
    render_mockups(CATALOGUE, tmp_path)
    assert check_mockups(CATALOGUE, tmp_path) == []


@functools.cache
def pages() -> dict[str, str]:
    """The mockups of the real catalogue, built once for the module."""
    return build_mockups(CATALOGUE)


def mockup(code: str, version: str) -> etree._Element:
    return etree.fromstring(pages()[f"{code}/{version}.html"], etree.HTMLParser())


@pytest.mark.parametrize(("code", "version"), FORM_VERSIONS)
def test_mockup_controls_are_labelled(code: str, version: str) -> None:
    """Every control has its label, every mandatory field is required and marked, every field appears."""
    page = mockup(code, version)
    assert page.get("lang") == "fr"
    labels = {label.get("for"): label for label in page.iter("label")}
    controls = [c for c in page.iter("input", "select", "textarea")]
    assert controls
    for control in controls:
        label = labels[control.get("id")]
        is_marked = label.find("abbr[@class='obligatoire']") is not None
        assert is_marked == (control.get("required") is not None), control.get("id")
    simple_paths = {f.path for f in form_model(CATALOGUE.xsd_path(code, version)).walk() if f.simple}
    assert {c.get("name") for c in controls} == simple_paths


def test_mockup_shows_code_lists_and_constraints() -> None:
    """Code lists are selects with their labels; patterns and lengths are shown and enforced."""
    page = mockup("SIG_FTTH", "2.0")
    select = page.find(".//select[@name='/signalisationFtth/segmentMarche']")
    assert [o.text for o in select.iter("option")][1:] == [
        "Grand public (GP)",
        "Entreprise (ENTREPRISE)",
        "Opérateur (OPERATEUR)",
    ]
    phone = page.find(".//input[@name='/signalisationFtth/contactSite/telephone']")
    assert phone.get("pattern") == r"(0|\+33)[1-9][0-9]{8}"
    help_text = "".join(page.find(f".//*[@id='{phone.get('aria-describedby')}']").itertext())
    assert r"(0|\+33)[1-9][0-9]{8}" in help_text
    nom = page.find(".//input[@name='/signalisationFtth/contactSite/nom']")
    assert (nom.get("minlength"), nom.get("maxlength")) == ("1", "100")
    index = etree.fromstring(pages()["index.html"], etree.HTMLParser())
    assert {a.get("href") for a in index.iter("a")} == {f"{c}/{v}.html" for c, v in FORM_VERSIONS}


# -- samples ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "version"), FORM_VERSIONS)
def test_sample_is_valid_and_complete(code: str, version: str) -> None:
    """A sample validates, holds every field of the form and is the same on every call."""
    data = sample(CATALOGUE, code, version)
    assert data == sample(CATALOGUE, code, version)
    payload = etree.fromstring(data)
    CATALOGUE.validate(code, version, payload)
    tree = etree.ElementTree(payload)
    paths = {re.sub(r"\{[^}]*\}|\[\d+\]", "", tree.getelementpath(e)) for e in payload.iterdescendants()}
    model = form_model(CATALOGUE.xsd_path(code, version))
    assert {f"/{model.name}/{p}" for p in paths} == {f.path for f in model.walk()} - {model.path}


def test_sample_of_a_version_is_not_valid_for_an_incompatible_one() -> None:
    """The SIG_FTTH 2.0 sample carries segmentMarche, which 1.0 refuses: samples follow their version."""
    with pytest.raises(FormInvalidError):
        CATALOGUE.validate("SIG_FTTH", "1.0", etree.fromstring(sample(CATALOGUE, "SIG_FTTH", "2.0")))


# -- diffs -----------------------------------------------------------------------------------


def test_diff_ftth_new_mandatory_field_is_breaking() -> None:
    """SIG_FTTH 1.0 → 2.0 adds a mandatory segmentMarche and an optional hexacle: breaking."""
    result = diff(CATALOGUE, "SIG_FTTH", "1.0", "2.0")
    assert result.added == ("/signalisationFtth/segmentMarche", "/signalisationFtth/equipements/hexacle")
    assert result.added_mandatory == ("/signalisationFtth/segmentMarche",)
    assert (result.removed, result.values_added, result.values_removed) == ((), (), ())
    assert result.verdict == "breaking"


def test_diff_dsl_widened_code_list_is_compatible() -> None:
    """SIG_DSL 1.0 → 2.0 only adds fault codes: compatible."""
    result = diff(CATALOGUE, "SIG_DSL", "1.0", "2.0")
    path = "/signalisationDsl/defaut/codeDefaut"
    assert result.values_added == ((path, "LATENCE_ELEVEE"), (path, "PERTE_PAQUETS"), (path, "PROFIL_NON_CONFORME"))
    assert not result.breaking
    assert result.verdict == "compatible"
    assert result.lines()[0] == "SIG_DSL 1.0 → 2.0 : compatible"


def test_diff_backwards_reports_removals() -> None:
    """Going from SIG_FTTH 2.0 back to 1.0 removes two fields, which breaks."""
    result = diff(ROOT, "SIG_FTTH", "2.0", "1.0")
    assert result.removed == ("/signalisationFtth/segmentMarche", "/signalisationFtth/equipements/hexacle")
    assert result.breaking


def test_diff_sees_mandatory_values_and_constraints(catalogue_copy: Path) -> None:
    """A field made mandatory, a code value removed and a shorter maximum length are each reported."""
    forms = catalogue_copy / "forms" / "SIG_LFO"
    new = forms / "1.1.xsd"
    shutil.copy(forms / "1.0.xsd", new)
    edit(
        new,
        '<xs:element name="positionTiroir" type="PositionTiroirType" minOccurs="0">',
        '<xs:element name="positionTiroir" type="PositionTiroirType">',
    )
    edit(new, '      <xs:enumeration value="FIBRES_INVERSEES"/>\n', "")
    edit(new, '<xs:maxLength value="40"/>', '<xs:maxLength value="30"/>')
    result = diff(catalogue_copy, "SIG_LFO", "1.0", "1.1")
    assert result.made_mandatory == ("/signalisationLfo/siteA/positionTiroir", "/signalisationLfo/siteB/positionTiroir")
    assert result.values_removed == (("/signalisationLfo/defaut/codeDefaut", "FIBRES_INVERSEES"),)
    assert result.constraints_changed == (
        ("/signalisationLfo/siteA/positionTiroir", "longueur maximale : 40 → 30"),
        ("/signalisationLfo/siteB/positionTiroir", "longueur maximale : 40 → 30"),
    )
    assert result.added == () and result.removed == ()
    assert result.breaking


def test_form_model_carries_labels_lines_and_constraints() -> None:
    """The field tree has French labels, source lines, occurrences and facets from the XSD."""
    model = form_model(CATALOGUE.xsd_path("SIG_DSL", "2.0"))
    fields = {f.path: f for f in model.walk()}
    vpi = fields["/signalisationDsl/acces/vpi"]
    assert (vpi.label, vpi.integer, vpi.min_value, vpi.max_value) == ("VPI", True, 0, 255)
    assert vpi.line == line_of(CATALOGUE.xsd_path("SIG_DSL", "2.0"), '<xs:element name="vpi"')
    creneau = fields["/signalisationDsl/disponibilites/creneau"]
    assert (creneau.min_occurs, creneau.max_occurs, creneau.simple) == (1, 5, False)
    assert fields["/signalisationDsl/defaut/codeDefaut"].nomenclature == "DEFAUTS_DSL"
