"""Espace Opérateurs: the home page (only the sections the user may reach) and the documents area."""

from __future__ import annotations

import mimetypes

from gateway.services import DOC_ARCHIVE_NAME, FormPreviewService, PortalUser

from ._app import Context
from ._http import HttpError, Response

__all__ = ["doc_archive", "doc_file", "documents", "home", "navigation"]


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
    return ctx.page("documents.html", sections=ctx.gateway.documentation.sections(), archive=DOC_ARCHIVE_NAME)


def doc_archive(ctx: Context) -> Response:
    """The whole pack as one zip."""
    ctx.require_eservice("DOCUMENTS")
    headers = {"Content-Disposition": f'attachment; filename="{DOC_ARCHIVE_NAME}"'}
    return Response(200, ctx.gateway.documentation.zip(), "application/zip", headers)


def doc_file(ctx: Context, section: str, name: str) -> Response:
    """One document of the pack (``name`` is its path with ``~`` for ``/``: one URL segment)."""
    ctx.require_eservice("DOCUMENTS")
    document = ctx.gateway.documentation.document(section, name.replace("~", "/"))
    if document is None:  # only listed files: no path tricks
        raise HttpError(404, "Document introuvable.")
    file_name = document.name.rsplit("/", 1)[-1]
    kind = mimetypes.guess_type(file_name)[0] or document.media_type
    if kind.startswith("text/") or kind.endswith("xml"):
        kind += "; charset=utf-8"
    headers = {"Content-Disposition": f'attachment; filename="{file_name}"'}
    if file_name.endswith(".html"):  # a mockup, a guide, a specification: shown, with its own style and nothing else
        headers = {
            "Content-Disposition": "inline",
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
        }
    return Response(200, document.content(), kind, headers)
