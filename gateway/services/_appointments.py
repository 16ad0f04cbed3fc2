"""Appointments (contract §5): slot search, booking without over-booking, rescheduling, cancelling;
and the technicians' capacity the provider manages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from gateway.catalogue import Catalogue
from gateway.domain.appointments import (
    SLOT_STARTS,
    Slot,
    check_search_open,
    parse_slot_id,
    search_period,
    slots_between,
    zone_of_commune,
)
from gateway.domain.clock import Clock, to_paris
from gateway.domain.states import OPEN_STATES, Action, Actor, TicketState
from gateway.errors import InvalidRequestError, SlotTakenError, TransitionForbiddenError, UnknownTicketError, quote
from gateway.store import AppointmentRecord, CapacityRecord, Store, TicketRecord, WriteTransaction

from ._events import record_appointment
from ._lifecycle import Lifecycle
from ._text import check_text
from ._views import Caller

__all__ = ["AppointmentService", "CapacityService"]

REFERENCE_PREFIX = "RDV"
CONFIRMED = "CONFIRME"
CANCELLED = "ANNULE"
AWAITING_APPOINTMENT = "ATTENTE_RENDEZ_VOUS"
MAX_CAPACITY = 500
_ZONE = re.compile(r"^(?:[0-9]{2}|2A|2B|97[1-6])$")
_PHONE = re.compile(r"^\+?[0-9][0-9 .-]{5,24}$")


def _hhmm(slot: Slot) -> str:
    return f"{slot.start_time:%H:%M}"


class AppointmentService:
    """The operator's side: find a free slot for a ticket, book it, move it, cancel it."""

    def __init__(self, store: Store, catalogue: Catalogue, clock: Clock, lifecycle: Lifecycle) -> None:
        self._store = store
        self._catalogue = catalogue
        self._clock = clock
        self._lifecycle = lifecycle

    def search(
        self, caller: Caller, reference: str, intervention_type: str, start: datetime | None, end: datetime | None
    ) -> list[Slot]:
        """Free slots (capacity left) for the ticket's zone and the intervention type, in order."""
        now = self._clock.now()
        check_search_open(now)
        ticket = self._open_ticket(caller, reference)
        self._check_type(intervention_type)
        zone = self._zone(ticket)
        begin, finish = search_period(start, end, now)
        capacity = {
            c.slot_start: c.capacity
            for c in self._store.list_capacities(zone)
            if c.intervention_type == intervention_type
        }
        booked = self._store.booked_between(zone, intervention_type, begin, finish)
        return [
            slot
            for slot in slots_between(zone, intervention_type, begin, finish)
            # A slot that has begun can no longer be booked (see book), so it is not offered either.
            if slot.start > now and capacity.get(_hhmm(slot), 0) > booked.get(slot.id, 0)
        ]

    def book(
        self, caller: Caller, reference: str, slot_id: str, contact_name: str, contact_phone: str
    ) -> AppointmentRecord:
        """Book a slot for the ticket; a GELE ticket waiting for an appointment resumes (EN_COURS)."""
        slot = parse_slot_id(slot_id)
        contact_name, contact_phone = _check_contact(contact_name, contact_phone)
        ticket = self._open_ticket(caller, reference)
        self._check_slot(slot, ticket)
        now = self._clock.now()
        with self._store.write() as tx:
            # Everything below is checked inside the write transaction that books: the ticket and the
            # slot's capacity are locked there (SQLite: the one writer; PostgreSQL: their rows) until
            # it commits, across processes.
            ticket = self._open(caller, reference, tx.tickets.get(reference))
            existing = tx.appointments.active(ticket.id, slot.intervention_type)
            if existing is not None:
                raise InvalidRequestError(
                    f"La signalisation {quote(reference)} a déjà le rendez-vous {existing.reference} "
                    f"({slot.intervention_type}) : utilisez modifierRendezVous pour le déplacer.",
                    chemin="referenceSignalisation",
                    valeur=existing.reference,
                )
            self._check_capacity(tx, slot)
            appointment = tx.appointments.insert(
                {
                    "ticket_id": ticket.id,
                    "ticket_reference": ticket.reference,
                    "operator_code": caller.operator_code,
                    "slot_id": slot.id,
                    "zone": slot.zone,
                    "intervention_type": slot.intervention_type,
                    "slot_start": slot.start,
                    "slot_end": slot.end,
                    "contact_name": contact_name,
                    "contact_phone": contact_phone,
                    "status": CONFIRMED,
                    "created_at": now,
                    "updated_at": now,
                },
                REFERENCE_PREFIX,
            )
            record_appointment(tx, appointment, operation="RESERVE", at=now)
            self._resume_if_waiting(caller, ticket, appointment, now)
        return appointment

    def reschedule(self, caller: Caller, appointment_reference: str, slot_id: str) -> AppointmentRecord:
        """Move a confirmed, future appointment to another free slot of the same zone and type."""
        slot = parse_slot_id(slot_id)
        now = self._clock.now()
        with self._store.write() as tx:
            appointment = self._changeable(caller, appointment_reference, now, tx)
            if slot.id == appointment.slot_id:
                return appointment
            if slot.intervention_type != appointment.intervention_type:
                raise InvalidRequestError(
                    f"Le rendez-vous {appointment.reference} est de type {appointment.intervention_type} : "
                    f"le créneau {slot.id} est d'un autre type.",
                    chemin="idCreneau",
                    valeur=slot.id,
                )
            ticket = self._open(caller, appointment.ticket_reference, tx.tickets.get(appointment.ticket_reference))
            self._check_slot(slot, ticket)
            self._check_capacity(tx, slot)
            tx.appointments.update(
                appointment.id, slot_id=slot.id, slot_start=slot.start, slot_end=slot.end, updated_at=now
            )
            updated = tx.appointments.get(appointment.reference)
            assert updated is not None
            record_appointment(tx, updated, operation="MODIFIE", at=now)
            self._resume_if_waiting(caller, ticket, updated, now)
        return updated

    def cancel(self, caller: Caller, appointment_reference: str) -> AppointmentRecord:
        """Cancel a future appointment (cancelling it again changes nothing); its place is free again."""
        now = self._clock.now()
        with self._store.write() as tx:
            appointment = self._own(caller, appointment_reference, tx.appointments.get(appointment_reference))
            if appointment.status == CANCELLED:
                return appointment
            appointment = self._changeable(caller, appointment_reference, now, tx)
            tx.appointments.update(appointment.id, status=CANCELLED, updated_at=now)
            cancelled = tx.appointments.get(appointment.reference)
            assert cancelled is not None
            record_appointment(tx, cancelled, operation="ANNULE", at=now)
        return cancelled

    def get(self, caller: Caller, appointment_reference: str) -> AppointmentRecord:
        return self._own(caller, appointment_reference, self._store.get_appointment(appointment_reference))

    @staticmethod
    def _own(caller: Caller, appointment_reference: str, appointment: AppointmentRecord | None) -> AppointmentRecord:
        if appointment is None or appointment.operator_code != caller.operator_code:
            raise InvalidRequestError(
                f"Rendez-vous {quote(appointment_reference)} inconnu.",
                chemin="idRendezVous",
                valeur=appointment_reference,
            )
        return appointment

    # Helpers ------------------------------------------------------------------------------------

    def _open_ticket(self, caller: Caller, reference: str) -> TicketRecord:
        return self._open(caller, reference, self._store.get_ticket(reference))

    @staticmethod
    def _open(caller: Caller, reference: str, ticket: TicketRecord | None) -> TicketRecord:
        if ticket is None or ticket.operator_code != caller.operator_code:
            raise UnknownTicketError(
                f"Signalisation {quote(reference)} inconnue.", chemin="referenceSignalisation", valeur=reference
            )
        if TicketState(ticket.state) not in OPEN_STATES:
            raise TransitionForbiddenError(
                f"La signalisation {quote(reference)} est {ticket.state} : plus de rendez-vous possible.",
                valeur=ticket.state,
            )
        return ticket

    def _check_type(self, intervention_type: str) -> None:
        if not self._catalogue.has_value("TYPES_INTERVENTION", intervention_type):
            codes = ", ".join(self._catalogue.nomenclature("TYPES_INTERVENTION").codes())
            raise InvalidRequestError(
                f"Type d'intervention « {quote(intervention_type)} » inconnu (attendu {codes}).",
                chemin="typeIntervention",
                valeur=intervention_type,
            )

    def _zone(self, ticket: TicketRecord) -> str:
        prestation = self._store.get_prestation(ticket.prestation)
        if prestation is None or not prestation.code_commune:
            raise InvalidRequestError(
                f"La prestation {ticket.prestation} n'a pas de commune : aucun créneau ne peut lui être proposé.",
                chemin="referenceSignalisation",
                valeur=ticket.reference,
            )
        return zone_of_commune(prestation.code_commune)

    def _check_slot(self, slot: Slot, ticket: TicketRecord) -> None:
        self._check_type(slot.intervention_type)
        zone = self._zone(ticket)
        if slot.zone != zone:
            raise InvalidRequestError(
                f"Le créneau {slot.id} est de la zone {slot.zone} ; la prestation de la signalisation "
                f"{ticket.reference} est dans la zone {zone}.",
                chemin="idCreneau",
                valeur=slot.id,
            )
        if slot.start <= self._clock.now():
            raise SlotTakenError(
                f"Le créneau {slot.id} a commencé le {to_paris(slot.start):%d/%m/%Y à %H:%M}.",
                chemin="idCreneau",
                valeur=slot.id,
            )

    @staticmethod
    def _check_capacity(tx: WriteTransaction, slot: Slot) -> None:
        """Inside the write transaction that books the slot: the count checked is the count that grows."""
        capacity = tx.appointments.capacity(slot.zone, slot.intervention_type, _hhmm(slot))
        if tx.appointments.booked_in_slot(slot.id) >= capacity:
            raise SlotTakenError(
                f"Le créneau {slot.id} est complet ({capacity} technicien(s)) : choisissez-en un autre.",
                chemin="idCreneau",
                valeur=slot.id,
            )

    def _changeable(
        self, caller: Caller, appointment_reference: str, now: datetime, tx: WriteTransaction
    ) -> AppointmentRecord:
        appointment = self._own(caller, appointment_reference, tx.appointments.get(appointment_reference))
        if appointment.status != CONFIRMED:
            raise TransitionForbiddenError(
                f"Le rendez-vous {appointment.reference} est {appointment.status}.", valeur=appointment.status
            )
        if appointment.slot_start <= now:
            raise TransitionForbiddenError(
                f"Le rendez-vous {appointment.reference} a commencé le "
                f"{to_paris(appointment.slot_start):%d/%m/%Y à %H:%M} : il ne peut plus changer.",
                valeur=appointment.reference,
            )
        return appointment

    def _resume_if_waiting(
        self, caller: Caller, ticket: TicketRecord, appointment: AppointmentRecord, now: datetime
    ) -> None:
        """Inside the booking's transaction: the awaited action has come, handling resumes."""
        if ticket.state == TicketState.GELE.value and ticket.freeze_code == AWAITING_APPOINTMENT:
            self._lifecycle.transition(
                ticket.reference,
                Action.REPRENDRE,
                Actor.OPERATEUR,
                author=caller.who,
                reason=f"Rendez-vous {appointment.reference} du {to_paris(appointment.slot_start):%d/%m/%Y %H:%M}",
                at=now,
            )


