"""The day an operator's e-SAV accesses open: its subscription's activation date, not before."""

from __future__ import annotations

from ._parts import Repository
from ._sql import Transaction

__all__ = ["AccessStartRepository", "add_access_start_column"]


def add_access_start_column(db: Transaction) -> None:
    db.conn.execute("ALTER TABLE operators ADD COLUMN esav_starts_on TEXT")


class AccessStartRepository(Repository):
    """The day an operator's e-SAV access starts."""

    __slots__ = ()

    def set(self, operator_code: str, starts_on: str | None) -> None:
        """The day (ISO) the operator's e-SAV accesses open, or None: open."""
        self._db.conn.execute("UPDATE operators SET esav_starts_on = ? WHERE code = ?", [starts_on, operator_code])
