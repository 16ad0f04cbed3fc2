"""e-soutien on both sides: an operator's requests (/e-soutien) and the provider's inbox (/fournisseur/e-soutien).

Every operator's user may open a request and follow its operator's ones; every provider's agent
answers them. The rules (statuses, hours and deadlines, files, audit) are the desk's
(``gateway.support``); the pages translate and show each error under its field.
"""

from __future__ import annotations

from gateway.domain.clock import to_paris
from gateway.domain.support_hours import SupportTopic
from gateway.errors import EsavError, InvalidRequestError, NotEntitledError
from gateway.services import SUPPORT_STATUSES, AttachmentIn
from gateway.services.records import FileRecord

from ._app import STAFF_PREFIX, Context
from ._http import HttpError, Response, redirect

__all__ = [
    "INBOX",
    "inbox",
    "inbox_close",
    "inbox_file",
    "inbox_reply",
    "inbox_take",
    "inbox_thread",
    "my_file",
    "my_reply",
    "my_thread",
    "requests_page",
    "submit",
]

INBOX = f"{STAFF_PREFIX}/e-soutien"
#: The form field under which a desk error's ``chemin`` is shown.
_FIELD_OF = {
    "objet": "objet",
    "description": "description",
    "sujet": "sujet",
    "fichier": "fichier",
    "pieces": "pieces",
    "message": "message",
}
_DONE = {
    "envoye": "Votre message est envoyé.",
    "repondu": "La réponse est envoyée à l'opérateur.",
    "pris": "La demande est prise en charge.",
    "clos": "La demande est close.",
}


def _attachments(ctx: Context) -> tuple[AttachmentIn, ...]:
    parts = [p for p in ctx.request.files.get("pieces", []) if p.filename or p.content]
    return tuple(
        AttachmentIn(p.filename.replace("\\", "/").rsplit("/", 1)[-1], p.content_type, p.content) for p in parts
    )


def _errors(exc: EsavError, default: str = "") -> dict[str, str]:
    return {_FIELD_OF.get(exc.chemin or "", default): exc.libelle}


def _download(name: str, mime_type: str, content: bytes | None) -> Response:
    safe = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(200, content or b"", mime_type, {"Content-Disposition": f'attachment; filename="{safe}"'})


def _number(text: str) -> int:
    if not text.isdigit():
        raise HttpError(404, "Introuvable.")
    return int(text)


# The operator's side ------------------------------------------------------------------------------


def _prefill(ctx: Context) -> dict[str, str]:
    """A request about a "Mes fichiers" file (``?fichier=id``) or a receipt missing a file (``?recu=ids``)."""
    user = ctx.portal_user
    values: dict[str, str] = {}
    records: list[FileRecord] = []
    for text in [ctx.request.arg("fichier"), *ctx.request.arg("recu").split(",")]:
        if text.strip().isdigit():
            try:
                records.append(ctx.gateway.portal.file(user, int(text)))
            except NotEntitledError:
                continue  # not this operator's, or no "Mes fichiers": nothing to pre-fill
    if not records:
        return values
    lines = [
        f"- {r.name} (version {r.version}, reçu le {to_paris(r.published_at):%d/%m/%Y à %H:%M:%S})" for r in records
    ]
    values["sujet"] = SupportTopic.PORTAIL.value
    if ctx.request.arg("recu"):
        values["objet"] = "Mes fichiers : un fichier manque dans l'accusé de réception"
        values["description"] = (
            "Fichiers figurant dans l'accusé de réception :\n" + "\n".join(lines) + "\n\nFichier manquant : "
        )
    else:
        values["objet"] = f"Mes fichiers : {records[0].name}"
        values["description"] = f"Fichier concerné :\n{lines[0]}\n\nProblème constaté : "
        values["fichier"] = str(records[0].id)
    return values


def requests_page(
    ctx: Context,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    sent: object = None,
    status: int = 200,
) -> Response:
    user = ctx.portal_user
    return ctx.page(
        "espace/soutien.html",
        status=status,
        items=ctx.gateway.support.my_requests(user),
        topics=list(SupportTopic),
        values=values if values is not None else _prefill(ctx),
        errors=errors or {},
        sent=sent,
    )


