"""Backing up and restoring the store: the use cases behind ``esav db backup`` and ``esav db restore``.

A backup is taken online, while servers keep answering; a restore needs the services stopped, keeps
the replaced database aside and brings the restored one up to this version's migrations.
"""

from __future__ import annotations

import logging
from pathlib import Path

from gateway.store import BackupFile, Store, backup_database, restore_database

__all__ = ["backup_store", "restore_store"]

log = logging.getLogger("gateway.store")


def backup_store(database: Path, target: Path) -> BackupFile:
    """A consistent copy of ``database`` in the new file ``target``, checked before it is named so."""
    backup = backup_database(database, target)
    log.info("backup of %s to %s (%d bytes, migration %d)", database, target, backup.size, backup.schema_version)
    return backup


def restore_store(backup: Path, database: Path) -> tuple[BackupFile, Path | None]:
    """Put ``backup`` in place of ``database`` and apply the migrations it lacks; returns the restored
    database and where the replaced one was kept (None if there was none)."""
    restored, aside = restore_database(backup, database)
    Store(database).close()  # opening the store applies the missing migrations
    log.info("restored %s from %s (replaced database kept as %s)", database, backup, aside)
    return restored, aside
