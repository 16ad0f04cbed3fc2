"""The e-SAV documentation pack (annex 2): what the portal's Documents page lists, and the same files
as one zip sent with the announcement of a web-service evolution."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from gateway.catalogue import default_mockups_dir

__all__ = ["DOC_PACK", "doc_pack_files", "doc_pack_zip"]

_REPOSITORY = Path(__file__).resolve().parents[2]
#: The e-SAV doc pack: folder name in the URL → (title, folder, file patterns).
DOC_PACK = {
    "wsdl": ("WSDL des web services", _REPOSITORY / "wsdl", ("*/*.wsdl",)),
    "formulaires": (
        "Schémas XSD et exemples des formulaires",
        _REPOSITORY / "catalogue",
        ("forms/*/*.xsd", "forms/*/*.example.xml", "catalogue.xml"),
    ),
    "nomenclature": ("Nomenclature (listes de codes)", _REPOSITORY / "catalogue" / "nomenclature", ("*.xml", "*.xsd")),
    "maquettes": ("Maquettes HTML des formulaires", default_mockups_dir(), ("*.html", "*/*.html")),
    "jeu-de-tests": ("Jeu de tests des opérateurs", _REPOSITORY / "test_sets", ("*.toml", "**/*.xml", "**/*.toml")),
}


def doc_pack_files(folder: Path, patterns: tuple[str, ...]) -> list[str]:
    """The pack's files of one section, as sorted paths relative to its folder."""
    found = {p.relative_to(folder).as_posix() for pattern in patterns for p in folder.glob(pattern) if p.is_file()}
    return sorted(found)


def doc_pack_zip() -> bytes:
    """Every file of the pack in one zip, one folder per section (fixed dates: same files, same bytes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for section, (_, folder, patterns) in DOC_PACK.items():
            for name in doc_pack_files(folder, patterns):
                info = zipfile.ZipInfo(f"documentation-esav/{section}/{name}", date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                pack.writestr(info, (folder / name).read_bytes())
    return buffer.getvalue()
