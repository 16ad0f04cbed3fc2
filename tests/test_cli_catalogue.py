"""``esav catalogue …`` driven through ``gateway.cli.main(argv)``: exit statuses, messages, JSON."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from test_catalogue_tools import (
    FORM_VERSIONS,
    break_compile,
    break_enumeration,
    break_example,
    break_label,
    break_missing_file,
    edit,
)

from gateway.catalogue import Catalogue, default_catalogue_root, default_mockups_dir, lint
from gateway.cli import main
from gateway.services import catalogue_fingerprint
from gateway.store import Store

ROOT = default_catalogue_root()
CATALOGUE = Catalogue.load(ROOT)
Breakage = Callable[[Path], tuple[Path, str, int | None]]


@pytest.fixture
def catalogue_copy(tmp_path: Path) -> Path:
    """A writable copy of the real catalogue folder."""
    target = tmp_path / "catalogue"
    shutil.copytree(ROOT, target)
    return target


def esav(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    """Run ``esav catalogue argv…``; its exit status, stdout and stderr."""
    capsys.readouterr()
    status = main(["catalogue", *(str(a) for a in argv)])
    out, err = capsys.readouterr()
    return status, out, err


# -- lint ------------------------------------------------------------------------------------


def test_lint_on_the_repository_catalogue_exits_0(capsys):
    """The shipped catalogue lints clean: exit 0, nothing on stdout."""
    status, out, err = esav(capsys, "verifier")
    assert (status, out) == (0, "")
    assert "sans problème" in err


@pytest.mark.parametrize(
    "breakage",
    [break_compile, break_enumeration, break_label, break_example, break_missing_file],
    ids=["broken-xsd", "enumeration-not-in-nomenclature", "missing-label", "invalid-example", "entry-without-file"],
)
def test_lint_names_file_and_line_and_exits_with_the_count(capsys, catalogue_copy: Path, breakage: Breakage):
    """Each defect is printed as « file:line: message » and the exit status is the number of problems."""
    file, fragment, line = breakage(catalogue_copy)
    status, out, _ = esav(capsys, "verifier", "--dossier", catalogue_copy)
    lines = out.splitlines()
    assert status == len(lines) == len(lint(catalogue_copy)) >= 1
    prefix = f"{file}:{line}: " if line is not None else f"{file}: "
    assert any(text.startswith(prefix) and fragment in text for text in lines), out


def test_lint_counts_several_problems_and_speaks_json(capsys, catalogue_copy: Path):
    """Three defects in three files: exit status 3 or more, the same problems in JSON."""
    expected = [b(catalogue_copy) for b in (break_label, break_example, break_missing_file)]
    status, out, _ = esav(capsys, "verifier", "--dossier", catalogue_copy, "--json")
    problems = json.loads(out)
    assert status == len(problems) >= 3
    for file, fragment, line in expected:
        assert any(p["file"] == str(file) and fragment in p["message"] and p["line"] == line for p in problems)


def test_lint_exit_status_is_capped_at_255(capsys, catalogue_copy: Path):
    """More than 255 problems still give a valid exit status, 255, and every problem is listed."""
    for number in range(300):  # files the manifest does not declare: one problem each
        (catalogue_copy / "forms" / "SIG_LFO" / f"9.{number}.xsd").write_text("<vide/>", encoding="utf-8")
    status, out, _ = esav(capsys, "verifier", "--dossier", catalogue_copy)
    assert len(out.splitlines()) == 300
    assert status == 255


# -- mockups ---------------------------------------------------------------------------------


def test_mockups_check_passes_on_the_repository(capsys):
    """The committed html_mockups/ are fresh: --check exits 0 and writes nothing."""
    before = {p: p.stat().st_mtime_ns for p in default_mockups_dir().rglob("*.html")}
    status, out, _ = esav(capsys, "maquettes", "--verifier")
    assert (status, out) == (0, "")
    assert {p: p.stat().st_mtime_ns for p in default_mockups_dir().rglob("*.html")} == before


def test_mockups_check_fails_after_a_form_changes_then_regeneration_fixes_it(capsys, catalogue_copy: Path, tmp_path):
    """A changed label makes the committed page stale (non-zero exit naming it); mockups then --check is clean."""
    edit(catalogue_copy / "forms" / "SIG_LFO" / "1.0.xsd", "<xs:documentation>Téléphone", "<xs:documentation>Tél.")
    status, out, _ = esav(
        capsys, "maquettes", "--dossier", catalogue_copy, "--sortie", default_mockups_dir(), "--verifier"
    )
    assert status == 1
    assert out.strip() == f"{default_mockups_dir()}/SIG_LFO/1.0.html : maquette périmée"
    out_dir = tmp_path / "mockups"
    status, out, _ = esav(capsys, "maquettes", "--dossier", catalogue_copy, "--sortie", out_dir)
    assert status == 0 and str(out_dir) in out
    assert "Tél." in (out_dir / "SIG_LFO" / "1.0.html").read_text(encoding="utf-8")
    assert esav(capsys, "maquettes", "--dossier", catalogue_copy, "--sortie", out_dir, "--verifier")[0] == 0


def test_mockups_check_counts_missing_and_orphan_pages(capsys, tmp_path):
    """A missing page and an orphan page are both listed and counted."""
    out_dir = tmp_path / "mockups"
    shutil.copytree(default_mockups_dir(), out_dir)
    (out_dir / "SIG_CUIVRE" / "1.0.html").unlink()
    (out_dir / "SIG_CUIVRE" / "0.9.html").write_text("<p>orpheline</p>", encoding="utf-8")
    status, out, _ = esav(capsys, "maquettes", "--sortie", out_dir, "--verifier")
    assert status == 2
    assert sorted(out.splitlines()) == [
        f"{out_dir}/SIG_CUIVRE/0.9.html : maquette sans formulaire",
        f"{out_dir}/SIG_CUIVRE/1.0.html : maquette absente",
    ]


# -- sample, diff, status --------------------------------------------------------------------


@pytest.mark.parametrize(("code", "version"), FORM_VERSIONS)
def test_sample_output_validates(capsys, code: str, version: str):
    """``sample CODE VERSION`` prints an instance that the version's schema accepts."""
    status, out, _ = esav(capsys, "exemple", code, version)
    assert status == 0
    CATALOGUE.validate(code, version, etree.fromstring(out.encode("utf-8")))


