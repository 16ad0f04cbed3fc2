"""Technicians' capacity per zone, intervention type and slot, and the appointments booked in slots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = [
    "AppointmentRecord",
    "AppointmentRepository",
    "AppointmentStore",
    "CapacityRecord",
    "create_appointment_tables",
]

ACTIVE = "CONFIRME"


@dataclass(frozen=True)
class CapacityRecord:
    zone: str
    intervention_type: str
    slot_start: str  # "08:00"
    capacity: int
    updated_at: datetime
    author: str


@dataclass(frozen=True)
class AppointmentRecord:
    id: int
    reference: str
    ticket_id: int
    ticket_reference: str
    operator_code: str
    slot_id: str
    zone: str
    intervention_type: str
    slot_start: datetime
    slot_end: datetime
    contact_name: str
    contact_phone: str
    status: str  # CONFIRME, ANNULE
    created_at: datetime
    updated_at: datetime


def create_appointment_tables(db: Transaction) -> None:
    db.table("capacities").create(
        {"zone": str, "intervention_type": str, "slot_start": str, "capacity": int, "updated_at": str, "author": str},
        pk=("zone", "intervention_type", "slot_start"),
        not_null={"capacity", "updated_at"},
    )
    db.table("appointments").create(
        {
            "id": int,
            "reference": str,
            "ticket_id": int,
            "ticket_reference": str,
            "operator_code": str,
            "slot_id": str,
            "zone": str,
            "intervention_type": str,
            "slot_start": str,
            "slot_end": str,
            "contact_name": str,
            "contact_phone": str,
            "status": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="id",
        foreign_keys=[("ticket_id", "tickets", "id"), ("operator_code", "operators", "code")],
        not_null={"reference", "ticket_id", "slot_id", "status", "slot_start", "slot_end", "created_at"},
    )
    db.table("appointments").create_index(["reference"], unique=True)
    db.table("appointments").create_index(["slot_id", "status"])
    db.table("appointments").create_index(["zone", "intervention_type", "slot_start"])
    db.table("appointments").create_index(["ticket_id"])


def _appointment(row: dict[str, Any]) -> AppointmentRecord:
    dates = ("slot_start", "slot_end", "created_at", "updated_at")
    return AppointmentRecord(**{**row, **{k: from_ts(row[k]) for k in dates}})


def _capacity(row: dict[str, Any]) -> CapacityRecord:
    return CapacityRecord(**{**row, "updated_at": from_ts(row["updated_at"])})


class AppointmentStore(StorePart):
    """Capacities and appointments. Booking is checked and written in one ``write()`` transaction
    (SQLite: BEGIN IMMEDIATE, one writer at a time across processes; PostgreSQL: the slot's capacity
    row locked before counting, see ``AppointmentRepository.capacity``), so a slot is never over-booked."""

    # Capacities --------------------------------------------------------------------------------

    def list_capacities(self, zone: str | None = None) -> list[CapacityRecord]:
        where, params = ("WHERE zone = ?", [zone]) if zone else ("", [])
        rows = self._rows(f"SELECT * FROM capacities {where} ORDER BY zone, intervention_type, slot_start", params)
        return [_capacity(r) for r in rows]

    # Appointments ------------------------------------------------------------------------------

    def booked_in_slot(self, slot_id: str) -> int:
        """Active appointments in a slot (call inside the booking's write transaction)."""
        (count,) = self._db.conn.execute(
            "SELECT COUNT(*) FROM appointments WHERE slot_id = ? AND status = ?", [slot_id, ACTIVE]
        ).fetchone()
        return int(count)

    def booked_between(self, zone: str, intervention_type: str, start: datetime, end: datetime) -> dict[str, int]:
        """Active appointments per slot id for the slots starting within ``[start, end]``."""
        rows = self._rows(
            "SELECT slot_id, COUNT(*) AS n FROM appointments WHERE zone = ? AND intervention_type = ? "
            "AND slot_start >= ? AND slot_start <= ? AND status = ? GROUP BY slot_id",
            [zone, intervention_type, to_ts(start), to_ts(end), ACTIVE],
        )
        return {r["slot_id"]: int(r["n"]) for r in rows}

    def get_appointment(self, reference: str) -> AppointmentRecord | None:
        row = self._one("SELECT * FROM appointments WHERE reference = ?", [reference])
        return _appointment(row) if row else None

    def appointments_of_ticket(self, ticket_id: int) -> list[AppointmentRecord]:
        rows = self._rows("SELECT * FROM appointments WHERE ticket_id = ? ORDER BY id", [ticket_id])
        return [_appointment(r) for r in rows]

    def count_appointments(self, slot_id: str | None = None) -> int:
        """Active appointments, in one slot or in all."""
        if slot_id is not None:
            return self.booked_in_slot(slot_id)
        (count,) = self._db.conn.execute("SELECT COUNT(*) FROM appointments WHERE status = ?", [ACTIVE]).fetchone()
        return int(count)


class AppointmentRepository(Repository):
    """Appointments and the technicians' capacities, and the reads that decide a booking."""

    __slots__ = ()

    def get(self, reference: str) -> AppointmentRecord | None:
        """The appointment about to change (PostgreSQL: its row locked until the commit)."""
        row = self._one(f"SELECT * FROM appointments WHERE reference = ?{self._for_update}", [reference])
        return _appointment(row) if row else None

    def active(self, ticket_id: int, intervention_type: str) -> AppointmentRecord | None:
        """The ticket's confirmed appointment of this type, if any."""
        row = self._one(
            "SELECT * FROM appointments WHERE ticket_id = ? AND intervention_type = ? AND status = ?",
            [ticket_id, intervention_type, ACTIVE],
        )
        return _appointment(row) if row else None

    def capacity(self, zone: str, intervention_type: str, slot_start: str) -> int:
        """Technicians available for one slot of the day (0: none set); PostgreSQL: the capacity's row is
        locked until the commit, so that two bookings of the slot are counted one after the other."""
        row = self._one(
            "SELECT capacity FROM capacities WHERE zone = ? AND intervention_type = ? AND slot_start = ?"
            + self._for_update,
            [zone, intervention_type, slot_start],
        )
        return int(row["capacity"]) if row else 0

    def booked_in_slot(self, slot_id: str) -> int:
        """Active appointments in a slot."""
        (count,) = self._db.conn.execute(
            "SELECT COUNT(*) FROM appointments WHERE slot_id = ? AND status = ?", [slot_id, ACTIVE]
        ).fetchone()
        return int(count)

    def set_capacity(
        self, zone: str, intervention_type: str, slot_start: str, capacity: int, *, at: datetime, author: str
    ) -> None:
        self._db.table("capacities").upsert(
            {
                "zone": zone,
                "intervention_type": intervention_type,
                "slot_start": slot_start,
                "capacity": capacity,
                "updated_at": to_ts(at),
                "author": author,
            },
            pk=("zone", "intervention_type", "slot_start"),
        )

    def insert(self, fields: dict[str, Any], reference_prefix: str) -> AppointmentRecord:
        """Insert an appointment inside the caller's write transaction; its reference derives from its id."""
        next_id = self._db.next_id("appointments")
        row = {
            **{k: (to_ts(v) if isinstance(v, datetime) else v) for k, v in fields.items()},
            "id": next_id,
            "reference": f"{reference_prefix}{next_id:08d}",
        }
        self._db.table("appointments").insert(row)
        inserted = self._one("SELECT * FROM appointments WHERE id = ?", [next_id])
        assert inserted is not None
        return _appointment(inserted)

    def update(self, appointment_id: int, **changes: Any) -> None:
        values = {k: (to_ts(v) if isinstance(v, datetime) else v) for k, v in changes.items()}
        assignments = ", ".join(f"{k} = ?" for k in values)
        self._db.conn.execute(f"UPDATE appointments SET {assignments} WHERE id = ?", [*values.values(), appointment_id])
