"""Outbound e-mail: operators' notification addresses and the mail outbox.

``mail_outbox`` is an outbox like ``events``: a message is written by ``MailRepository.queue`` inside the write
transaction of the change it announces (a publication, a declared interruption, a rate limit, a
renewed certificate), so a message exists if and only if its change was committed. Its Message-ID is
unique: queueing the same message twice is a no-op. The mail worker claims a message (``EN_COURS``,
committed) before it talks to the relay and records the outcome after, so a message is never handed
to the relay twice by the gateway itself: a claim found after a crash is not retried on its own but
set aside (``ABANDONNE``) for the provider to check and ``esav courriel relancer``.

Attachments are kept once per content (``mail_blobs``, by SHA-256): the same documentation pack
sent to every operator is stored once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = [
    "MAIL_ABANDONED",
    "MAIL_CLAIMED",
    "MAIL_NO_RECIPIENT",
    "MAIL_PENDING",
    "MAIL_SENT",
    "MailAddressRecord",
    "MailAttachment",
    "MailRecord",
    "MailRepository",
    "MailStore",
    "create_mail_tables",
]

MAIL_PENDING = "EN_ATTENTE"
MAIL_CLAIMED = "EN_COURS"
MAIL_SENT = "ENVOYE"
MAIL_ABANDONED = "ABANDONNE"  # the dead letter: only ``esav courriel relancer`` sends it again
MAIL_NO_RECIPIENT = "SANS_DESTINATAIRE"  # the operator has no address for the topic: kept, not sent


@dataclass(frozen=True)
class MailAddressRecord:
    operator_code: str
    list: str
    address: str
    added_at: datetime
    added_by: str


@dataclass(frozen=True)
class MailAttachment:
    name: str
    mime_type: str
    content: bytes


@dataclass(frozen=True)
class MailRecord:
    id: int
    message_id: str
    cause: str  # what the message announces, e.g. ``actualite/12``, ``interruption/3``
    operator_code: str
    topic: str
    subject: str
    recipients: tuple[str, ...]
    text_body: str
    html_body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    attachment_names: tuple[str, ...] = ()


def create_mail_tables(db: Transaction) -> None:
    db.table("mail_addresses").create(
        {"operator_code": str, "list": str, "address": str, "added_at": str, "added_by": str},
        pk=("operator_code", "list", "address"),
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"added_at", "added_by"},
    )
    db.conn.execute(
        "CREATE TABLE mail_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL UNIQUE, "
        "cause TEXT NOT NULL, operator_code TEXT NOT NULL REFERENCES operators(code), topic TEXT NOT NULL, "
        "subject TEXT NOT NULL, recipients TEXT NOT NULL, text_body TEXT NOT NULL, html_body TEXT NOT NULL, "
        "status TEXT NOT NULL, attempts INTEGER NOT NULL, next_attempt_at TEXT NOT NULL, last_error TEXT, "
        "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, sent_at TEXT, UNIQUE (cause, operator_code))"
    )
    db.table("mail_outbox").create_index(["status", "next_attempt_at"])
    db.table("mail_outbox").create_index(["operator_code", "id"])
    db.table("mail_blobs").create({"sha256": str, "content": bytes}, pk="sha256", not_null={"content"})
    # A notice for one operator only (a rate limit) is shown on that operator's portal only.
    db.conn.execute("ALTER TABLE portal_news ADD COLUMN operator_code TEXT REFERENCES operators(code)")
    db.table("mail_attachments").create(
        {"mail_id": int, "position": int, "name": str, "mime_type": str, "sha256": str},
        pk=("mail_id", "position"),
        foreign_keys=[("mail_id", "mail_outbox", "id"), ("sha256", "mail_blobs", "sha256")],
        not_null={"name", "mime_type", "sha256"},
    )


def _mail(row: dict[str, Any], names: tuple[str, ...] = ()) -> MailRecord:
    dates = ("next_attempt_at", "created_at", "updated_at", "sent_at")
    return MailRecord(
        **{
            **row,
            **{k: from_ts(row[k]) for k in dates},
            "recipients": tuple(json.loads(row["recipients"])),
            "attachment_names": names,
        }
    )


class MailStore(StorePart):
    """Operators' notification addresses and the mail outbox."""

    # Addresses ----------------------------------------------------------------------------------

    def mail_addresses(self, operator_code: str | None = None) -> list[MailAddressRecord]:
        where, params = ("WHERE operator_code = ?", [operator_code]) if operator_code else ("", [])
        rows = self._rows(f"SELECT * FROM mail_addresses {where} ORDER BY operator_code, list, address", params)
        return [MailAddressRecord(**{**r, "added_at": from_ts(r["added_at"])}) for r in rows]

    # Outbox -------------------------------------------------------------------------------------

    def get_mail(self, mail_id: int) -> MailRecord | None:
        row = self._one("SELECT * FROM mail_outbox WHERE id = ?", [mail_id])
        return _mail(row, self._attachment_names(mail_id)) if row else None

    def mail_by_cause(self, cause: str) -> list[MailRecord]:
        rows = self._rows("SELECT * FROM mail_outbox WHERE cause = ? ORDER BY id", [cause])
        return [_mail(r, self._attachment_names(r["id"])) for r in rows]

    def outbox(
        self, *, status: str | None = None, operator_code: str | None = None, limit: int = 200
    ) -> list[MailRecord]:
        """Messages, newest first."""
        where, params = ["1 = 1"], []
        if status:
            where.append("status = ?")
            params.append(status)
        if operator_code:
            where.append("operator_code = ?")
            params.append(operator_code)
        rows = self._rows(
            f"SELECT * FROM mail_outbox WHERE {' AND '.join(where)} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [_mail(r, self._attachment_names(r["id"])) for r in rows]

    def mail_status_counts(self) -> dict[str, int]:
        rows = self._rows("SELECT status, count(*) AS n FROM mail_outbox GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}

    def mail_attachments(self, mail_id: int) -> list[MailAttachment]:
        rows = self._rows(
            "SELECT a.name, a.mime_type, b.content FROM mail_attachments a JOIN mail_blobs b ON b.sha256 = a.sha256 "
            "WHERE a.mail_id = ? ORDER BY a.position",
            [mail_id],
        )
        return [MailAttachment(**r) for r in rows]

    def _attachment_names(self, mail_id: int) -> tuple[str, ...]:
        rows = self._rows("SELECT name FROM mail_attachments WHERE mail_id = ? ORDER BY position", [mail_id])
        return tuple(r["name"] for r in rows)

    def due_mail(self, now: datetime, limit: int = 50) -> list[int]:
        """Ids of the messages waiting whose next attempt is due, oldest first."""
        rows = self._rows(
            "SELECT id FROM mail_outbox WHERE status = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?",
            [MAIL_PENDING, to_ts(now), limit],
        )
        return [r["id"] for r in rows]


class MailRepository(Repository):
    """Operators' notification addresses and the mail outbox, as the gateway changes them."""

    __slots__ = ()

    def add_address(self, operator_code: str, list_: str, address: str, *, at: datetime, by: str) -> bool:
        """Add an address to one of the operator's lists (in the caller's transaction); False if already there."""
        cursor = self._db.conn.execute(
            "INSERT INTO mail_addresses (operator_code, list, address, added_at, added_by) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [operator_code, list_, address, to_ts(at), by],
        )
        return cursor.rowcount == 1

    def remove_address(self, operator_code: str, list_: str, address: str) -> bool:
        cursor = self._db.conn.execute(
            "DELETE FROM mail_addresses WHERE operator_code = ? AND list = ? AND address = ?",
            [operator_code, list_, address],
        )
        return cursor.rowcount == 1

    def queue(
        self,
        *,
        message_id: str,
        cause: str,
        operator_code: str,
        topic: str,
        subject: str,
        recipients: tuple[str, ...],
        text_body: str,
        html_body: str,
        attachments: tuple[MailAttachment, ...],
        at: datetime,
    ) -> int | None:
        """Queue a message inside the caller's transaction; None when one was already queued for this cause
        and operator (or with this Message-ID)."""
        status = MAIL_PENDING if recipients else MAIL_NO_RECIPIENT
        queued = self._db.conn.execute(
            "INSERT INTO mail_outbox (message_id, cause, operator_code, topic, subject, recipients, "
            "text_body, html_body, status, attempts, next_attempt_at, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            [message_id, cause, operator_code, topic, subject, json.dumps(list(recipients)), text_body, html_body,
             status, to_ts(at), to_ts(at), to_ts(at)],
        ).fetchall()  # fmt: skip
        if not queued:
            return None
        mail_id = int(queued[0][0])
        for position, attachment in enumerate(attachments):
            digest = hashlib.sha256(attachment.content).hexdigest()
            self._db.conn.execute(
                "INSERT INTO mail_blobs (sha256, content) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [digest, attachment.content],
            )
            self._db.conn.execute(
                "INSERT INTO mail_attachments (mail_id, position, name, mime_type, sha256) VALUES (?, ?, ?, ?, ?)",
                [mail_id, position, attachment.name, attachment.mime_type, digest],
            )
        return mail_id

    def claim(self, mail_id: int, at: datetime) -> bool:
        """Mark a waiting message as being sent (committed before the relay is called); False if it was not waiting."""
        cursor = self._db.conn.execute(
            "UPDATE mail_outbox SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id = ? AND status = ?",
            [MAIL_CLAIMED, to_ts(at), mail_id, MAIL_PENDING],
        )
        return cursor.rowcount == 1

    def sent(self, mail_id: int, at: datetime, note: str | None = None) -> None:
        self._db.conn.execute(
            "UPDATE mail_outbox SET status = ?, sent_at = ?, updated_at = ?, last_error = ? WHERE id = ?",
            [MAIL_SENT, to_ts(at), to_ts(at), note, mail_id],
        )

    def failed(self, mail_id: int, at: datetime, error: str, retry_at: datetime | None) -> None:
        """Record a failed attempt: waiting again from ``retry_at``, or set aside (dead letter) when None."""
        self._db.conn.execute(
            "UPDATE mail_outbox SET status = ?, next_attempt_at = COALESCE(?, next_attempt_at), last_error = ?, "
            "updated_at = ? WHERE id = ?",
            [MAIL_PENDING if retry_at else MAIL_ABANDONED, to_ts(retry_at) if retry_at else None, error[:1000],
             to_ts(at), mail_id],
        )  # fmt: skip

    def set_aside_interrupted(self, claimed_before: datetime, at: datetime, error: str) -> int:
        """Messages claimed before ``claimed_before`` and never settled (the sender stopped mid-way): whether
        the relay took them is unknown, so they are set aside rather than sent again."""
        cursor = self._db.conn.execute(
            "UPDATE mail_outbox SET status = ?, last_error = ?, updated_at = ? WHERE status = ? AND updated_at < ?",
            [MAIL_ABANDONED, error, to_ts(at), MAIL_CLAIMED, to_ts(claimed_before)],
        )
        return int(cursor.rowcount)

    def get(self, mail_id: int) -> MailRecord | None:
        """A message about to change (PostgreSQL: its row locked until the commit)."""
        row = self._one(f"SELECT * FROM mail_outbox WHERE id = ?{self._for_update}", [mail_id])
        return _mail(row, self._attachment_names(mail_id)) if row else None

    def in_status(self, status: str, limit: int) -> list[MailRecord]:
        """The messages in ``status``, newest first (PostgreSQL: locked until the commit)."""
        rows = self._rows(
            f"SELECT * FROM mail_outbox WHERE status = ? ORDER BY id DESC LIMIT ?{self._for_update}", [status, limit]
        )
        return [_mail(r, self._attachment_names(r["id"])) for r in rows]

    def _attachment_names(self, mail_id: int) -> tuple[str, ...]:
        rows = self._rows("SELECT name FROM mail_attachments WHERE mail_id = ? ORDER BY position", [mail_id])
        return tuple(r["name"] for r in rows)

    def requeue(self, mail_id: int, *, at: datetime, recipients: tuple[str, ...]) -> None:
        """Send a set-aside (or recipient-less) message again, from now, with a fresh count of attempts."""
        self._db.conn.execute(
            "UPDATE mail_outbox SET status = ?, attempts = 0, next_attempt_at = ?, updated_at = ?, recipients = ?, "
            "last_error = NULL WHERE id = ?",
            [MAIL_PENDING, to_ts(at), to_ts(at), json.dumps(list(recipients)), mail_id],
        )
