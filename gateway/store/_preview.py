"""Previews of a new form version against stored deposits: the deposits, read as a stream, and the
previews computed for operators' pages, kept for the day they were computed.

``tickets`` gets the index ``(form_code, operator_code, deposited_at)`` (migration 31): one
operator's deposits of one form over a window are a range of it, whatever the size of the table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["CachedPreview", "PreviewRepository", "PreviewStore", "StoredDeposit", "create_preview_tables"]


@dataclass(frozen=True)
class StoredDeposit:
    """What a preview reads of one deposit."""

    reference: str
    code_offre: str
    form_version: str
    form_xml: str


@dataclass(frozen=True)
class CachedPreview:
    """A preview computed for one operator and one form version on one (Paris) day."""

    operator_code: str
    form_code: str
    version: str
    day: str
    computed_at: datetime
    content: dict[str, Any]


def create_preview_tables(db: Transaction) -> None:
    # IF NOT EXISTS: a store that applied this step under an earlier number (before a renumbering) keeps it.
    db.conn.execute(
        "CREATE INDEX IF NOT EXISTS idx_tickets_form_preview ON tickets (form_code, operator_code, deposited_at)"
    )
    db.table("form_previews").create(
        {
            "operator_code": str,
            "form_code": str,
            "version": str,
            "day": str,
            "computed_at": str,
            "content": str,
        },
        pk=("operator_code", "form_code", "version"),
        not_null={"day", "computed_at", "content"},
        if_not_exists=True,
    )


class PreviewStore(StorePart):
    """Deposits of a form over a window, and cached previews."""

    def form_deposits(
        self, form_code: str, operator_code: str, since: datetime, until: datetime
    ) -> Iterator[StoredDeposit]:
        """One operator's deposits of ``form_code`` with ``since <= deposited_at <= until``, oldest first,
        read row by row from a cursor (never the whole window in memory)."""
        cursor = self._db.conn.execute(
            "SELECT reference, code_offre, form_version, form_xml FROM tickets INDEXED BY idx_tickets_form_preview "
            "WHERE form_code = ? AND operator_code = ? AND deposited_at >= ? AND deposited_at <= ? "
            "ORDER BY deposited_at",
            [form_code, operator_code, to_ts(since), to_ts(until)],
        )
        try:
            for reference, offer, version, form_xml in cursor:
                yield StoredDeposit(reference, offer, version, form_xml or "")
        finally:
            cursor.close()

    def cached_preview(self, operator_code: str, form_code: str, version: str) -> CachedPreview | None:
        row = self._one(
            "SELECT * FROM form_previews WHERE operator_code = ? AND form_code = ? AND version = ?",
            [operator_code, form_code, version],
        )
        if row is None:
            return None
        return CachedPreview(
            operator_code=row["operator_code"],
            form_code=row["form_code"],
            version=row["version"],
            day=row["day"],
            computed_at=from_ts(row["computed_at"]) or datetime.min,
            content=json.loads(row["content"]),
        )


class PreviewRepository(Repository):
    """The previews of the day kept for the portal."""

    __slots__ = ()

    def keep(
        self, operator_code: str, form_code: str, version: str, *, day: str, at: datetime, content: dict[str, Any]
    ) -> None:
        """Record (or replace) the preview of the day for one operator and form version."""
        self._db.conn.execute(
            "INSERT INTO form_previews (operator_code, form_code, version, day, computed_at, content) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (operator_code, form_code, version) DO UPDATE SET "
            "day = excluded.day, computed_at = excluded.computed_at, content = excluded.content",
            [operator_code, form_code, version, day, to_ts(at), json.dumps(content, ensure_ascii=False)],
        )
