"""Espace Opérateurs: the home page (only the sections the user may reach) and the documents area."""

from __future__ import annotations

import mimetypes

from gateway.services import DOC_PACK, FormPreviewService, PortalUser, doc_pack_files

from ._app import Context
from ._http import HttpError, Response

__all__ = ["doc_file", "documents", "home", "navigation"]


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
    if FormPreviewService.may_see(user):
        items.append(("/evolutions", "Évolutions"))
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
        items += [("/admin/utilisateurs", "Utilisateurs"), ("/admin/adresses", "Adresses de notification")]
        items += [("/abonnement", "Abonnement")]
    return items


def home(ctx: Context) -> Response:
    user = ctx.portal_user
    notices = ctx.gateway.portal.news(user)[:3] if "ACTUALITES" in user.eservices else []
    return ctx.page("accueil.html", offers=sorted(user.offers.items()), notices=notices)


def documents(ctx: Context) -> Response:
    ctx.require_eservice("DOCUMENTS")
    sections = [(key, title, doc_pack_files(folder, patterns)) for key, (title, folder, patterns) in DOC_PACK.items()]
    return ctx.page("documents.html", sections=sections)


def doc_file(ctx: Context, section: str, name: str) -> Response:
    """One file of the doc pack (``name`` is its path with ``~`` for ``/``: one URL segment)."""
    ctx.require_eservice("DOCUMENTS")
    if section not in DOC_PACK:
        raise HttpError(404, "Document introuvable.")
    _, folder, patterns = DOC_PACK[section]
    relative = name.replace("~", "/")
    if relative not in doc_pack_files(folder, patterns):  # only listed files: no path tricks
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
