"""Planned works (TP) and network incidents: declared and updated by the provider, queried by
operators by prestation (through its commune) or by INSEE commune code (contract §7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from gateway.catalogue import Catalogue
from gateway.domain.appointments import zone_of_commune
from gateway.domain.clock import Clock
from gateway.domain.network_events import (
    ACTIVE_STATUSES,
    EventKind,
    EventStatus,
    check_notice,
    check_period,
    check_status_change,
)
from gateway.errors import InvalidRequestError, UnknownPrestationError, quote
from gateway.store import NetworkEventRecord, Store

from ._text import check_text
from ._views import Caller

__all__ = ["MAX_QUERY_PERIOD", "NetworkEventService"]

#: The longest period a planned-works query may cover (about three months).
MAX_QUERY_PERIOD = timedelta(days=92)
MAX_DESCRIPTION = 512


class NetworkEventService:
    """Planned works and incidents, per commune."""

    def __init__(self, store: Store, catalogue: Catalogue, clock: Clock) -> None:
        self._store = store
        self._catalogue = catalogue
        self._clock = clock

    # The provider -------------------------------------------------------------------------------

    def declare(
        self,
        kind: EventKind,
        *,
        code_commune: str,
        start: datetime | None,
        end: datetime | None,
        impact: str,
        description: str,
        author: str,
        declared_at: datetime | None = None,
        reference: str | None = None,
    ) -> NetworkEventRecord:
        """Declare planned works (at least two business days ahead) or an incident (start: now by default)."""
        now = declared_at or self._clock.now()
        zone_of_commune(code_commune)  # checks the INSEE code's shape
        if start is None:
            if kind is EventKind.TRAVAUX:
                raise InvalidRequestError("Des travaux programmés ont un début.", chemin="debut")
            start = now
        if kind is EventKind.TRAVAUX:
            if end is None:
                raise InvalidRequestError("Des travaux programmés ont une fin.", chemin="fin")
            check_notice(now, start)
        check_period(start, end)
        self._check_impact(impact)
        description = self._check_description(description)
        if not author:
            raise InvalidRequestError("L'auteur est obligatoire.", chemin="auteur")
        with self._store.write() as tx:
            return tx.network_events.insert(
                {
                    "kind": kind.value,
                    "code_commune": code_commune.strip().upper(),
                    "start": start,
                    "end": end,
                    "impact": impact,
                    "description": description,
                    "status": EventStatus.NOUVEAU.value,
                    "declared_at": now,
                    "updated_at": now,
                    "author": author,
                },
                reference,
            )

    def update(
        self,
        reference: str,
        status: EventStatus,
        *,
        author: str,
        start: datetime | None = None,
        end: datetime | None = None,
        impact: str | None = None,
        description: str | None = None,
    ) -> NetworkEventRecord:
        """Move an item along its life cycle (never back to NOUVEAU), with new dates or text if any.

        Planned works moved to a new start need the same two business days' notice from now.
        """
        if not author:
            raise InvalidRequestError("L'auteur est obligatoire.", chemin="auteur")
        now = self._clock.now()
        with self._store.write() as tx:
            event = self._found(reference, tx.network_events.get(reference))
            check_status_change(EventStatus(event.status), status)
            changes: dict[str, object] = {"status": status.value, "updated_at": now, "author": author}
            new_start = start or event.start
            if start is not None and start != event.start:
                if event.kind == EventKind.TRAVAUX.value:
                    check_notice(now, start)
                changes["start"] = start
            if end is not None:
                changes["end"] = end
            check_period(new_start, end or event.end)
            if impact is not None:
                self._check_impact(impact)
                changes["impact"] = impact
            if description is not None:
                changes["description"] = self._check_description(description)
            tx.network_events.update(event.id, **changes)
        return self.get(reference)

    def get(self, reference: str) -> NetworkEventRecord:
        return self._found(reference, self._store.get_network_event(reference))

    @staticmethod
    def _found(reference: str, event: NetworkEventRecord | None) -> NetworkEventRecord:
        if event is None:
            raise InvalidRequestError(f"{quote(reference)} : ni travaux ni incident de ce nom.", valeur=reference)
        return event

    def events(self, kind: EventKind | None = None, code_commune: str | None = None) -> list[NetworkEventRecord]:
        communes = [code_commune.strip().upper()] if code_commune else None
        return self._store.network_events(kind=kind.value if kind else None, communes=communes)

    # The operator -------------------------------------------------------------------------------

    def planned_works(
        self,
        caller: Caller,
        *,
        identifiant_prestation: str | None = None,
        code_commune: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[NetworkEventRecord]:
        """Planned works of the prestation's commune (or of a commune) overlapping a period of at most
        three months (default: the next three months), whatever their status."""
        now = self._clock.now()
        commune = self._commune(caller, identifiant_prestation, code_commune)
        begin = start or now
        finish = end or begin + MAX_QUERY_PERIOD
        if finish <= begin:
            raise InvalidRequestError("La fin de la période précède son début.", chemin="dateFin")
        if finish - begin > MAX_QUERY_PERIOD:
            raise InvalidRequestError(f"La période couvre au plus {MAX_QUERY_PERIOD.days} jours.", chemin="dateFin")
        return self._store.network_events(kind=EventKind.TRAVAUX.value, communes=[commune], overlapping=(begin, finish))

    def incidents(
        self, caller: Caller, *, identifiant_prestation: str | None = None, code_commune: str | None = None
    ) -> list[NetworkEventRecord]:
        """Current incidents (started, not ended, not closed or cancelled) of the prestation's commune."""
        now = self._clock.now()
        commune = self._commune(caller, identifiant_prestation, code_commune)
        return self._store.network_events(
            kind=EventKind.INCIDENT.value,
            communes=[commune],
            overlapping=(now, now),
            statuses=sorted(s.value for s in ACTIVE_STATUSES),
        )

    # Helpers ------------------------------------------------------------------------------------

    def _commune(self, caller: Caller, identifiant_prestation: str | None, code_commune: str | None) -> str:
        if bool(identifiant_prestation) == bool(code_commune):
            raise InvalidRequestError(
                "Donnez soit identifiantPrestation, soit codeCommune (l'un des deux, pas les deux).",
                chemin="identifiantPrestation",
            )
        if code_commune:
            zone_of_commune(code_commune)
            return code_commune.strip().upper()
        assert identifiant_prestation is not None
        prestation = self._store.get_prestation(identifiant_prestation)
        if prestation is None or prestation.operator_code != caller.operator_code:
            raise UnknownPrestationError(
                f"Prestation {quote(identifiant_prestation)} inconnue.",
                chemin="identifiantPrestation",
                valeur=identifiant_prestation,
            )
        if not prestation.code_commune:
            raise InvalidRequestError(
                f"La prestation {quote(identifiant_prestation)} n'a pas de commune : interrogez par codeCommune.",
                chemin="identifiantPrestation",
                valeur=identifiant_prestation,
            )
        return prestation.code_commune

    def _check_impact(self, impact: str) -> None:
        if not self._catalogue.has_value("IMPACTS", impact):
            codes = ", ".join(self._catalogue.nomenclature("IMPACTS").codes())
            raise InvalidRequestError(
                f"Impact « {quote(impact)} » inconnu (attendu {codes}).", chemin="impact", valeur=impact
            )

    @staticmethod
    def _check_description(description: str) -> str:
        text = (description or "").strip()
        if not text:
            raise InvalidRequestError("La description est obligatoire.", chemin="description")
        check_text(text, chemin="description", label="Description")
        if len(text) > MAX_DESCRIPTION:
            raise InvalidRequestError(f"La description dépasse {MAX_DESCRIPTION} caractères.", chemin="description")
        return text
