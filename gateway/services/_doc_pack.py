"""The e-SAV documentation pack (annex 2): what the portal's Documents page lists, and the same files
as one zip sent with the announcement of a web-service evolution."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from gateway._resources import (
    shipped_catalogue,
    shipped_integrators,
    shipped_mockups,
    shipped_test_sets,
    shipped_wsdl,
)

__all__ = ["DOC_PACK", "doc_pack_files", "doc_pack_zip"]

#: The e-SAV doc pack: folder name in the URL → (title, folder, file patterns).
DOC_PACK = {
    "wsdl": ("WSDL des web services", shipped_wsdl(), ("*/*.wsdl",)),
    "formulaires": (
        "Schémas XSD et exemples des formulaires",
        shipped_catalogue(),
        ("forms/*/*.xsd", "forms/*/*.example.xml", "catalogue.xml"),
    ),
    "nomenclature": ("Nomenclature (listes de codes)", shipped_catalogue() / "nomenclature", ("*.xml", "*.xsd")),
    "maquettes": ("Maquettes HTML des formulaires", shipped_mockups(), ("*.html", "*/*.html")),
    "jeu-de-tests": ("Jeu de tests des opérateurs", shipped_test_sets(), ("*.toml", "**/*.xml", "**/*.toml")),
    "integrateurs": (
        "Kit de l'intégrateur : exemples d'échanges, collection Postman, mise en place du certificat",
        shipped_integrators(),
        ("README.md", "samples/*/*/*.xml", "postman/*.json"),
    ),
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
