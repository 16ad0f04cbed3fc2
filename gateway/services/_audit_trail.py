"""Reading the audit trail (``esav audit``): who did what, when, on what; and its values made readable."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from gateway.domain.clock import to_paris
from gateway.store import AuditRecord, Store

__all__ = ["AuditTrail", "readable_value"]


def readable_value(value: Any) -> str:
    """A detail's value as a person reads it: ``oui``/``non``, ``—`` for nothing, lists joined with commas,
    nested details as ``clé: valeur``, texts with spaces in quotes; never a Python representation."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return to_paris(value).isoformat(timespec="seconds")
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(readable_value(item) for item in value)
    if isinstance(value, dict):
        return "(" + "; ".join(f"{key}: {readable_value(item)}" for key, item in value.items()) + ")"
    text = str(value)
    if not text or any(c.isspace() for c in text) or any(c in text for c in '="(;,'):
        return json.dumps(text, ensure_ascii=False)
    return text


class AuditTrail:
    """The provider's actions, oldest first."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def entries(self, *, since: datetime | None = None, actor: str | None = None) -> list[AuditRecord]:
        return self._store.audit(since=since, actor=actor)
