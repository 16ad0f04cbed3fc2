"""Backup and restore of the database file through SQLite's online backup API.

A backup is a consistent copy taken while servers keep writing (WAL: the copy reads one snapshot and
blocks no writer), written to a temporary name, checked, then renamed: one self-contained file
(rollback journal, no ``-wal``), or nothing. A restore needs the services stopped: it refuses a
database another process has open, keeps the current file (and its ``-wal``) aside, and puts the
backup in its place; the migrations the backup lacks are applied by the caller (``Store``).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from gateway.errors import InvalidRequestError

from ._db import BUSY_TIMEOUT_MS
from ._schema import MIGRATIONS

__all__ = ["BackupFile", "backup_database", "inspect_backup", "restore_database"]

_SIDE_FILES = ("-wal", "-shm")


@dataclass(frozen=True)
class BackupFile:
    """A checked backup: where, its size and the last migration it holds."""

    path: Path
    size: int
    schema_version: int


def _check(conn: sqlite3.Connection, path: Path) -> int:
    """The copy's last migration, once SQLite finds it sound and it is an e-SAV database."""
    try:
        verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise InvalidRequestError(f"{path} : base endommagée ({verdict}).")
        row = conn.execute("SELECT max(id) FROM schema_migrations").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidRequestError(f"{path} : pas une base e-SAV ({exc}).") from None
    if row is None or row[0] is None:
        raise InvalidRequestError(f"{path} : pas une base e-SAV (aucune migration enregistrée).")
    known = max(number for number, _, _ in MIGRATIONS)
    if row[0] > known:
        raise InvalidRequestError(
            f"{path} : sauvegarde d'une version plus récente (migration {row[0]}, cette version en connaît {known})."
        )
    return int(row[0])


def _copy(source: sqlite3.Connection, target: Path, label: Path) -> BackupFile:
    """Copy ``source`` into ``target`` (a new file) in one step, check it, then rename it in place."""
    partial = target.with_name(target.name + ".partiel")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(partial)) as copy:
            source.backup(copy)  # one step: one consistent snapshot of the source
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            version = _check(copy, label)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupFile(target, target.stat().st_size, version)


def backup_database(database: Path, target: Path) -> BackupFile:
    """Copy the database (even while servers write to it) to ``target``, which must not exist."""
    if not database.is_file():
        raise InvalidRequestError(f"{database} : pas de base à sauvegarder.")
    if target.exists():
        raise InvalidRequestError(f"{target} existe déjà : choisissez un autre nom (rien n'est écrasé).")
    if not target.parent.is_dir():
        raise InvalidRequestError(f"{target.parent} : dossier introuvable.")
    with closing(sqlite3.connect(database, timeout=BUSY_TIMEOUT_MS / 1000)) as source:
        return _copy(source, target, database)


def inspect_backup(backup: Path) -> BackupFile:
    """Check a backup file without changing it."""
    if not backup.is_file():
        raise InvalidRequestError(f"{backup} : fichier introuvable.")
    with closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as conn:
        return BackupFile(backup, backup.stat().st_size, _check(conn, backup))


def _refuse_if_open(database: Path) -> None:
    """Leaving WAL mode needs the only connection to the file: a running server makes it fail at once."""
    try:
        with closing(sqlite3.connect(database, timeout=0)) as conn:
            conn.execute("PRAGMA journal_mode=DELETE").fetchone()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise InvalidRequestError(
                f"{database} est ouverte par un autre processus : arrêtez les services e-SAV avant de restaurer."
            ) from None
    except sqlite3.DatabaseError:
        pass  # a damaged database: the reason to restore; it is kept aside below


def restore_database(backup: Path, database: Path) -> tuple[BackupFile, Path | None]:
    """Put ``backup`` in place of ``database`` (services stopped); the current file is kept aside,
    renamed ``<name>.avant-restauration-<UTC instant>``, whose path is returned with the restored copy."""
    inspect_backup(backup)
    database.parent.mkdir(parents=True, exist_ok=True)
    if database.exists():
        _refuse_if_open(database)
    staged = database.with_name(database.name + ".restauration")
    with closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as source:
        restored = _copy(source, staged, backup)
    aside = None
    if database.exists():
        aside = database.with_name(f"{database.name}.avant-restauration-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
        os.replace(database, aside)
        for suffix in _SIDE_FILES:  # the -wal belongs with the file it was written for
            side = database.with_name(database.name + suffix)
            if side.exists():
                os.replace(side, aside.with_name(aside.name + suffix))
    os.replace(staged, database)
    return BackupFile(database, restored.size, restored.schema_version), aside