def test_sample_of_unknown_form_is_refused(capsys):
    """An unknown form is an error at the CLI edge: exit 1, the fault code, no traceback."""
    status, out, err = esav(capsys, "exemple", "SIG_RADIO", "1.0")
    assert status == 1 and "[REQUETE_INVALIDE]" in err and "Traceback" not in out + err


def test_diff_ftth_json_is_breaking_yet_a_minor_evolution_with_two_months_notice(capsys):
    """SIG_FTTH 1.0 → 2.0 adds a mandatory field: breaking, yet a form evolution is minor: two months' notice."""
    status, out, _ = esav(capsys, "comparer", "SIG_FTTH", "1.0", "2.0", "--json")
    assert status == 0
    result = json.loads(out)
    assert (result["verdict"], result["evolution"], result["notice_months"]) == ("breaking", "minor", 2)
    assert result["added_mandatory"] == ["/signalisationFtth/segmentMarche"]
    assert result["added"] == ["/signalisationFtth/segmentMarche", "/signalisationFtth/equipements/hexacle"]
    assert result["removed"] == result["made_mandatory"] == result["values_removed"] == []


def test_diff_dsl_json_is_compatible_with_two_months_notice(capsys):
    """SIG_DSL 1.0 → 2.0 only adds code values: compatible, a minor evolution, two months' notice."""
    status, out, _ = esav(capsys, "comparer", "SIG_DSL", "1.0", "2.0", "--json")
    assert status == 0
    result = json.loads(out)
    assert (result["verdict"], result["evolution"], result["notice_months"]) == ("compatible", "minor", 2)
    assert [v["value"] for v in result["values_added"]] == ["LATENCE_ELEVEE", "PERTE_PAQUETS", "PROFIL_NON_CONFORME"]
    assert result["added"] == result["removed"] == result["values_removed"] == []


def test_diff_text_shows_changes_and_notice(capsys):
    """The terminal form lists the changes and ends with the notice period."""
    status, out, _ = esav(capsys, "comparer", "SIG_FTTH", "2.0", "1.0")
    assert status == 0
    assert "- champ supprimé : /signalisationFtth/segmentMarche" in out
    assert out.splitlines()[-2:] == [
        "Des instances de l'ancienne version peuvent être refusées : elle reste acceptée un mois.",
        "Évolution mineure (évolution de formulaire) : préavis de 2 mois aux opérateurs.",
    ]


