"""The database schema as an ordered list of migrations, each recorded in the database once applied."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ._access_start import add_access_start_column
from ._accounts import add_agent_roles, create_account_tables, create_agent_tables
from ._appointments import create_appointment_tables
from ._audit import create_audit_tables
from ._call_stats import create_call_stats_tables, create_request_timeout_table
from ._contract_ends import add_contract_end_column
from ._contracts import create_contracts_table
from ._db import MIGRATION_LOCK_KEY, Connections
from ._events import create_delivery_tables, create_event_tables
from ._exploitation import create_exploitation_tables
from ._integration import create_attestation_tables, create_journal_tables, create_validation_tables
from ._line_tests import add_line_test_channel, create_line_test_tables
from ._mail import create_mail_tables
from ._network_events import create_network_event_tables
from ._offer_calendar import create_offer_calendar_tables
from ._portal import add_contract_terms, create_portal_tables
from ._preview import create_preview_tables
from ._repair import repair_non_xml_text
from ._request_counts import create_request_count_tables
from ._sql import Transaction
from ._subscriptions import create_subscription_tables
from ._support import create_support_desk_tables
from ._suspensions import add_suspension_columns

__all__ = ["MIGRATIONS", "migrate", "pending_migrations"]


def _initial(db: Transaction) -> None:
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


def _catalogue_publications(db: Transaction) -> None:
    db.table("catalogue_publications").create(
        {"id": int, "published_at": str, "author": str, "fingerprint": str},
        pk="id",
        not_null={"published_at", "author", "fingerprint"},
    )


def _catalogue_publication_files(db: Transaction) -> None:
    # The content of each publication, so that a gateway serves what was published, not the folder.
    db.table("catalogue_publication_files").create(
        {"publication_id": int, "path": str, "content": bytes},
        pk=("publication_id", "path"),
        foreign_keys=[("publication_id", "catalogue_publications", "id")],
        not_null={"content"},
    )


def _history_and_search_indexes(db: Transaction) -> None:
    # History counts every ticket of the 90-day window: a covering index answers the count and the
    # state filter without reading the (large) rows. A prestation's history walks its own index,
    # already in closing order (the store names it in the query: see Store.closed_tickets).
    db.conn.execute("CREATE INDEX idx_tickets_history ON tickets (operator_code, closed_at, state, prestation)")
    db.conn.execute("CREATE INDEX idx_tickets_prestation_history ON tickets (operator_code, prestation, closed_at)")


def _repair_non_xml_text(db: Transaction) -> None:
    # A PostgreSQL database starts empty and every row since has passed the services' text rule;
    # the rows this repairs could only be in SQLite files written before that rule.
    if not db.postgresql:
        repair_non_xml_text(db, actor="migration/24")


def _ticket_prestations(db: Transaction) -> None:
    """Each ticket keeps its prestation's details as they were at deposit.

    A later import or transfer of the prestation must not change what an old ticket shows (nor show
    a new owner's customer on the old owner's tickets). Owner, offer and GTR are already columns of
    the ticket; existing tickets get the prestation's details as they are now, the best still known.
    """
    db.conn.execute(
        "CREATE TABLE ticket_prestations (ticket_id INTEGER PRIMARY KEY REFERENCES tickets (id), "
        "extremite_a TEXT, extremite_b TEXT, code_commune TEXT, informations TEXT)"
    )
    db.conn.execute(
        "INSERT INTO ticket_prestations (ticket_id, extremite_a, extremite_b, code_commune, informations) "
        "SELECT t.id, p.extremite_a, p.extremite_b, p.code_commune, p.informations "
        "FROM tickets t JOIN prestations p ON p.identifiant = t.prestation"
    )


#: The indexes of the closed tickets' history (migration 38 makes them partial): name, columns.
_CLOSED_TICKET_INDEXES = [
    ("idx_tickets_operator_code_closed_at", "operator_code, closed_at"),
    ("idx_tickets_history", "operator_code, closed_at, state, prestation"),
    ("idx_tickets_prestation_history", "operator_code, prestation, closed_at"),
]


def _closed_ticket_indexes(db: Transaction) -> None:
    """The three indexes that serve only the history of closed tickets leave open tickets out.

    Every history query bounds ``closed_at``, which both engines read as ``closed_at IS NOT NULL``: the
    partial indexes serve it as before. A deposit then writes five index entries instead of eight (and
    a commit fewer pages); a closing adds its entries instead of moving them.
    """
    for name, columns in _CLOSED_TICKET_INDEXES:
        db.conn.execute(f"DROP INDEX IF EXISTS {name}")
        db.conn.execute(f"CREATE INDEX {name} ON tickets ({columns}) WHERE closed_at IS NOT NULL")


#: The tables whose rows every call reads and hardly anyone writes: a write to any of them counts one
#: more in ``read_mostly_version`` (migration 39), in the writing transaction itself.
READ_MOSTLY_TABLES = ("certificates", "operators", "prestations")


def _read_mostly_version(db: Transaction) -> None:
    """A counter of the writes to the certificates, the operators and the prestations, kept by the
    database itself (triggers), so that a process may keep those rows and know, by reading one number,
    whether they are still what is stored (``Store.read_ahead``). Every write counts, whoever makes it:
    the services, the CLI, a migration, SQL typed by hand."""
    db.conn.execute("CREATE TABLE read_mostly_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL)")
    db.conn.execute("INSERT INTO read_mostly_version (id, version) VALUES (1, 0)")
    bump = "UPDATE read_mostly_version SET version = version + 1 WHERE id = 1"
    if db.postgresql:
        db.conn.execute(
            "CREATE FUNCTION esav_read_mostly_written() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {bump}; RETURN NULL; END $$"
        )
        for table in READ_MOSTLY_TABLES:
            db.conn.execute(
                f"CREATE TRIGGER trg_{table}_read_mostly AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION esav_read_mostly_written()"
            )
        return
    for table in READ_MOSTLY_TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            db.conn.execute(
                f"CREATE TRIGGER trg_{table}_{event.lower()}_read_mostly AFTER {event} ON {table} BEGIN {bump}; END"
            )


# Append only: a migration that has shipped is never edited. Numbers are applied in order; gaps
# (12, 19, 20) are numbers reserved and not used.
MIGRATIONS: list[tuple[int, str, Callable[[Transaction], None]]] = [
    (1, "operators, certificates, prestations, tickets, transitions, comments, attachments", _initial),
    (2, "catalogue publications (hot reload of forms in running gateways)", _catalogue_publications),
    (3, "technicians' capacities and appointments", create_appointment_tables),
    (4, "remote line tests", create_line_test_tables),
    (5, "planned works and network incidents", create_network_event_tables),
    (6, "counted requests per operator and minute (volumetry, first form)", create_request_count_tables),
    (7, "call statistics per minute and cumulative (volumetry, metrics)", create_call_stats_tables),
    (8, "planned interruptions, operators' rate limits and their shared counters", create_exploitation_tables),
    (9, "audit of provider actions, certificate-expiry reminders", create_audit_tables),
    (10, "operators' event feed (outbox of consulterEvenements and notifications)", create_event_tables),
    (11, "operators' callback endpoints and push deliveries", create_delivery_tables),
    (13, "integration platform: call journal per operator", create_journal_tables),
    (14, "integration platform: attestations issued", create_attestation_tables),
    (15, "production: validations imported from attestations", create_validation_tables),
    (16, "portal users, web sessions and failed logins", create_account_tables),
    (17, "portal content: news, FAQ, contracts, exchanged files, invoices, e-soutien", create_portal_tables),
    (18, "e-SAV subscriptions (order form, activation, termination)", create_subscription_tables),
    (21, "indexes for history and search on millions of tickets", _history_and_search_indexes),
    (22, "portal: the provider's staff agents and their sessions", create_agent_tables),
    (23, "contracts' 'Mes fichiers' flag, operators' e-SAV access end date", add_contract_terms),
    (24, "stored text XML cannot carry repaired with U+FFFD, each row audited", _repair_non_xml_text),
    (25, "operators' notification addresses, the mail outbox; news for one operator", create_mail_tables),
    (26, "connections closed for a request sent too slowly (metrics)", create_request_timeout_table),
    (27, "catalogue publications keep their files (a restart serves what was published)", _catalogue_publication_files),
    (28, "the provider's agents' roles (after-sales work queue)", add_agent_roles),
    (29, "e-soutien desk: requests' topic and status, messages, files", create_support_desk_tables),
    (30, "tickets keep their prestation's details as at deposit", _ticket_prestations),
    (31, "previews of a new form version: deposits by form and operator, previews of the day", create_preview_tables),
    (32, "form versions' first publication, offers' commercial launch", create_offer_calendar_tables),
    (33, "volumetry: the door each line test came through", add_line_test_channel),
    (34, "operators' suspension by the provider", add_suspension_columns),
    (35, "offer contracts' end date", add_contract_end_column),
    (36, "operators' e-SAV access start (the subscription's activation date)", add_access_start_column),
    (37, "the web-service contracts every node serves (their fingerprint)", create_contracts_table),
    (38, "the closed tickets' history indexes leave open tickets out", _closed_ticket_indexes),
    (39, "a counter of the writes to certificates, operators and prestations", _read_mostly_version),
]


def _migrating(db: Transaction) -> None:
    """PostgreSQL: wait for the migrations' lock, held until this transaction ends, so that two
    processes starting together apply each migration once (SQLite's write lock already does). The
    one lock of the store's that every process takes: its writers otherwise run side by side."""
    if db.postgresql:
        db.conn.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})").fetchall()


def migrate(connections: Connections) -> list[int]:
    """Apply the migrations this database has not seen yet, each in its own write transaction
    (under the migrations' lock: two processes starting together apply each migration once)."""
    if not pending_migrations(connections.db):
        return []  # the usual case: opening a store writes nothing
    with connections.write() as db:
        _migrating(db)
        db.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    applied_now = []
    for number, name, step in MIGRATIONS:
        with connections.write() as db:
            _migrating(db)
            done = db.conn.execute("SELECT 1 FROM schema_migrations WHERE id = ?", [number]).fetchone()
            if not done:
                step(db)
                db.conn.execute(
                    "INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)",
                    [number, name, datetime.now(UTC).isoformat()],
                )
                applied_now.append(number)
    return applied_now


def pending_migrations(db: Transaction) -> list[tuple[int, str]]:
    """The migrations this database has not recorded (all of them for an empty database)."""
    if "schema_migrations" not in db.table_names():
        return [(number, name) for number, name, _ in MIGRATIONS]
    applied = {int(row[0]) for row in db.conn.execute("SELECT id FROM schema_migrations").fetchall()}
    return [(number, name) for number, name, _ in MIGRATIONS if number not in applied]
