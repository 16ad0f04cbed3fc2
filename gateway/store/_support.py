"""The e-soutien desk: each request's topic and status, the timestamped messages both sides write, files.

A request itself stays a row of ``support_requests`` (reference, operator, subject, description);
``support_cases`` adds what the desk needs (a request without a row there is a new portal request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = [
    "SupportCase",
    "SupportFile",
    "SupportMessage",
    "SupportRepository",
    "SupportStore",
    "create_support_desk_tables",
]

NEW = "NOUVELLE"


@dataclass(frozen=True)
class SupportCase:
    """An e-soutien request as the desk sees it; ``file_id``: the "Mes fichiers" file it is about, if any."""

    id: int
    reference: str
    operator_code: str
    author: str
    subject: str
    description: str
    at: datetime
    topic: str
    status: str  # NOUVELLE, EN_COURS, REPONDUE, CLOSE
    file_id: int | None
    updated_at: datetime


@dataclass(frozen=True)
class SupportMessage:
    id: int
    side: str  # OPERATEUR or FOURNISSEUR
    author: str
    at: datetime
    text: str


@dataclass(frozen=True)
class SupportFile:
    id: int
    message_id: int | None
    side: str
    author: str
    name: str
    mime_type: str
    size: int
    sha256: str
    at: datetime
    content: bytes | None = None


def create_support_desk_tables(db: Transaction) -> None:
    """Migration 29: e-soutien requests' topic and status, their messages and files."""
    db.table("support_cases").create(
        {"request_id": int, "topic": str, "status": str, "file_id": int, "updated_at": str},
        pk="request_id",
        foreign_keys=[("request_id", "support_requests", "id")],
        not_null={"topic", "status", "updated_at"},
    )
    db.table("support_cases").create_index(["status"])
    db.table("support_messages").create(
        {"id": int, "request_id": int, "side": str, "author": str, "at": str, "text": str},
        pk="id",
        foreign_keys=[("request_id", "support_requests", "id")],
        not_null={"request_id", "side", "author", "at", "text"},
    )
    db.table("support_messages").create_index(["request_id", "id"])
    db.table("support_files").create(
        {
            "id": int,
            "request_id": int,
            "message_id": int,
            "side": str,
            "author": str,
            "name": str,
            "mime_type": str,
            "size": int,
            "sha256": str,
            "content": bytes,
            "at": str,
        },
        pk="id",
        foreign_keys=[("request_id", "support_requests", "id")],
        not_null={"request_id", "side", "name", "mime_type", "content", "at"},
    )
    db.table("support_files").create_index(["request_id", "id"])


_CASE_SELECT = (
    "SELECT r.id, r.reference, r.operator_code, COALESCE(r.author, '') AS author, r.subject, r.description, r.at, "
    "COALESCE(c.topic, 'PORTAIL') AS topic, COALESCE(c.status, 'NOUVELLE') AS status, c.file_id, "
    "COALESCE(c.updated_at, r.at) AS updated_at "
    "FROM support_requests r LEFT JOIN support_cases c ON c.request_id = r.id"
)


def _case(row: dict[str, Any]) -> SupportCase:
    return SupportCase(**{**row, "at": from_ts(row["at"]), "updated_at": from_ts(row["updated_at"])})


class SupportStore(StorePart):
    """Reads and writes of the e-soutien desk (writes inside the caller's transaction)."""

    def support_cases(self, *, operator_code: str | None = None, statuses: tuple[str, ...] = ()) -> list[SupportCase]:
        """Requests, newest first, of one operator (or all) and in ``statuses`` (or any)."""
        where, params = ["1 = 1"], []
        if operator_code:
            where.append("r.operator_code = ?")
            params.append(operator_code)
        if statuses:
            where.append(f"COALESCE(c.status, 'NOUVELLE') IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        rows = self._rows(f"{_CASE_SELECT} WHERE {' AND '.join(where)} ORDER BY r.id DESC", params)
        return [_case(r) for r in rows]

    def support_case(self, reference: str) -> SupportCase | None:
        row = self._one(f"{_CASE_SELECT} WHERE r.reference = ?", [reference])
        return _case(row) if row else None

    def support_status_counts(self) -> dict[str, int]:
        rows = self._rows(
            "SELECT COALESCE(c.status, 'NOUVELLE') AS status, COUNT(*) AS n FROM support_requests r "
            "LEFT JOIN support_cases c ON c.request_id = r.id GROUP BY 1"
        )
        return {r["status"]: int(r["n"]) for r in rows}

    def support_messages(self, request_id: int) -> list[SupportMessage]:
        rows = self._rows(
            "SELECT id, side, author, at, text FROM support_messages WHERE request_id = ? ORDER BY id", [request_id]
        )
        return [SupportMessage(**{**r, "at": from_ts(r["at"])}) for r in rows]

    def support_files(self, request_id: int) -> list[SupportFile]:
        rows = self._rows(
            "SELECT id, message_id, side, author, name, mime_type, size, sha256, at FROM support_files "
            "WHERE request_id = ? ORDER BY id",
            [request_id],
        )
        return [SupportFile(**{**r, "at": from_ts(r["at"])}) for r in rows]

    def support_file(self, request_id: int, file_id: int) -> SupportFile | None:
        row = self._one(
            "SELECT id, message_id, side, author, name, mime_type, size, sha256, at, content FROM support_files "
            "WHERE request_id = ? AND id = ?",
            [request_id, file_id],
        )
        return SupportFile(**{**row, "at": from_ts(row["at"])}) if row else None


class SupportRepository(Repository):
    """The e-soutien desk's writes, and the request whose status they change."""

    __slots__ = ()

    def case(self, reference: str) -> SupportCase | None:
        """The request about to change (PostgreSQL: its row locked until the commit)."""
        lock = " FOR NO KEY UPDATE OF r" if self._db.postgresql else ""
        row = self._one(f"{_CASE_SELECT} WHERE r.reference = ?{lock}", [reference])
        return _case(row) if row else None

    def set_case(self, request_id: int, *, topic: str, status: str, file_id: int | None, at: datetime) -> None:
        self._db.conn.execute(
            "INSERT INTO support_cases (request_id, topic, status, file_id, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(request_id) DO UPDATE SET topic = excluded.topic, status = excluded.status, "
            "file_id = excluded.file_id, updated_at = excluded.updated_at",
            [request_id, topic, status, file_id, to_ts(at)],
        )

    def add_message(self, request_id: int, *, side: str, author: str, at: datetime, text: str) -> int:
        return self._db.insert_id(
            "INSERT INTO support_messages (request_id, side, author, at, text) VALUES (?, ?, ?, ?, ?)",
            [request_id, side, author, to_ts(at), text],
        )

    def add_file(
        self,
        request_id: int,
        *,
        message_id: int | None,
        side: str,
        author: str,
        name: str,
        mime_type: str,
        content: bytes,
        sha256: str,
        at: datetime,
    ) -> int:
        return self._db.insert_id(
            "INSERT INTO support_files (request_id, message_id, side, author, name, mime_type, size, sha256, "
            "content, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [request_id, message_id, side, author, name, mime_type, len(content), sha256, content, to_ts(at)],
        )