def test_diff_unknown_version_is_refused(capsys):
    """A version without a schema file is refused with exit 1."""
    status, _, err = esav(capsys, "comparer", "SIG_FTTH", "1.0", "7.0")
    assert status == 1 and "7.0" in err


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-11-01T23:59", {"1.0": "EN_VIGUEUR", "2.0": "A_VENIR"}),
        ("2026-12-02", {"1.0": "EN_COHABITATION", "2.0": "EN_VIGUEUR"}),
        ("2026-12-02T23:59:59+01:00", {"1.0": "EN_COHABITATION", "2.0": "EN_VIGUEUR"}),
        ("2026-12-03", {"1.0": "RETIRE", "2.0": "EN_VIGUEUR"}),
    ],
)
def test_status_at_an_instant(capsys, at: str, expected: dict[str, str]):
    """``status --at`` gives each version's status at that instant (Paris time without an offset)."""
    status, out, _ = esav(capsys, "statut", "--instant", at, "--json")
    assert status == 0
    [ftth] = [f for f in json.loads(out) if f["code"] == "SIG_FTTH"]
    assert {v["version"]: v["status"] for v in ftth["versions"]} == expected
    assert ftth["versions"][0]["date_fin_cohabitation"] == "2026-12-02"


def test_status_refuses_a_bad_date(capsys):
    """A --at that is not an ISO date is a usage error, not a traceback."""
    status, _, err = esav(capsys, "statut", "--instant", "demain")
    assert status == 2 and "demain" in err


# -- publish ---------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder holding an empty gateway database."""
    folder = tmp_path / "data"
    folder.mkdir()
    Store(folder / "esav.db").close()
    return folder


def publications(data_dir: Path) -> list[tuple[str, str]]:
    """(author, fingerprint) of every recorded publication, read straight from the database."""
    with sqlite3.connect(data_dir / "esav.db") as db:
        return list(db.execute("SELECT author, fingerprint FROM catalogue_publications ORDER BY id"))


def test_publish_records_the_fingerprint_of_the_served_folder(capsys, monkeypatch, data_dir, catalogue_copy):
    """A sound catalogue is published: one record with the author and the folder's SHA-256 fingerprint."""
    monkeypatch.setenv("ESAV_CATALOGUE_DIR", str(catalogue_copy))
    status, out, err = esav(capsys, "publier", "--donnees", data_dir, "--auteur", "mainteneur")
    assert status == 0, err
    assert publications(data_dir) == [("mainteneur", catalogue_fingerprint(catalogue_copy))]
    assert "1 s" in out  # when running gateways will pick it up (catalogue_poll_s)


def test_publish_refuses_a_broken_catalogue_and_records_nothing(capsys, monkeypatch, data_dir, catalogue_copy):
    """A catalogue with problems is refused: non-zero exit, each problem as file:line, no record."""
    file, fragment, line = break_compile(catalogue_copy)
    monkeypatch.setenv("ESAV_CATALOGUE_DIR", str(catalogue_copy))
    status, _, err = esav(capsys, "publier", "--donnees", data_dir)
    assert status == len(lint(catalogue_copy)) >= 1
    assert any(text.startswith(f"{file}:{line}: ") and fragment in text for text in err.splitlines()), err
    assert "refusée" in err
    assert publications(data_dir) == []


def test_fingerprint_changes_with_any_file(catalogue_copy: Path):
    """The fingerprint is that of the files: same files same print; a changed byte or name changes it."""
    original = catalogue_fingerprint(catalogue_copy)
    assert original == catalogue_fingerprint(ROOT)
    example = catalogue_copy / "forms" / "SIG_LFO" / "1.0.example.xml"
    example.write_bytes(example.read_bytes() + b" ")
    changed = catalogue_fingerprint(catalogue_copy)
    assert changed != original
    example.rename(example.with_name("1.0.exemple.xml"))
    assert catalogue_fingerprint(catalogue_copy) not in (original, changed)


def test_publish_without_database_is_refused(capsys, tmp_path):
    """Publishing to a data folder without a database says so and exits 1."""
    status, _, err = esav(capsys, "publier", "--donnees", tmp_path / "nowhere")
    assert status == 1 and f"Aucune base e-SAV dans {tmp_path / 'nowhere'}" in err
    assert not (tmp_path / "nowhere").exists()
