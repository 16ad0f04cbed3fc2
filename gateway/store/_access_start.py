"""The day an operator's e-SAV accesses open: its subscription's activation date, not before."""

from __future__ import annotations

from ._parts import StorePart
from ._sql import Transaction

__all__ = ["AccessStartStore", "add_access_start_column"]


def add_access_start_column(db: Transaction) -> None:
    db.conn.execute("ALTER TABLE operators ADD COLUMN esav_starts_on TEXT")


class AccessStartStore(StorePart):
    def set_operator_access_start(self, db: Transaction, operator_code: str, starts_on: str | None) -> None:
        """The day (ISO) the operator's e-SAV accesses open, or None: open."""
        db.conn.execute("UPDATE operators SET esav_starts_on = ? WHERE code = ?", [starts_on, operator_code])
