"""Espace Opérateurs' pages beyond e-SAV: news and notices, contracts, "Mes fichiers", invoice duplicates,
FAQ (e-soutien: ``_views_support``). Everything goes through ``gateway.portal`` (services), which bounds it
to the user."""

from __future__ import annotations

from gateway.domain.file_rules import FILE_RULES
from gateway.errors import EsavError, NotEntitledError
from gateway.services import NEWS_KINDS, UploadedFile

from ._app import Context
from ._http import HttpError, Response

__all__ = [
    "contracts",
    "download_file",
    "download_invoice",
    "faq",
    "files",
    "invoices",
    "news",
    "upload_files",
]


def news(ctx: Context) -> Response:
    ctx.require_eservice("ACTUALITES")
    return ctx.page("espace/actualites.html", items=ctx.gateway.portal.news(ctx.portal_user), kinds=NEWS_KINDS)


def contracts(ctx: Context) -> Response:
    ctx.require_eservice("CONTRATS")
    return ctx.page("espace/contrats.html", contracts=ctx.gateway.portal.contracts(ctx.portal_user))


def files(ctx: Context, receipt: list | None = None, erreur: str | None = None, status: int = 200) -> Response:
    ctx.require_eservice("FICHIERS")
    every = ctx.gateway.portal.files(ctx.portal_user)
    latest: dict[tuple[str, str], list] = {}
    for record in every:  # newest version first for each name
        latest.setdefault((record.direction, record.name), []).append(record)
    return ctx.page(
        "espace/fichiers.html",
        status=status,
        deposes=[v for (d, _), v in latest.items() if d == "OPERATEUR"],
        recus=[v for (d, _), v in latest.items() if d == "FOURNISSEUR"],
        receipt=receipt,
        erreur=erreur,
        rules=[FILE_RULES[offer] for offer in ctx.portal_user.file_offers if offer in FILE_RULES],
        operator_code=ctx.portal_user.caller.operator_code,
    )


def upload_files(ctx: Context) -> Response:
    ctx.require_eservice("FICHIERS")
    parts = [p for p in ctx.request.files.get("fichiers", []) if p.filename or p.content]
    uploads = [UploadedFile(p.filename, p.content_type, p.content) for p in parts]
    try:
        receipt = ctx.gateway.portal.upload(ctx.portal_user, uploads)
    except EsavError as exc:
        return files(ctx, erreur=exc.libelle, status=422)
    return files(ctx, receipt=receipt)


def _number(text: str) -> int:
    if not text.isdigit():
        raise HttpError(404, "Introuvable.")
    return int(text)


def download_file(ctx: Context, file_id: str) -> Response:
    ctx.require_eservice("FICHIERS")
    try:
        record = ctx.gateway.portal.file(ctx.portal_user, _number(file_id))
    except NotEntitledError:
        raise HttpError(404, "Fichier introuvable.") from None
    return _attachment(record.content or b"", record.mime_type, record.name)


def invoices(ctx: Context) -> Response:
    ctx.require_eservice("DUPLICATA")
    return ctx.page("espace/duplicata.html", invoices=ctx.gateway.portal.invoices(ctx.portal_user))


def download_invoice(ctx: Context, invoice_id: str) -> Response:
    ctx.require_eservice("DUPLICATA")
    try:
        invoice = ctx.gateway.portal.invoice(ctx.portal_user, _number(invoice_id))
    except NotEntitledError:
        raise HttpError(404, "Facture introuvable.") from None
    return _attachment(invoice.pdf or b"", "application/pdf", f"{invoice.number}.pdf")


def _attachment(content: bytes, mime_type: str, name: str) -> Response:
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(200, content, mime_type, {"Content-Disposition": f'attachment; filename="{ascii_name}"'})


def faq(ctx: Context) -> Response:
    return ctx.page("espace/faq.html", entries=ctx.gateway.portal.faq(ctx.portal_user))
