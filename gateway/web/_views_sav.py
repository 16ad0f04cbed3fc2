"""The after-sales work queue (/fournisseur/sav): every operator's tickets by GTR deadline, and acting on them.

For agents with the after-sales role (``SAV``); any other agent, like an operator's user, gets 404.
The pages translate only: filters, rules, codes, the optimistic check and the audit are the
services' (``gateway.work_queue``, the same use cases as ``esav sav``).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from gateway.domain.clock import PARIS
from gateway.domain.states import CLOSED_STATES, OPEN_STATES, Action, TicketState
from gateway.errors import EsavError, InvalidRequestError, TicketChangedError, UnknownTicketError
from gateway.services import AFTER_SALES, ProviderAgent, QueueQuery

from ._app import STAFF_PREFIX, Context
from ._http import HttpError, Response, redirect

__all__ = ["SAV_PREFIX", "act", "attach", "attachment", "comment", "queue", "ticket"]

SAV_PREFIX = f"{STAFF_PREFIX}/sav"
PAGE_SIZE = 50
GRAVITES = (("MINEURE", "Mineure"), ("MAJEURE", "Majeure"), ("CRITIQUE", "Critique"))
#: The form field under which a service error's ``chemin`` is shown.
_FIELD_OF = {
    "codeRejet": "code",
    "codeGel": "code",
    "codeCloture": "code",
    "code": "code",
    "motif": "motif",
    "commentaire": "texte",
    "fichier": "fichier",
}
#: What each action's button and form say, in the agent's words.
ACTION_FORMS: dict[Action, dict[str, str]] = {
    Action.QUALIFIER: {"bouton": "Accepter (qualifier)", "aide": "La signalisation est recevable."},
    Action.REJETER: {"bouton": "Rejeter", "liste": "MOTIFS_REJET", "champ": "Motif de rejet"},
    Action.DEMARRER: {"bouton": "Démarrer le traitement", "aide": "Un technicien prend la signalisation."},
    Action.GELER: {"bouton": "Geler", "liste": "MOTIFS_GEL", "champ": "Ce qui est attendu de l'opérateur"},
    Action.REPRENDRE: {"bouton": "Reprendre le traitement", "aide": "L'attente de l'opérateur a pris fin."},
    Action.CLORE: {"bouton": "Clore", "liste": "CODES_CLOTURE", "champ": "Code de clôture"},
    Action.VALIDER: {"bouton": "Valider la clôture", "aide": "L'avis de clôture est envoyé."},
    Action.ARCHIVER: {"bouton": "Clore au tableau de bord", "aide": "La signalisation ne sera plus modifiable."},
}
#: Confirmations after a redirect (``?ok=code``): fixed texts, nothing echoed.
_DONE = {
    "sav-action": "L'action est enregistrée.",
    "sav-commentaire": "Le commentaire est ajouté ; l'opérateur le voit.",
    "sav-piece": "La pièce jointe est ajoutée.",
}
_ERROR_MESSAGES = {
    "etat": "État inconnu.",
    "depuis": "Date invalide : choisissez un jour (jj/mm/aaaa).",
    "jusqua": "Date invalide : choisissez un jour (jj/mm/aaaa).",
}


def _after_sales(ctx: Context) -> ProviderAgent:
    agent = ctx.staff
    if not agent.has_role(AFTER_SALES):
        raise HttpError(404, "Page introuvable.")
    return agent


def _day(text: str, field: str, errors: dict[str, str]) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = _ERROR_MESSAGES[field]
        return None


def queue(ctx: Context) -> Response:
    """The queue: filters on top, counts per state, soonest GTR deadline first, paged."""
    _after_sales(ctx)
    args = ctx.request.arg
    values = {name: args(name).strip() for name in ("etat", "operateur", "offre", "gravite", "depuis", "jusqua")}
    values["recherche"] = args("recherche").strip()
    errors: dict[str, str] = {}
    start = _day(values["depuis"], "depuis", errors)
    end = _day(values["jusqua"], "jusqua", errors)
    number = args("page")
    page_number = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
    result = None
    if not errors:
        query = QueueQuery(
            states=(values["etat"],) if values["etat"] else (),
            operator_code=values["operateur"] or None,
            code_offre=values["offre"] or None,
            gravite=values["gravite"] or None,
            deposited_from=datetime.combine(start, time(0), tzinfo=PARIS) if start else None,
            deposited_to=datetime.combine(end + timedelta(days=1), time(0), tzinfo=PARIS) - timedelta(microseconds=1)
            if end
            else None,
            search=values["recherche"] or None,
            page=page_number,
            size=PAGE_SIZE,
        )
        try:
            result = ctx.gateway.work_queue.queue(query)
        except EsavError as exc:
            errors[exc.chemin or ""] = exc.libelle
    kept = {k: v for k, v in values.items() if v}
    return ctx.page(
        "fournisseur/sav_liste.html",
        status=422 if errors else 200,
        result=result,
        values=values,
        errors=errors,
        query_string=urlencode(kept),
        states=[(s.value, s.libelle) for s in TicketState],
        open_states={s.value for s in OPEN_STATES},
        operators=[(o.code, o.name) for o in ctx.gateway.admin.list_operators()],
        offers=ctx.gateway.catalogue.offers(),
        gravites=GRAVITES,
        gravite_labels=dict(GRAVITES),
        state_labels={s.value: s.libelle for s in TicketState},
    )


def _ticket_page(
    ctx: Context,
    reference: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    conflict: str | None = None,
    status: int = 200,
) -> Response:
    try:
        view = ctx.gateway.work_queue.ticket(reference)
    except UnknownTicketError:
        raise HttpError(404, "Signalisation introuvable.") from None
    catalogue = ctx.gateway.catalogue

    def labels(list_code: str) -> dict[str, str]:
        return {v.code: v.libelle for v in catalogue.nomenclature(list_code).values}

    return ctx.page(
        "fournisseur/sav_detail.html",
        test_labels=labels("TYPES_TEST"),
        diagnostic_labels=labels("DIAGNOSTICS"),
        intervention_labels=labels("TYPES_INTERVENTION"),
        appointment_statuses={"CONFIRME": "confirmé", "ANNULE": "annulé"},
        status=status,
        v=view,
        d=view.detail,
        forms=ACTION_FORMS,
        state_labels={s.value: s.libelle for s in TicketState},
        action_labels={a.value: a.libelle for a in Action} | {"DEPOSER": "dépôt"},
        is_closed=TicketState(view.detail.ticket.state) in CLOSED_STATES,
        errors=errors or {},
        values=values or {},
        conflict=conflict,
        done=_DONE.get(ctx.request.arg("ok")),
    )


def ticket(ctx: Context, reference: str) -> Response:
    _after_sales(ctx)
    return _ticket_page(ctx, reference)


def act(ctx: Context, reference: str) -> Response:
    """One of the agent's actions, refused if the ticket moved since the page showed it."""
    agent = _after_sales(ctx)
    request = ctx.request
    name = request.field("action")
    values = {"action": name, "code": request.field("code").strip(), "motif": request.field("motif").strip()}
    try:
        action = Action(name)
    except ValueError:
        return _ticket_page(ctx, reference, conflict="Action inconnue.", status=422)
    seen_text = request.field("vu")
    seen = int(seen_text) if seen_text.isdigit() else -1  # a form without it is refused as stale
    try:
        ctx.gateway.work_queue.act(
            reference,
            action,
            author=agent.author,
            seen=seen,
            reason=values["motif"] or None,
            code=values["code"] or None,
        )
    except UnknownTicketError:
        raise HttpError(404, "Signalisation introuvable.") from None
    except TicketChangedError as exc:
        return _ticket_page(ctx, reference, conflict=exc.libelle, status=409)
    except EsavError as exc:
        field = _FIELD_OF.get(exc.chemin or "")
        if field is None:
            return _ticket_page(ctx, reference, conflict=exc.libelle, values=values, status=422)
        return _ticket_page(ctx, reference, errors={f"{name}-{field}": exc.libelle}, values=values, status=422)
    return redirect(f"{SAV_PREFIX}/{reference}", ok="sav-action")


