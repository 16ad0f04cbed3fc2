"""Operators, their certificates and prestations, and catalogue publications, as the provider changes them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._parts import Repository
from ._records import CertificateRecord, OperatorRecord, PrestationRecord

__all__ = [
    "CERTIFICATE_COLUMNS",
    "CatalogueRepository",
    "CertificateRepository",
    "OperatorRepository",
    "PrestationRepository",
    "certificate_record",
    "operator_record",
]


CERTIFICATE_COLUMNS = tuple(f.name for f in fields(CertificateRecord))


def certificate_record(row: dict[str, Any]) -> CertificateRecord:
    row = {k: v for k, v in row.items() if k != "pem"}
    for key in ("not_before", "not_after", "registered_at", "revoked_at"):
        row[key] = from_ts(row[key])
    return CertificateRecord(**row)


def operator_record(row: dict[str, Any]) -> OperatorRecord:
    return OperatorRecord(
        code=row["code"],
        name=row["name"],
        esav_en_ligne=bool(row["esav_en_ligne"]),
        esav_integre=bool(row["esav_integre"]),
        domains=frozenset(json.loads(row["domains"] or "[]")),
        esav_ends_on=row.get("esav_ends_on"),
        suspended_at=row.get("suspended_at"),
        suspension_reason=row.get("suspension_reason"),
        esav_starts_on=row.get("esav_starts_on"),
    )


class OperatorRepository(Repository):
    """Operators as the provider registers and changes them."""

    __slots__ = ()

    def get(self, code: str) -> OperatorRecord | None:
        """The operator about to change (PostgreSQL: its row locked until the commit)."""
        row = self._one(f"SELECT * FROM operators WHERE code = ?{self._for_update}", [code])
        return operator_record(row) if row else None

    def all(self) -> list[OperatorRecord]:
        """Every operator, by code (PostgreSQL: locked until the commit)."""
        return [operator_record(r) for r in self._rows(f"SELECT * FROM operators ORDER BY code{self._for_update}")]

    def upsert(
        self, code: str, name: str, *, esav_en_ligne: bool, esav_integre: bool, domains: Iterable[str], at: datetime
    ) -> None:
        self._db.table("operators").upsert(
            {
                "code": code,
                "name": name,
                "esav_en_ligne": int(esav_en_ligne),
                "esav_integre": int(esav_integre),
                "domains": json.dumps(sorted(set(domains))),
                "created_at": to_ts(at),
            },
            pk="code",
        )

    def insert(
        self,
        code: str,
        name: str,
        *,
        esav_en_ligne: bool,
        esav_integre: bool,
        domains: Iterable[str],
        at: datetime,
    ) -> bool:
        """Insert a new operator inside the caller's transaction; False (nothing written) if the code exists."""
        cursor = self._db.conn.execute(
            "INSERT INTO operators (code, name, esav_en_ligne, esav_integre, domains, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
            [code, name, int(esav_en_ligne), int(esav_integre), json.dumps(sorted(set(domains))), to_ts(at)],
        )
        return cursor.rowcount == 1

    def update(self, code: str, *, name: str, esav_en_ligne: bool, esav_integre: bool) -> None:
        """Change an operator's name and subscriptions inside the caller's transaction (domains untouched)."""
        self._db.conn.execute(
            "UPDATE operators SET name = ?, esav_en_ligne = ?, esav_integre = ? WHERE code = ?",
            [name, int(esav_en_ligne), int(esav_integre), code],
        )


class CertificateRepository(Repository):
    """Operators' certificates, registered and revoked."""

    __slots__ = ()

    def add(
        self,
        *,
        fingerprint: str,
        operator_code: str,
        subject_cn: str,
        issuer_cn: str,
        serial: str,
        not_before: datetime,
        not_after: datetime,
        pem: str,
        at: datetime,
    ) -> None:
        self._db.table("certificates").upsert(
            {
                "fingerprint": fingerprint,
                "operator_code": operator_code,
                "subject_cn": subject_cn,
                "issuer_cn": issuer_cn,
                "serial": serial,
                "not_before": to_ts(not_before),
                "not_after": to_ts(not_after),
                "pem": pem,
                "registered_at": to_ts(at),
                "revoked_at": None,
            },
            pk="fingerprint",
        )

    def get(self, fingerprint: str) -> CertificateRecord | None:
        row = self._one("SELECT * FROM certificates WHERE fingerprint = ?", [fingerprint])
        return certificate_record(row) if row else None

    def revoke(self, fingerprint: str, at: datetime) -> bool:
        cur = self._db.conn.execute(
            "UPDATE certificates SET revoked_at = ? WHERE fingerprint = ? AND revoked_at IS NULL",
            [to_ts(at), fingerprint],
        )
        return cur.rowcount == 1


class PrestationRepository(Repository):
    """Prestations (the lines tickets are about) and their owners."""

    __slots__ = ()

    def get(self, identifiant: str) -> PrestationRecord | None:
        """The prestation about to change hands (PostgreSQL: its row locked until the commit)."""
        row = self._one(f"SELECT * FROM prestations WHERE identifiant = ?{self._for_update}", [identifiant])
        return PrestationRecord(**row) if row else None

    def upsert_all(self, prestations: Iterable[PrestationRecord]) -> int:
        rows = [vars(p) for p in prestations]
        if rows:
            self._db.table("prestations").upsert_all(rows, pk="identifiant")
        return len(rows)

    def set_operator(self, identifiant: str, operator_code: str) -> None:
        """Give a prestation to another operator, inside the caller's transaction (its tickets stay)."""
        self._db.conn.execute(
            "UPDATE prestations SET operator_code = ? WHERE identifiant = ?", [operator_code, identifiant]
        )


class CatalogueRepository(Repository):
    """Catalogue publications and the content of their files."""

    __slots__ = ()

    def record_publication(
        self, *, author: str, fingerprint: str, at: datetime, files: Mapping[str, bytes] | None = None
    ) -> int:
        """Record a publication and the content of its files (relative POSIX paths), in one transaction."""
        publication_id = self._db.insert_id(
            "INSERT INTO catalogue_publications (published_at, author, fingerprint) VALUES (?, ?, ?)",
            [to_ts(at), author, fingerprint],
        )
        self._db.conn.executemany(
            "INSERT INTO catalogue_publication_files (publication_id, path, content) VALUES (?, ?, ?)",
            [(publication_id, path, content) for path, content in sorted((files or {}).items())],
        )
        return publication_id
