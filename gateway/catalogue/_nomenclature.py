"""Code lists ("nomenclatures"): one file ``nomenclature/{CODE}.xml`` per list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lxml import etree

from ._xml import (
    NOMENCLATURE_NS,
    catalogue_error,
    check_against,
    compile_schema,
    parse_bytes,
    parse_file,
    read_bytes,
)

FORMAT_FILE = "nomenclature.xsd"


@dataclass(frozen=True)
class CodeValue:
    """One value of a code list.

    ``offres`` is empty when the value exists for every offer of its list; ``depuis`` is the day the
    value was added to the list (None: there from the start).
    """

    code: str
    libelle: str
    offres: tuple[str, ...] = ()
    depuis: date | None = None


@dataclass(frozen=True)
class CodeList:
    """A code list: its code, French label, the offers it is specific to (empty: all) and values."""

    code: str
    libelle: str
    values: tuple[CodeValue, ...]
    offres: tuple[str, ...] = ()

    def codes(self) -> tuple[str, ...]:
        """The value codes, in the list's order."""
        return tuple(v.code for v in self.values)

    def libelle_of(self, code: str) -> str | None:
        """The label of value ``code``, or None if the list has no such value."""
        return next((v.libelle for v in self.values if v.code == code), None)

    def values_for_offer(self, code_offre: str) -> tuple[CodeValue, ...]:
        """The values that exist for ``code_offre``."""
        if self.offres and code_offre not in self.offres:
            return ()
        return tuple(v for v in self.values if not v.offres or code_offre in v.offres)

    def values_at(self, day: date) -> tuple[CodeValue, ...]:
        """The list as it stood on ``day`` (the values added on or before it)."""
        return tuple(v for v in self.values if v.depuis is None or v.depuis <= day)


@dataclass(frozen=True)
class LoadedList:
    """A code list with the exact text of its file, served as is by ``obtenirNomenclature``."""

    codes: CodeList
    text: str


def load_nomenclature(folder: Path) -> dict[str, LoadedList]:
    """Read every ``*.xml`` of ``folder``, checked against ``nomenclature.xsd``, keyed by list code."""
    fmt = list_format(folder)
    lists = (read_list_file(path, fmt) for path in list_files(folder))
    return {loaded.codes.code: loaded for loaded in lists}


def list_format(folder: Path) -> etree.XMLSchema:
    """The compiled format of code-list files, ``folder/nomenclature.xsd``."""
    return compile_schema(parse_file(folder / FORMAT_FILE), folder / FORMAT_FILE)


def list_files(folder: Path) -> list[Path]:
    """The code-list files of ``folder``, by name."""
    return sorted(folder.glob("*.xml"))


def read_list_file(path: Path, fmt: etree.XMLSchema) -> LoadedList:
    """One code-list file, checked against ``fmt`` and named after its code (CatalogueError if not)."""
    data = read_bytes(path)
    tree = parse_bytes(data, path)
    check_against(fmt, tree, path)
    code_list = _read_list(tree.getroot())
    if code_list.code != path.stem:
        raise catalogue_error(
            path, tree.getroot().sourceline, f"la liste {code_list.code} doit être dans {code_list.code}.xml"
        )
    return LoadedList(code_list, data.decode("utf-8"))


def _read_list(root: etree._Element) -> CodeList:
    values = tuple(
        CodeValue(
            code=v.get("code"),
            libelle=v.get("libelle"),
            offres=tuple((v.get("offres") or "").split()),
            depuis=date.fromisoformat(v.get("depuis")) if v.get("depuis") else None,
        )
        for v in root.iterchildren(f"{{{NOMENCLATURE_NS}}}valeur")
    )
    return CodeList(
        code=root.get("code"),
        libelle=root.get("libelle"),
        values=values,
        offres=tuple((root.get("offres") or "").split()),
    )
