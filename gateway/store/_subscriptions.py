"""e-SAV subscriptions: the order form as submitted, its activation and its termination."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["SubscriptionRecord", "SubscriptionRepository", "SubscriptionStore", "create_subscription_tables"]


@dataclass(frozen=True)
class SubscriptionRecord:
    id: int
    reference: str
    operator_code: str
    state: str  # DEMANDEE, ACTIVE, RESILIEE
    form: dict[str, str]
    access: frozenset[str]  # EN_LIGNE, INTEGRE
    submitted_at: datetime
    submitted_by: str
    activated_on: str | None  # ISO day
    activated_by: str | None
    notice_on: str | None  # ISO day of the termination notice
    terminates_on: str | None  # ISO day it takes effect


def create_subscription_tables(db: Transaction) -> None:
    db.table("subscriptions").create(
        {
            "id": int,
            "reference": str,
            "operator_code": str,
            "state": str,
            "form": str,
            "access": str,
            "submitted_at": str,
            "submitted_by": str,
            "activated_on": str,
            "activated_by": str,
            "notice_on": str,
            "terminates_on": str,
        },
        pk="id",
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"reference", "operator_code", "state", "form", "access", "submitted_at"},
    )
    db.table("subscriptions").create_index(["reference"], unique=True)


def _subscription(row: dict[str, Any]) -> SubscriptionRecord:
    return SubscriptionRecord(
        **{
            **row,
            "form": dict(json.loads(row["form"])),
            "access": frozenset(json.loads(row["access"])),
            "submitted_at": from_ts(row["submitted_at"]),
        }
    )


class SubscriptionStore(StorePart):
    def subscription(self, reference: str) -> SubscriptionRecord | None:
        row = self._one("SELECT * FROM subscriptions WHERE reference = ?", [reference])
        return _subscription(row) if row else None

    def subscriptions(self, operator_code: str | None = None) -> list[SubscriptionRecord]:
        where, params = ("WHERE operator_code = ?", [operator_code]) if operator_code else ("", [])
        return [_subscription(r) for r in self._rows(f"SELECT * FROM subscriptions {where} ORDER BY id DESC", params)]


class SubscriptionRepository(Repository):
    """Subscriptions (order forms) and the operator's accesses they open."""

    __slots__ = ()

    def insert(
        self, operator_code: str, form: dict[str, str], access: frozenset[str], at: datetime, by: str
    ) -> SubscriptionRecord:
        row_id = self._db.insert_id(
            "INSERT INTO subscriptions (reference, operator_code, state, form, access, submitted_at, submitted_by) "
            "VALUES ('', ?, 'DEMANDEE', ?, ?, ?, ?)",
            [operator_code, json.dumps(form, ensure_ascii=False), json.dumps(sorted(access)), to_ts(at), by],
        )
        self._db.conn.execute("UPDATE subscriptions SET reference = ? WHERE id = ?", [f"ABO{row_id:08d}", row_id])
        found = self.get(f"ABO{row_id:08d}")
        assert found is not None
        return found

    def get(self, reference: str) -> SubscriptionRecord | None:
        """The subscription about to change (PostgreSQL: its row locked until the commit)."""
        row = self._one(f"SELECT * FROM subscriptions WHERE reference = ?{self._for_update}", [reference])
        return _subscription(row) if row else None

    def update(self, reference: str, **changes: Any) -> None:
        values = {k: (json.dumps(sorted(v)) if k == "access" else v) for k, v in changes.items()}
        assignments = ", ".join(f"{column} = ?" for column in values)
        self._db.conn.execute(
            f"UPDATE subscriptions SET {assignments} WHERE reference = ?", [*values.values(), reference]
        )

    def set_operator_access(self, operator_code: str, *, en_ligne: bool, integre: bool) -> None:
        self._db.conn.execute(
            "UPDATE operators SET esav_en_ligne = ?, esav_integre = ? WHERE code = ?",
            [int(en_ligne), int(integre), operator_code],
        )
