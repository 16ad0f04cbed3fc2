"""The database schema as an ordered list of migrations, each recorded in the database once applied."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlite_utils import Database

from ._appointments import create_appointment_tables
from ._line_tests import create_line_test_tables
from ._network_events import create_network_event_tables
from ._request_counts import create_request_count_tables

__all__ = ["MIGRATIONS", "migrate"]


def _initial(db: Database) -> None:
    db.table("operators").create(
        {"code": str, "name": str, "esav_en_ligne": int, "esav_integre": int, "domains": str, "created_at": str},
        pk="code",
        not_null={"name"},
    )
    db.table("certificates").create(
        {
            "fingerprint": str,
            "operator_code": str,
            "subject_cn": str,
            "issuer_cn": str,
            "serial": str,
            "not_before": str,
            "not_after": str,
            "pem": str,
            "registered_at": str,
            "revoked_at": str,
        },
        pk="fingerprint",
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"operator_code", "not_before", "not_after", "pem"},
    )
    db.table("prestations").create(
        {
            "identifiant": str,
            "operator_code": str,
            "code_offre": str,
            "gtr": str,
            "extremite_a": str,
            "extremite_b": str,
            "code_commune": str,
            "informations": str,
        },
        pk="identifiant",
        foreign_keys=[("operator_code", "operators", "code")],
        not_null={"operator_code", "code_offre", "gtr"},
    )
    db.table("tickets").create(
        {
            "id": int,
            "reference": str,
            "operator_code": str,
            "reference_operateur": str,
            "content_hash": str,
            "prestation": str,
            "code_offre": str,
            "gravite": str,
            "form_code": str,
            "form_version": str,
            "form_xml": str,
            "commentaire": str,
            "gtr": str,
            "state": str,
            "state_at": str,
            "deposited_at": str,
            "closed_at": str,
            "rejection_code": str,
            "closure_code": str,
            "freeze_code": str,
            "api_version": str,
        },
        pk="id",
        foreign_keys=[("operator_code", "operators", "code"), ("prestation", "prestations", "identifiant")],
        not_null={"operator_code", "prestation", "state", "deposited_at", "content_hash"},
    )
    # AUTOINCREMENT semantics are not needed: references derive from the rowid, never reused
    # because tickets are never deleted.
    db.table("tickets").create_index(["reference"], unique=True)
    db.table("tickets").create_index(["operator_code", "reference_operateur"], unique=True)
    db.table("tickets").create_index(["operator_code", "state", "deposited_at"])
    db.table("tickets").create_index(["operator_code", "closed_at"])
    db.table("tickets").create_index(["prestation"])
    db.table("transitions").create(
        {
            "id": int,
            "ticket_id": int,
            "action": str,
            "from_state": str,
            "to_state": str,
            "actor": str,
            "author": str,
            "at": str,
            "reason": str,
            "code": str,
        },
        pk="id",
        foreign_keys=[("ticket_id", "tickets", "id")],
        not_null={"ticket_id", "action", "to_state", "actor", "at"},
    )
    db.table("transitions").create_index(["ticket_id", "id"])
    db.table("comments").create(
        {"id": int, "ticket_id": int, "side": str, "author": str, "at": str, "text": str},
        pk="id",
        foreign_keys=[("ticket_id", "tickets", "id")],
        not_null={"ticket_id", "side", "at", "text"},
    )
    db.table("comments").create_index(["ticket_id", "id"])
    db.table("attachments").create(
        {
            "id": int,
            "ticket_id": int,
            "side": str,
            "name": str,
            "mime_type": str,
            "size": int,
            "sha256": str,
            "content": bytes,
            "at": str,
        },
        pk="id",
        foreign_keys=[("ticket_id", "tickets", "id")],
        not_null={"ticket_id", "name", "mime_type", "content", "at"},
    )
    db.table("attachments").create_index(["ticket_id", "id"])


def _catalogue_publications(db: Database) -> None:
    db.table("catalogue_publications").create(
        {"id": int, "published_at": str, "author": str, "fingerprint": str},
        pk="id",
        not_null={"published_at", "author", "fingerprint"},
    )


# Append only: a migration that has shipped is never edited.
MIGRATIONS: list[tuple[int, str, Callable[[Database], None]]] = [
    (1, "operators, certificates, prestations, tickets, transitions, comments, attachments", _initial),
    (2, "catalogue publications (hot reload of forms in running gateways)", _catalogue_publications),
    (3, "technicians' capacities and appointments", create_appointment_tables),
    (4, "remote line tests", create_line_test_tables),
    (5, "planned works and network incidents", create_network_event_tables),
    (6, "counted requests per operator and minute (volumetry, first form)", create_request_count_tables),
]


def migrate(db: Database) -> list[int]:
    """Apply the migrations this database has not seen yet, each in its own transaction."""
    db.conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    applied_now = []
    for number, name, step in MIGRATIONS:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            done = db.conn.execute("SELECT 1 FROM schema_migrations WHERE id = ?", [number]).fetchone()
            if not done:
                step(db)
                db.conn.execute(
                    "INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)",
                    [number, name, datetime.now(UTC).isoformat()],
                )
                applied_now.append(number)
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")
    return applied_now
