"""The provider's staff read what operators sent them in "Mes fichiers" (/fournisseur/fichiers-operateurs).

Per operator and contract, each file with its versions and receipt times; any version downloads,
and the service audits every download. Any agent reaches these pages (as the other staff pages).
"""

from __future__ import annotations

from gateway.errors import EsavError

from ._app import STAFF_PREFIX, Context
from ._http import HttpError, Response

__all__ = ["FILES_PREFIX", "download", "received"]

FILES_PREFIX = f"{STAFF_PREFIX}/fichiers-operateurs"


def received(ctx: Context) -> Response:
    operators = [(o.code, o.name) for o in ctx.gateway.admin.list_operators()]
    chosen = ctx.request.arg("operateur").strip()
    errors: dict[str, str] = {}
    groups = []
    try:
        groups = ctx.gateway.operator_files.received(chosen or None)
    except EsavError as exc:
        errors[exc.chemin or ""] = exc.libelle
    return ctx.page(
        "fournisseur/fichiers_operateurs.html",
        status=422 if errors else 200,
        groups=groups,
        operators=operators,
        operator=chosen,
        errors=errors,
    )


def download(ctx: Context, file_id: str) -> Response:
    if not file_id.isdigit():
        raise HttpError(404, "Fichier introuvable.")
    try:
        found = ctx.gateway.operator_files.download(int(file_id), author=ctx.staff.author)
    except EsavError:
        raise HttpError(404, "Fichier introuvable.") from None
    safe = found.name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    headers = {"Content-Disposition": f'attachment; filename="{safe}"'}
    return Response(200, found.content or b"", found.mime_type, headers)
