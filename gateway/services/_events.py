"""The operators' event feed (contract §3 ``consulterEvenements``): recording and reading events.

The ``record_*`` functions are called by the use cases inside their own write transaction (the
store's outbox), so that an event is committed with its change or not at all. Payloads are plain
JSON-able dicts whose keys are the wire's names; their instants are ISO 8601 text in UTC, written
by ``iso_utc`` and read back by ``payload_instant`` (the payload's own format, which
the wire layer and the push both read: not a storage detail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.domain.clock import Clock, iso_utc
from gateway.errors import InvalidRequestError
from gateway.store import AppointmentRecord, EventRecord, LineTestRecord, Store, TicketRecord, WriteTransaction

from ._views import Caller

__all__ = [
    "EVENT_KINDS",
    "MAX_EVENTS_PAGE",
    "EventPage",
    "EventService",
    "payload_instant",
    "record_appointment",
    "record_sav_comment",
    "record_state_change",
    "record_test_result",
]

STATE_CHANGE = "CHANGEMENT_ETAT"
SAV_COMMENT = "COMMENTAIRE_SAV"
APPOINTMENT = "RENDEZ_VOUS"
TEST_RESULT = "RESULTAT_TEST"
EVENT_KINDS = (STATE_CHANGE, SAV_COMMENT, APPOINTMENT, TEST_RESULT)
MAX_EVENTS_PAGE = 100


def payload_instant(text: str) -> datetime:
    """An instant read back from an event payload (aware, UTC)."""
    return datetime.fromisoformat(text)


def record_state_change(
    tx: WriteTransaction,
    ticket: TicketRecord,
    *,
    from_state: str | None,
    to_state: str,
    action: str,
    at: datetime,
    code: str | None = None,
    reason: str | None = None,
) -> None:
    """A transition of the ticket (the deposit included: ``from_state`` None, action ``DEPOSER``)."""
    payload = {"etatPrecedent": from_state, "etat": to_state, "action": action, "code": code, "motif": reason}
    tx.events.add(
        operator_code=ticket.operator_code, kind=STATE_CHANGE, subject=ticket.reference,
        domain="signalisation", at=at, payload=payload,
    )  # fmt: skip


def record_sav_comment(tx: WriteTransaction, ticket: TicketRecord, *, author: str, text: str, at: datetime) -> None:
    tx.events.add(
        operator_code=ticket.operator_code, kind=SAV_COMMENT, subject=ticket.reference,
        domain="signalisation", at=at, payload={"auteur": author, "texte": text},
    )  # fmt: skip


def record_appointment(tx: WriteTransaction, appointment: AppointmentRecord, *, operation: str, at: datetime) -> None:
    """``operation``: RESERVE, MODIFIE or ANNULE."""
    payload = {
        "operation": operation,
        "idRendezVous": appointment.reference,
        "typeIntervention": appointment.intervention_type,
        "idCreneau": appointment.slot_id,
        "debut": iso_utc(appointment.slot_start),
        "fin": iso_utc(appointment.slot_end),
        "statut": appointment.status,
    }
    tx.events.add(
        operator_code=appointment.operator_code, kind=APPOINTMENT, subject=appointment.ticket_reference,
        domain="signalisation", at=at, payload=payload,
    )  # fmt: skip


def record_test_result(tx: WriteTransaction, test: LineTestRecord, *, libelle: str | None, at: datetime) -> None:
    payload = {
        "idTest": test.reference,
        "typeTest": test.test_type,
        "identifiantPrestation": test.prestation,
        "statut": test.status,
        "codeDiagnostic": test.diagnostic,
        "libelleDiagnostic": libelle,
    }
    tx.events.add(
        operator_code=test.operator_code, kind=TEST_RESULT, subject=test.reference,
        domain="test", at=at, payload=payload,
    )  # fmt: skip


@dataclass(frozen=True)
class EventPage:
    """Events after a cursor, in ``idEvenement`` order; ``last_id`` is the cursor for the next call."""

    events: list[EventRecord]
    more: bool
    last_id: int


class EventService:
    """``consulterEvenements``: the calling operator's own events, after an id or since an instant."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def since(
        self, caller: Caller, *, after_id: int | None = None, since: datetime | None = None, size: int | None = None
    ) -> EventPage:
        if after_id is not None and since is not None:
            raise InvalidRequestError(
                "Donnez depuisId ou depuisDate, pas les deux (depuisId pour poursuivre une lecture).",
                chemin="depuisDate",
            )
        if after_id is not None and after_id < 0:
            raise InvalidRequestError("depuisId ne peut être négatif.", chemin="depuisId", valeur=str(after_id))
        size = MAX_EVENTS_PAGE if size is None else size
        if not 1 <= size <= MAX_EVENTS_PAGE:
            raise InvalidRequestError(f"nombreMax hors de 1 à {MAX_EVENTS_PAGE}.", chemin="nombreMax", valeur=str(size))
        start = after_id or 0
        found = self._store.events_after(caller.operator_code, start, since=since, limit=size + 1)
        events = found[:size]
        return EventPage(events, len(found) > size, events[-1].id if events else start)
