"""Backing up and restoring the store: the use cases behind ``esav base sauvegarder`` and ``esav base restaurer``.

A backup is taken online, while servers keep answering; a restore needs the services stopped, keeps
the replaced database aside and brings the restored one up to this version's migrations.
"""

from __future__ import annotations

import logging
from pathlib import Path

from gateway.domain.clock import Clock, SystemClock
from gateway.store import BackupFile, Store, StoreUrl, backup_database, restore_database

from ._exploitation import audit

__all__ = ["backup_store", "migrate_store", "migration_status", "restore_store"]

log = logging.getLogger("gateway.store")


def backup_store(database: Path, target: Path) -> BackupFile:
    """A consistent copy of ``database`` in the new file ``target``, checked before it is named so."""
    backup = backup_database(database, target)
    log.info("backup of %s to %s (%d bytes, migration %d)", database, target, backup.size, backup.schema_version)
    return backup


def restore_store(
    backup: Path, database: Path, *, actor: str, clock: Clock | None = None
) -> tuple[BackupFile, Path | None]:
    """Put ``backup`` in place of ``database``, apply the migrations it lacks and audit the restore in it
    (``stockage.restauration``, by ``actor``); returns the restored database and where the replaced one
    was kept (None if there was none)."""
    restored, aside = restore_database(backup, database)
    store = Store(database)  # opening the store applies the missing migrations
    try:
        with store.write() as tx:
            audit(
                tx, at=(clock or SystemClock()).now(), actor=actor, action="stockage.restauration",
                target=database.name, sauvegarde=str(backup), ancienne_base=None if aside is None else str(aside),
                migration_de_la_sauvegarde=restored.schema_version,
            )  # fmt: skip
    finally:
        store.close()
    log.info("restored %s from %s (replaced database kept as %s)", database, backup, aside)
    return restored, aside


def migration_status(url: StoreUrl) -> list[tuple[int, str, str | None]]:
    """The store's migrations, applied (with when) or pending, without applying any."""
    store = Store(url, migrate_now=False)
    try:
        return store.migration_status()
    finally:
        store.close()


def migrate_store(url: StoreUrl) -> list[int]:
    """Apply the store's pending migrations (two gateways doing it at once apply each once)."""
    store = Store(url, migrate_now=False)
    try:
        applied = store.migrate()
    finally:
        store.close()
    if applied:
        log.info("migrations applied to %s: %s", url, ", ".join(map(str, applied)))
    return applied
