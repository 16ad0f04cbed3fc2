"""The portal's content (Espace Opérateurs): news and notices, FAQ, contracts, exchanged files with their
versions, invoices, e-soutien requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import KEY_OPERATOR_FILE, Repository, StorePart
from ._sql import Transaction

__all__ = [
    "ContractRecord",
    "FaqRecord",
    "FileRecord",
    "InvoiceRecord",
    "NewsRecord",
    "PortalRepository",
    "PortalStore",
    "SupportRecord",
    "add_contract_terms",
    "create_portal_tables",
]


@dataclass(frozen=True)
class NewsRecord:
    id: int
    kind: str  # ACTUALITE, OFFRE_REFERENCE, EVOLUTION, MAINTENANCE_PORTAIL, INTERRUPTION_ESAV
    title: str
    body: str
    offer: str | None  # None: for every operator
    published_at: datetime
    starts_at: datetime | None  # the announced event, for notices
    operator_code: str | None = None  # None: every operator (or every operator of ``offer``)


@dataclass(frozen=True)
class FaqRecord:
    id: int
    offer: str | None
    question: str
    answer: str


@dataclass(frozen=True)
class ContractRecord:
    """An offer held by an operator: ``signed_on`` is the day it took the offer (its set-up starts then);
    ``files_provided`` says whether the contract includes the "Mes fichiers" exchange for that offer."""

    operator_code: str
    offer: str
    reference: str
    signed_on: str  # ISO day
    summary: str
    files_provided: bool = False
    ends_on: str | None = None  # ISO day the contract ends (the offer leaves the operator's e-SAV), if dated


@dataclass(frozen=True)
class FileRecord:
    """One version of a file exchanged with an operator; ``direction``: OPERATEUR (uploaded) or FOURNISSEUR."""

    id: int
    operator_code: str
    direction: str
    name: str
    version: int
    mime_type: str
    size: int
    sha256: str
    published_at: datetime
    author: str
    content: bytes | None = None


@dataclass(frozen=True)
class InvoiceRecord:
    id: int
    operator_code: str
    number: str
    issued_on: str  # ISO day
    period: str
    amount_cents: int
    pdf: bytes | None = None


@dataclass(frozen=True)
class SupportRecord:
    id: int
    reference: str
    operator_code: str
    author: str
    subject: str
    description: str
    at: datetime


def create_portal_tables(db: Transaction) -> None:
    db.table("portal_news").create(
        {
            "id": int,
            "kind": str,
            "title": str,
            "body": str,
            "offer": str,
            "published_at": str,
            "starts_at": str,
        },
        pk="id",
        not_null={"kind", "title", "body", "published_at"},
    )
    db.table("portal_faq").create(
        {"id": int, "offer": str, "question": str, "answer": str}, pk="id", not_null={"question", "answer"}
    )
    db.table("operator_contracts").create(
        {"operator_code": str, "offer": str, "reference": str, "signed_on": str, "summary": str},
        pk=("operator_code", "offer"),
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"reference", "signed_on"},
    )
    db.table("operator_files").create(
        {
            "id": int,
            "operator_code": str,
            "direction": str,
            "name": str,
            "version": int,
            "mime_type": str,
            "size": int,
            "sha256": str,
            "content": bytes,
            "published_at": str,
            "author": str,
        },
        pk="id",
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"operator_code", "direction", "name", "version", "content", "published_at"},
    )
    db.table("operator_files").create_index(["operator_code", "direction", "name", "version"], unique=True)
    db.table("invoices").create(
        {
            "id": int,
            "operator_code": str,
            "number": str,
            "issued_on": str,
            "period": str,
            "amount_cents": int,
            "pdf": bytes,
        },
        pk="id",
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"operator_code", "number", "issued_on", "pdf"},
    )
    db.table("invoices").create_index(["number"], unique=True)
    db.table("invoices").create_index(["operator_code", "issued_on"])
    db.table("support_requests").create(
        {
            "id": int,
            "reference": str,
            "operator_code": str,
            "author": str,
            "subject": str,
            "description": str,
            "at": str,
        },
        pk="id",
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"operator_code", "subject", "description", "at"},
    )


def add_contract_terms(db: Transaction) -> None:
    """Migration 23: the contract's "Mes fichiers" flag, and the day an operator's e-SAV accesses end
    (set by a subscription's termination, read with the operator)."""
    db.conn.execute("ALTER TABLE operator_contracts ADD COLUMN files_provided INTEGER NOT NULL DEFAULT 0")
    db.conn.execute("ALTER TABLE operators ADD COLUMN esav_ends_on TEXT")


def _contract(row: dict[str, Any]) -> ContractRecord:
    return ContractRecord(**{**row, "files_provided": bool(row.get("files_provided"))})


def _news(row: dict[str, Any]) -> NewsRecord:
    return NewsRecord(**{**row, "published_at": from_ts(row["published_at"]), "starts_at": from_ts(row["starts_at"])})


def _file(row: dict[str, Any]) -> FileRecord:
    return FileRecord(**{**row, "published_at": from_ts(row["published_at"])})


class PortalStore(StorePart):
    """News, FAQ, contracts, files, invoices and e-soutien requests of the portal."""

    # News and FAQ --------------------------------------------------------------------------------

    def news(self, published_before: datetime) -> list[NewsRecord]:
        rows = self._rows(
            "SELECT * FROM portal_news WHERE published_at <= ? ORDER BY published_at DESC, id DESC",
            [to_ts(published_before)],
        )
        return [_news(r) for r in rows]

    def has_news(self, title: str) -> bool:
        return self._one("SELECT 1 AS x FROM portal_news WHERE title = ?", [title]) is not None

    def faq(self) -> list[FaqRecord]:
        return [FaqRecord(**r) for r in self._rows("SELECT * FROM portal_faq ORDER BY offer, id")]

    # Contracts ------------------------------------------------------------------------------------

    def contracts(self, operator_code: str) -> list[ContractRecord]:
        rows = self._rows("SELECT * FROM operator_contracts WHERE operator_code = ? ORDER BY offer", [operator_code])
        return [_contract(r) for r in rows]

    def contract(self, operator_code: str, offer: str) -> ContractRecord | None:
        row = self._one(
            "SELECT * FROM operator_contracts WHERE operator_code = ? AND offer = ?", [operator_code, offer]
        )
        return _contract(row) if row else None

    # Files ----------------------------------------------------------------------------------------

    def files(self, operator_code: str) -> list[FileRecord]:
        """Every version of every file of the operator, without contents, newest first per name."""
        rows = self._rows(
            "SELECT id, operator_code, direction, name, version, mime_type, size, sha256, published_at, author "
            "FROM operator_files WHERE operator_code = ? ORDER BY direction, name, version DESC",
            [operator_code],
        )
        return [_file(r) for r in rows]

    def file(self, file_id: int) -> FileRecord | None:
        row = self._one("SELECT * FROM operator_files WHERE id = ?", [file_id])
        return _file(row) if row else None

    # Invoices -------------------------------------------------------------------------------------

    def has_invoice(self, number: str) -> bool:
        return self._one("SELECT 1 AS x FROM invoices WHERE number = ?", [number]) is not None

    def invoices(self, operator_code: str, issued_from: str) -> list[InvoiceRecord]:
        rows = self._rows(
            "SELECT id, operator_code, number, issued_on, period, amount_cents FROM invoices "
            "WHERE operator_code = ? AND issued_on >= ? ORDER BY issued_on DESC",
            [operator_code, issued_from],
        )
        return [InvoiceRecord(**r) for r in rows]

    def invoice(self, invoice_id: int) -> InvoiceRecord | None:
        row = self._one("SELECT * FROM invoices WHERE id = ?", [invoice_id])
        return InvoiceRecord(**row) if row else None

    # e-soutien ------------------------------------------------------------------------------------

    def support_requests(self, operator_code: str) -> list[SupportRecord]:
        rows = self._rows("SELECT * FROM support_requests WHERE operator_code = ? ORDER BY id DESC", [operator_code])
        return [SupportRecord(**{**r, "at": from_ts(r["at"])}) for r in rows]


class PortalRepository(Repository):
    """What the provider publishes on the portal: news, FAQ, contracts, files, invoices; e-soutien requests."""

    __slots__ = ()

    def add_news(
        self,
        *,
        kind: str,
        title: str,
        body: str,
        offer: str | None,
        published_at: datetime,
        starts_at: datetime | None,
        operator_code: str | None = None,
    ) -> int:
        return self._db.insert_id(
            "INSERT INTO portal_news (kind, title, body, offer, published_at, starts_at, operator_code) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [kind, title, body, offer, to_ts(published_at), to_ts(starts_at) if starts_at else None, operator_code],
        )

    def add_faq(self, offer: str | None, question: str, answer: str) -> None:
        self._db.conn.execute(
            "INSERT INTO portal_faq (offer, question, answer) VALUES (?, ?, ?)", [offer, question, answer]
        )

    def upsert_contract(
        self,
        operator_code: str,
        offer: str,
        reference: str,
        signed_on: str,
        summary: str,
        files_provided: bool | None = None,
    ) -> None:
        """Record or update a contract (``files_provided`` None: keep the flag as it is)."""
        row: dict[str, Any] = {
            "operator_code": operator_code,
            "offer": offer,
            "reference": reference,
            "signed_on": signed_on,
            "summary": summary,
        }
        if files_provided is not None:
            row["files_provided"] = int(files_provided)
        self._db.table("operator_contracts").upsert(row, pk=("operator_code", "offer"))

    def set_operator_access_end(self, operator_code: str, ends_on: str | None) -> None:
        """The day the operator's e-SAV accesses close (a terminated subscription), or None: no end."""
        self._db.conn.execute("UPDATE operators SET esav_ends_on = ? WHERE code = ?", [ends_on, operator_code])

    def add_file_version(
        self,
        *,
        operator_code: str,
        direction: str,
        name: str,
        mime_type: str,
        content: bytes,
        sha256: str,
        published_at: datetime,
        author: str,
    ) -> FileRecord:
        """Store the next version of ``name`` (call inside ``write()``: the version number is read there,
        on PostgreSQL under the name's lock held until the commit)."""
        self._lock_key(KEY_OPERATOR_FILE, f"{operator_code}\n{direction}\n{name}")
        row = self._db.conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM operator_files "
            "WHERE operator_code = ? AND direction = ? AND name = ?",
            [operator_code, direction, name],
        ).fetchone()
        version = int(row[0]) + 1
        new_id = self._db.insert_id(
            "INSERT INTO operator_files (operator_code, direction, name, version, mime_type, size, sha256, content, "
            "published_at, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                operator_code,
                direction,
                name,
                version,
                mime_type,
                len(content),
                sha256,
                content,
                to_ts(published_at),
                author,
            ],
        )
        return FileRecord(
            new_id,
            operator_code,
            direction,
            name,
            version,
            mime_type,
            len(content),
            sha256,
            published_at,
            author,
        )

    def add_invoice(
        self, operator_code: str, number: str, issued_on: str, period: str, amount_cents: int, pdf: bytes
    ) -> None:
        self._db.conn.execute(
            "INSERT INTO invoices (operator_code, number, issued_on, period, amount_cents, pdf) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [operator_code, number, issued_on, period, amount_cents, pdf],
        )

    def add_support_request(
        self, operator_code: str, author: str, subject: str, description: str, at: datetime
    ) -> SupportRecord:
        row_id = self._db.insert_id(
            "INSERT INTO support_requests (reference, operator_code, author, subject, description, at) "
            "VALUES ('', ?, ?, ?, ?, ?)",
            [operator_code, author, subject, description, to_ts(at)],
        )
        reference = f"SOU{row_id:08d}"
        self._db.conn.execute("UPDATE support_requests SET reference = ? WHERE id = ?", [reference, row_id])
        return SupportRecord(row_id, reference, operator_code, author, subject, description, at)