def submit(ctx: Context) -> Response:
    request = ctx.request
    values = {name: request.field(name) for name in ("sujet", "objet", "description", "fichier")}
    file_id = int(values["fichier"]) if values["fichier"].isdigit() else None
    try:
        sent = ctx.gateway.support.open_request(
            ctx.portal_user,
            values["sujet"] or SupportTopic.PORTAIL.value,
            values["objet"],
            values["description"],
            file_id=file_id,
            attachments=_attachments(ctx),
        )
    except EsavError as exc:
        return requests_page(ctx, values=values, errors=_errors(exc, "description"), status=422)
    return requests_page(ctx, values={}, sent=sent)


def my_thread(ctx: Context, reference: str, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    try:
        thread = ctx.gateway.support.my_request(ctx.portal_user, reference)
    except NotEntitledError:
        raise HttpError(404, "Demande introuvable.") from None
    return ctx.page(
        "espace/soutien_demande.html",
        status=status,
        t=thread,
        errors=errors or {},
        done=_DONE.get(ctx.request.arg("ok")),
    )


def my_reply(ctx: Context, reference: str) -> Response:
    try:
        ctx.gateway.support.reply(ctx.portal_user, reference, ctx.request.field("message"), _attachments(ctx))
    except NotEntitledError:
        raise HttpError(404, "Demande introuvable.") from None
    except EsavError as exc:
        return my_thread(ctx, reference, errors=_errors(exc, "message"), status=422)
    return redirect(f"/e-soutien/{reference}", ok="envoye")


def my_file(ctx: Context, reference: str, file_id: str) -> Response:
    try:
        found = ctx.gateway.support.my_file(ctx.portal_user, reference, _number(file_id))
    except (NotEntitledError, InvalidRequestError):
        raise HttpError(404, "Pièce jointe introuvable.") from None
    return _download(found.name, found.mime_type, found.content)


# The provider's side ------------------------------------------------------------------------------


def inbox(ctx: Context) -> Response:
    status = ctx.request.arg("statut").strip()
    errors: dict[str, str] = {}
    items = []
    try:
        items = ctx.gateway.support.inbox(status or None)
    except EsavError as exc:
        errors = _errors(exc, "statut")
    return ctx.page(
        "fournisseur/soutien_boite.html",
        status=422 if errors else 200,
        items=items,
        counts=ctx.gateway.support.counts(),
        statuses=SUPPORT_STATUSES,
        chosen=status,
        errors=errors,
        now=ctx.gateway.clock.now(),
    )


def inbox_thread(ctx: Context, reference: str, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    try:
        thread = ctx.gateway.support.thread(reference)
    except InvalidRequestError:
        raise HttpError(404, "Demande introuvable.") from None
    return ctx.page(
        "fournisseur/soutien_demande.html",
        status=status,
        t=thread,
        errors=errors or {},
        done=_DONE.get(ctx.request.arg("ok")),
    )


def _staff_act(ctx: Context, reference: str, what: str) -> Response:
    desk, author = ctx.gateway.support, ctx.staff.author
    try:
        desk.thread(reference)
    except InvalidRequestError:
        raise HttpError(404, "Demande introuvable.") from None
    try:
        if what == "pris":
            desk.take(reference, author=author)
        elif what == "repondu":
            desk.answer(reference, author=author, text=ctx.request.field("message"), attachments=_attachments(ctx))
        else:
            desk.close(reference, author=author, text=ctx.request.field("message"))
    except EsavError as exc:
        field = _FIELD_OF.get(exc.chemin or "")
        return inbox_thread(ctx, reference, errors={f"{what}-{field}" if field else "": exc.libelle}, status=422)
    return redirect(f"{INBOX}/{reference}", ok=what)


def inbox_take(ctx: Context, reference: str) -> Response:
    return _staff_act(ctx, reference, "pris")


def inbox_reply(ctx: Context, reference: str) -> Response:
    return _staff_act(ctx, reference, "repondu")


def inbox_close(ctx: Context, reference: str) -> Response:
    return _staff_act(ctx, reference, "clos")


def inbox_file(ctx: Context, reference: str, file_id: str) -> Response:
    try:
        found = ctx.gateway.support.file(reference, _number(file_id), author=ctx.staff.author)
    except InvalidRequestError:
        raise HttpError(404, "Pièce jointe introuvable.") from None
    return _download(found.name, found.mime_type, found.content)