class CapacityService:
    """The provider's side: technicians per zone (département), intervention type and slot of the day."""

    def __init__(self, store: Store, catalogue: Catalogue, clock: Clock) -> None:
        self._store = store
        self._catalogue = catalogue
        self._clock = clock

    def set_capacity(
        self,
        zone: str,
        intervention_type: str,
        capacity: int,
        *,
        slot_starts: Sequence[str] = (),
        author: str,
    ) -> list[CapacityRecord]:
        """Set the capacity of some slots of the day (all four when none is named); 0 closes them."""
        zone = zone.strip().upper()
        if not _ZONE.match(zone):
            raise InvalidRequestError(
                f"Zone « {quote(zone)} » invalide : un numéro de département (75, 2A, 974...).",
                chemin="zone",
                valeur=zone,
            )
        if not self._catalogue.has_value("TYPES_INTERVENTION", intervention_type):
            codes = ", ".join(self._catalogue.nomenclature("TYPES_INTERVENTION").codes())
            raise InvalidRequestError(
                f"Type d'intervention « {quote(intervention_type)} » inconnu (attendu {codes}).",
                chemin="typeIntervention",
                valeur=intervention_type,
            )
        if not 0 <= capacity <= MAX_CAPACITY:
            raise InvalidRequestError(
                f"Capacité {capacity} hors de 0 à {MAX_CAPACITY}.", chemin="capacite", valeur=str(capacity)
            )
        known = [f"{t:%H:%M}" for t in SLOT_STARTS]
        for start in slot_starts:
            if start not in known:
                raise InvalidRequestError(
                    f"Créneau « {quote(start)} » inconnu (créneaux : {', '.join(known)}).",
                    chemin="creneau",
                    valeur=start,
                )
        if not author:
            raise InvalidRequestError("L'auteur est obligatoire.", chemin="auteur")
        now = self._clock.now()
        with self._store.write() as tx:
            for start in slot_starts or known:
                tx.appointments.set_capacity(zone, intervention_type, start, capacity, at=now, author=author)
        return [c for c in self._store.list_capacities(zone) if c.intervention_type == intervention_type]

    def capacities(self, zone: str | None = None) -> list[CapacityRecord]:
        return self._store.list_capacities(zone.strip().upper() if zone else None)


def _check_contact(name: str | None, phone: str | None) -> tuple[str, str]:
    name = (name or "").strip()
    phone = (phone or "").strip()
    if not name:
        raise InvalidRequestError("Le nom du contact sur site est obligatoire.", chemin="contact/nom")
    check_text(name, chemin="contact/nom", label="Nom du contact sur site")
    check_text(phone, chemin="contact/telephone", label="Téléphone du contact")
    if not _PHONE.match(phone):
        raise InvalidRequestError(
            f"Téléphone du contact « {quote(phone)} » invalide (chiffres, espaces, points, tirets, + en tête).",
            chemin="contact/telephone",
            valeur=phone,
        )
    return name, phone
