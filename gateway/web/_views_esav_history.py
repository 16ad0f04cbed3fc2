"""e-SAV en ligne: the history of closed tickets over the last 90 calendar days (``/esav/historique``).

The same use case as ``consulterHistorique`` (``tickets.history``): closed states only, a period that
starts at most 90 days back; on top, the user's readable offers bound the query before paging.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from gateway.domain.clock import PARIS, to_paris
from gateway.domain.states import CLOSED_STATES, HISTORY_WINDOW, TicketState
from gateway.errors import EsavError
from gateway.services import HistoryQuery

from ._app import Context
from ._http import Response

__all__ = ["history"]

PAGE_SIZE = 50
#: Where a service error's ``chemin`` is shown on the page.
_FIELD_OF = {"dateDebut": "depuis", "dateFin": "jusqua", "etat": "etat"}
_BAD_DAY = "Date invalide : choisissez un jour (jj/mm/aaaa)."


def _day(text: str, field: str, errors: dict[str, str]) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        errors[field] = _BAD_DAY
        return None


def history(ctx: Context) -> Response:
    """Closed tickets of the user's offers, closed within the period, newest closure first."""
    user = ctx.require_eservice("ESAV")
    args = ctx.request.arg
    values = {name: args(name).strip() for name in ("etat", "prestation", "depuis", "jusqua")}
    errors: dict[str, str] = {}
    now = ctx.gateway.clock.now()
    oldest = now - HISTORY_WINDOW
    first_day = to_paris(oldest).date()
    start_day = _day(values["depuis"], "depuis", errors)
    end_day = _day(values["jusqua"], "jusqua", errors)
    if start_day is None or start_day == first_day:
        start = oldest  # the whole window: from exactly 90 days ago
    else:
        start = datetime.combine(start_day, time(0), tzinfo=PARIS)
    end = datetime.combine(end_day + timedelta(days=1), time(0), tzinfo=PARIS) if end_day else None
    number = args("page")
    page_number = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
    if values["etat"] and values["etat"] not in {s.value for s in CLOSED_STATES}:
        errors["etat"] = "Choisissez un état clos."
    page = None
    if not errors:
        query = HistoryQuery(
            start=start,
            end=min(end, now) if end else None,
            state=values["etat"] or None,
            prestation=values["prestation"] or None,
            page=page_number,
            size=PAGE_SIZE,
            offers=tuple(sorted(user.offers)),
        )
        try:
            page = ctx.gateway.tickets.history(user.caller, query)
        except EsavError as exc:
            errors[_FIELD_OF.get(exc.chemin or "", "")] = exc.libelle
    kept = urlencode({k: v for k, v in values.items() if v})
    catalogue = ctx.gateway.catalogue
    return ctx.page(
        "esav/historique.html",
        status=422 if errors else 200,
        page=page,
        pages=max(1, -(-page.total // PAGE_SIZE)) if page else 1,
        values=values,
        errors=errors,
        kept=kept,
        first_day=first_day,
        states=sorted((s.value, s.libelle) for s in CLOSED_STATES),
        state_labels={s.value: s.libelle for s in TicketState},
        prestations=ctx.gateway.portal.prestations(user),
        closure_labels={v.code: v.libelle for v in catalogue.nomenclature("CODES_CLOTURE").values},
        rejection_labels={v.code: v.libelle for v in catalogue.nomenclature("MOTIFS_REJET").values},
    )
