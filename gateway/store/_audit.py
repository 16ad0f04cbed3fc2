"""The audit trail of the provider's actions, and the certificate-expiry reminders already given."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["AuditRecord", "AuditRepository", "AuditStore", "create_audit_tables"]


@dataclass(frozen=True)
class AuditRecord:
    """One provider action: who, when, what, on what."""

    id: int
    at: datetime
    actor: str
    action: str
    target: str
    details: dict[str, Any]


def create_audit_tables(db: Transaction) -> None:
    db.table("audit").create(
        {"id": int, "at": str, "actor": str, "action": str, "target": str, "details": str},
        pk="id",
        not_null={"at", "actor", "action", "target"},
    )
    db.table("audit").create_index(["at"])
    db.table("audit").create_index(["actor", "at"])
    db.table("certificate_reminders").create({"fingerprint": str, "reminded_at": str}, pk="fingerprint")


class AuditStore(StorePart):
    """The audit trail, as the pages read it."""

    def audit(
        self, *, since: datetime | None = None, until: datetime | None = None, actor: str | None = None
    ) -> list[AuditRecord]:
        where, params = ["1 = 1"], []
        if since is not None:
            where.append("at >= ?")
            params.append(to_ts(since))
        if until is not None:
            where.append("at < ?")
            params.append(to_ts(until))
        if actor is not None:
            where.append("actor = ?")
            params.append(actor)
        rows = self._rows(f"SELECT * FROM audit WHERE {' AND '.join(where)} ORDER BY id", params)
        return [
            AuditRecord(
                id=r["id"],
                at=datetime.fromisoformat(r["at"]),
                actor=r["actor"],
                action=r["action"],
                target=r["target"],
                details=json.loads(r["details"] or "{}"),
            )
            for r in rows
        ]


class AuditRepository(Repository):
    """Append-only audit rows, written inside the action's own transaction."""

    __slots__ = ()

    def add(
        self,
        *,
        at: datetime,
        actor: str,
        action: str,
        target: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        self._db.conn.execute(
            "INSERT INTO audit (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            [to_ts(at), actor, action, target, json.dumps(details or {}, ensure_ascii=False, sort_keys=True)],
        )

    def mark_certificate_reminded(self, fingerprint: str, at: datetime) -> bool:
        """Record the expiry reminder of a certificate; False if it was already given (by any process)."""
        cur = self._db.conn.execute(
            "INSERT INTO certificate_reminders (fingerprint, reminded_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [fingerprint, to_ts(at)],
        )
        return cur.rowcount == 1
