"""Operators' suspension: the provider cuts an operator's portal and web-service access at once.

Kept on the operator's row (``suspended_at``, ``suspension_reason``), which every SOAP call and every
portal page already reads: a suspension costs no extra query. Its history is in the audit trail.
"""

from __future__ import annotations

from datetime import datetime

from ._db import to_ts
from ._parts import Repository
from ._sql import Transaction

__all__ = ["SuspensionRepository", "add_suspension_columns"]


def add_suspension_columns(db: Transaction) -> None:
    db.conn.execute("ALTER TABLE operators ADD COLUMN suspended_at TEXT")
    db.conn.execute("ALTER TABLE operators ADD COLUMN suspension_reason TEXT")


class SuspensionRepository(Repository):
    """An operator's suspension (on the operator's row)."""

    __slots__ = ()

    def set(self, operator_code: str, at: datetime | None, reason: str | None) -> None:
        """Suspend the operator from ``at`` with ``reason``, or lift its suspension (``at`` None)."""
        self._db.conn.execute(
            "UPDATE operators SET suspended_at = ?, suspension_reason = ? WHERE code = ?",
            [to_ts(at) if at is not None else None, reason, operator_code],
        )