def comment(ctx: Context, reference: str) -> Response:
    agent = _after_sales(ctx)
    text = ctx.request.field("texte")
    try:
        ctx.gateway.work_queue.comment(reference, author=agent.author, text=text)
    except UnknownTicketError:
        raise HttpError(404, "Signalisation introuvable.") from None
    except EsavError as exc:
        return _ticket_page(ctx, reference, errors={"commentaire-texte": exc.libelle}, status=422)
    return redirect(f"{SAV_PREFIX}/{reference}", ok="sav-commentaire")


def attach(ctx: Context, reference: str) -> Response:
    agent = _after_sales(ctx)
    parts = [p for p in ctx.request.files.get("fichier", []) if p.filename]
    try:
        if len(parts) != 1:
            raise InvalidRequestError("Choisissez un fichier.", chemin="fichier")
        part = parts[0]
        ctx.gateway.work_queue.attach(
            reference, author=agent.author, name=part.filename, mime_type=part.content_type, content=part.content
        )
    except UnknownTicketError:
        raise HttpError(404, "Signalisation introuvable.") from None
    except EsavError as exc:
        return _ticket_page(ctx, reference, errors={"piece-fichier": exc.libelle}, status=422)
    return redirect(f"{SAV_PREFIX}/{reference}", ok="sav-piece")


def attachment(ctx: Context, reference: str, attachment_id: str) -> Response:
    agent = _after_sales(ctx)
    if not attachment_id.isdigit():
        raise HttpError(404, "Pièce jointe introuvable.")
    try:
        name, mime_type, content = ctx.gateway.work_queue.attachment(reference, int(attachment_id), author=agent.author)
    except EsavError:
        raise HttpError(404, "Pièce jointe introuvable.") from None
    safe = name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return Response(200, content, mime_type, {"Content-Disposition": f'attachment; filename="{safe}"'})
