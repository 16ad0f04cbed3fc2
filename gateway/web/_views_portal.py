"""Espace Opérateurs: the home page (only the sections the user may reach) and the documents area."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from gateway.catalogue import default_mockups_dir
from gateway.services import PortalUser

from ._app import Context
from ._http import HttpError, Response

__all__ = ["doc_file", "documents", "home", "navigation"]

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


def navigation(user: PortalUser | None) -> list[tuple[str, str]]:
    """The menu: only what the user's profile and operator open."""
    if user is None:
        return []
    items = [("/", "Accueil")]
    if "ESAV" in user.eservices:
        items += [
            ("/esav", "Signalisations"),
            ("/esav/deposer", "Déposer"),
            ("/esav/tests", "Tests"),
            ("/esav/reseau", "Travaux et incidents"),
        ]
    for eservice, href, label in (
        ("ACTUALITES", "/actualites", "Actualités"),
        ("CONTRATS", "/contrats", "Contrats"),
        ("FICHIERS", "/fichiers", "Mes fichiers"),
        ("DUPLICATA", "/duplicata", "Duplicata"),
        ("DOCUMENTS", "/documents", "Documents"),
    ):
        if eservice in user.eservices:
            items.append((href, label))
    items += [("/faq", "FAQ"), ("/e-soutien", "e-soutien")]
    if user.is_admin:
        items += [("/admin/utilisateurs", "Utilisateurs"), ("/abonnement", "Abonnement")]
    return items


def home(ctx: Context) -> Response:
    user = ctx.portal_user
    notices = ctx.gateway.portal.news(user)[:3] if "ACTUALITES" in user.eservices else []
    return ctx.page("accueil.html", offers=sorted(user.offers.items()), notices=notices)


def _files(folder: Path, patterns: tuple[str, ...]) -> list[str]:
    found = {p.relative_to(folder).as_posix() for pattern in patterns for p in folder.glob(pattern) if p.is_file()}
    return sorted(found)


def documents(ctx: Context) -> Response:
    ctx.require_eservice("DOCUMENTS")
    sections = [(key, title, _files(folder, patterns)) for key, (title, folder, patterns) in DOC_PACK.items()]
    return ctx.page("documents.html", sections=sections)


def doc_file(ctx: Context, section: str, name: str) -> Response:
    """One file of the doc pack (``name`` is its path with ``~`` for ``/``: one URL segment)."""
    ctx.require_eservice("DOCUMENTS")
    if section not in DOC_PACK:
        raise HttpError(404, "Document introuvable.")
    _, folder, patterns = DOC_PACK[section]
    relative = name.replace("~", "/")
    if relative not in _files(folder, patterns):  # only listed files: no path tricks
        raise HttpError(404, "Document introuvable.")
    path = folder / relative
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith("xml"):
        kind += "; charset=utf-8"
    headers = {"Content-Disposition": f'attachment; filename="{path.name}"'}
    if path.suffix == ".html":  # a mockup: shown, with its own inline style and nothing else
        headers = {
            "Content-Disposition": "inline",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        }
    return Response(200, path.read_bytes(), kind, headers)
