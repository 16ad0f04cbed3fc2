"""The store's schema: migrations recorded once, in order; the file opened in WAL with durable commits."""

from __future__ import annotations

from gateway.store import MIGRATIONS, Store


def test_migrations_are_numbered_in_order_without_duplicates():
    """Migration numbers are unique and listed in increasing order (they are applied in list order)."""
    numbers = [number for number, _, _ in MIGRATIONS]
    assert numbers == sorted(set(numbers))


def test_fresh_store_records_every_migration_and_reopening_applies_none(tmp_path):
    """A new database records each migration once; opening it again changes nothing."""
    store = Store(tmp_path / "esav.db")
    recorded = [row[0] for row in store._db.conn.execute("SELECT id FROM schema_migrations ORDER BY id")]
    assert recorded == [number for number, _, _ in MIGRATIONS]
    store.close()
    again = Store(tmp_path / "esav.db")
    assert again._db.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
    again.close()


def test_database_is_wal_with_full_synchronous_commits(tmp_path):
    """WAL journal and synchronous=FULL: a reference is sent only once its ticket is on disk."""
    store = Store(tmp_path / "esav.db")
    conn = store._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.integrity_check() == "ok"
    store.close()
