"""Maintainers' check of a catalogue folder: every problem at once, each with its file and line.

Unlike :meth:`Catalogue.load`, which stops at the first problem, the linter goes on and also checks
what loading does not: labels on every element, enumerations equal to their code lists, examples,
and files the manifest does not mention.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from lxml import etree

from gateway.errors import CatalogueError

from ._manifest import MANIFEST_FILE, read_manifest
from ._model import open_schema
from ._nomenclature import CodeList, list_files, list_format, read_list_file
from ._validation import schema_errors
from ._versions import Form
from ._xml import NOMENCLATURE_NS, XSD_NS, check_form_xsd, compile_schema, parse_file

FORMS_DIR = "forms"
NOMENCLATURE_DIR = "nomenclature"
XS = f"{{{XSD_NS}}}"
T = TypeVar("T")


@dataclass(frozen=True, order=True)
class LintProblem:
    """One problem: the file, the line when known, and a French message."""

    file: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


def lint(root: Path) -> list[LintProblem]:
    """Every problem of the catalogue folder ``root`` (empty list: the catalogue is sound)."""
    problems: list[LintProblem] = []
    lists = _lint_lists(root / NOMENCLATURE_DIR, problems)
    forms = _guard(problems, lambda: read_manifest(root)) or ()
    for form in forms:
        racines: set[str] = set()
        for version in form.versions:
            _lint_version(root, form, version.version, version.date_production, lists, racines, problems)
        if len(racines) > 1:
            problems.append(
                LintProblem(root / MANIFEST_FILE, None, f"{form.code} : éléments racines différents selon la version")
            )
    _lint_stray_files(root, forms, problems)
    return problems


def _guard(problems: list[LintProblem], action: Callable[[], T]) -> T | None:
    """Run ``action``; record a CatalogueError as a problem and return None instead."""
    try:
        return action()
    except CatalogueError as exc:
        problems.append(_problem_of(exc))
        return None


def _problem_of(exc: CatalogueError) -> LintProblem:
    if exc.details:
        detail = exc.details[0]
        return LintProblem(Path(detail.chemin), detail.ligne, detail.libelle)
    return LintProblem(Path(exc.chemin or "?"), None, exc.libelle)


def _lint_lists(folder: Path, problems: list[LintProblem]) -> dict[str, CodeList]:
    fmt = _guard(problems, lambda: list_format(folder))
    if fmt is None:
        return {}
    lists = {}
    for path in list_files(folder):
        loaded = _guard(problems, functools.partial(read_list_file, path, fmt))
        if loaded is not None:
            lists[loaded.codes.code] = loaded.codes
    return lists


def _lint_version(
    root: Path,
    form: Form,
    version: str,
    production: date,
    lists: dict[str, CodeList],
    racines: set[str],
    problems: list[LintProblem],
) -> None:
    path = root / FORMS_DIR / form.code / f"{version}.xsd"
    if not path.is_file():
        problems.append(LintProblem(root / MANIFEST_FILE, None, f"{form.code} {version} : fichier {path} absent"))
        return
    tree = _guard(problems, lambda: parse_file(path))
    if tree is None:
        return
    problem, racine = check_form_xsd(form.code, tree)
    if problem is not None:
        problems.append(LintProblem(path, tree.getroot().sourceline, problem))
    else:
        racines.add(racine)
    if tree.getroot().get("elementFormDefault") != "qualified":
        problems.append(LintProblem(path, tree.getroot().sourceline, 'elementFormDefault doit valoir "qualified"'))
    _lint_labels(path, tree, problems)
    _lint_enumerations(path, tree, production, lists, problems)
    schema = _guard(problems, lambda: compile_schema(tree, path))
    _guard(problems, lambda: open_schema(path))
    if schema is not None:
        _lint_example(path.with_name(f"{version}.example.xml"), schema, problems)


def _lint_labels(path: Path, tree: etree._ElementTree, problems: list[LintProblem]) -> None:
    for element in tree.iter(f"{XS}element"):
        if not (element.findtext(f"{XS}annotation/{XS}documentation") or "").strip():
            name = element.get("name") or element.get("ref")
            problems.append(LintProblem(path, element.sourceline, f"élément {name} sans libellé (xs:documentation)"))


def _lint_enumerations(
    path: Path,
    tree: etree._ElementTree,
    production: date,
    lists: dict[str, CodeList],
    problems: list[LintProblem],
) -> None:
    """Each enumerated type names its code list and copies it as it stood on the production day."""
    for simple_type in tree.iter(f"{XS}simpleType"):
        values = [e.get("value") for e in simple_type.findall(f"{XS}restriction/{XS}enumeration")]
        if not values:
            continue
        name = simple_type.get("name") or "anonyme"
        line = simple_type.sourceline
        list_code = (
            simple_type.findtext(f"{XS}annotation/{XS}appinfo/{{{NOMENCLATURE_NS}}}nomenclature") or ""
        ).strip()
        if not list_code:
            problems.append(LintProblem(path, line, f"énumération {name} sans référence de nomenclature (xs:appinfo)"))
            continue
        code_list = lists.get(list_code)
        if code_list is None:
            problems.append(LintProblem(path, line, f"énumération {name} : nomenclature {list_code} inconnue"))
            continue
        expected = [v.code for v in code_list.values_at(production)]
        if values != expected:
            problems.append(
                LintProblem(
                    path,
                    line,
                    f"énumération {name} différente de la nomenclature {list_code} ({_gap(expected, values)})",
                )
            )


def _gap(expected: list[str], values: list[str]) -> str:
    missing = ", ".join(v for v in expected if v not in values)
    extra = ", ".join(v for v in values if v not in expected)
    if not missing and not extra:
        return "ordre différent"
    return f"manquantes : {missing or 'aucune'} ; en trop : {extra or 'aucune'}"


def _lint_example(path: Path, schema: etree.XMLSchema, problems: list[LintProblem]) -> None:
    if not path.is_file():
        problems.append(LintProblem(path, None, "exemple absent"))
        return
    tree = _guard(problems, lambda: parse_file(path))
    if tree is None:
        return
    for error in schema_errors(schema, tree.getroot()):
        problems.append(LintProblem(path, error.ligne, f"exemple invalide : {error.chemin} : {error.libelle}"))


def _lint_stray_files(root: Path, forms: tuple[Form, ...], problems: list[LintProblem]) -> None:
    """Files under forms/ that no manifest entry explains."""
    declared = {(f.code, v.version) for f in forms for v in f.versions}
    codes = {f.code for f in forms}
    folder = root / FORMS_DIR
    for child in sorted(folder.iterdir()) if folder.is_dir() else ():
        if not child.is_dir():
            problems.append(LintProblem(child, None, "fichier inattendu hors d'un dossier de formulaire"))
            continue
        if child.name not in codes:
            problems.append(LintProblem(child, None, f"formulaire {child.name} absent du manifeste"))
            continue
        for file in sorted(child.iterdir()):
            version = file.name.removesuffix(".example.xml").removesuffix(".xsd")
            if version == file.name or (child.name, version) not in declared:
                problems.append(
                    LintProblem(file, None, f"fichier sans version déclarée au manifeste ({MANIFEST_FILE})")
                )
