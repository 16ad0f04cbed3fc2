"""``esav base sauvegarder|restaurer|migrer|statut``: the store's backup, online, its restore, services
stopped, and its migrations (applied on opening anyway; run them first when upgrading several nodes)."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.config import Settings
from gateway.services import backup_store, migrate_store, migration_status, restore_store

from ._common import data_option, echo, esav_errors, provider_author, require_store, settings_from
from ._language import EsavGroup

__all__ = ["db"]


@click.group("base", cls=EsavGroup, aliases=["db"])
def db() -> None:
    """Base de données : sauvegarde à chaud, restauration, migrations."""


def _sqlite_store(config_file: Path | None, data_dir: Path | None, instead: str) -> Settings:
    """The command's settings, refused when the store is not a SQLite file (``instead``: what to use)."""
    settings = settings_from(config_file, data_dir)
    if not settings.store_location.is_sqlite:
        raise click.ClickException(f"La base {settings.store_location} est sur PostgreSQL : {instead}.")
    return settings


@db.command("sauvegarder", aliases=["backup"])
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@data_option
@esav_errors
def db_backup(target: Path, config_file: Path | None, data_dir: Path | None) -> None:
    """Sauvegarder la base dans CIBLE (nouveau fichier), même pendant que les serveurs tournent."""
    settings = _sqlite_store(config_file, data_dir, "sauvegardez-la avec les outils du serveur (pg_dump, ou la "
                             "sauvegarde continue de l'exploitation : docs/deployment.md)")  # fmt: skip
    require_store(settings)
    backup = backup_store(settings.database, target)
    echo(
        f"Sauvegarde de {settings.database} : {backup.path} ({backup.size} octets, migration {backup.schema_version})."
    )


@db.command("restaurer", aliases=["restore"])
@click.argument("backup", type=click.Path(dir_okay=False, path_type=Path))
@data_option
@esav_errors
def db_restore(backup: Path, config_file: Path | None, data_dir: Path | None) -> None:
    """Remplacer la base par la sauvegarde SAUVEGARDE (services arrêtés ; l'ancienne base est gardée à côté)."""
    settings = _sqlite_store(config_file, data_dir, "restaurez-la avec les outils du serveur (pg_restore)")
    restored, aside = restore_store(backup, settings.database, actor=provider_author(), clock=settings.clock())
    echo(f"Base {settings.database} restaurée depuis {backup} (migration {restored.schema_version}).")
    if aside is not None:
        echo(f"  Ancienne base gardée : {aside}")


@db.command("statut")
@data_option
@esav_errors
def db_status(config_file: Path | None, data_dir: Path | None) -> None:
    """Lister les migrations du schéma : appliquées (avec leur date) ou en attente, sans rien appliquer."""
    settings = settings_from(config_file, data_dir)
    require_store(settings)
    rows = migration_status(settings.store_location)
    for number, name, applied_at in rows:
        echo(f"{number:4d}  {'appliquée le ' + applied_at if applied_at else 'EN ATTENTE':40}  {name}")
    pending = sum(1 for _, _, applied_at in rows if applied_at is None)
    echo(f"Base {settings.store_location} : {len(rows) - pending} migration(s) appliquée(s), {pending} en attente.")


@db.command("migrer")
@data_option
@esav_errors
def db_migrate(config_file: Path | None, data_dir: Path | None) -> None:
    """Appliquer les migrations en attente (chacune dans sa transaction ; sans effet si la base est à jour)."""
    settings = settings_from(config_file, data_dir)
    applied = migrate_store(settings.store_location)
    if applied:
        echo(f"Base {settings.store_location} : migration(s) appliquée(s) : {', '.join(map(str, applied))}.")
    else:
        echo(f"Base {settings.store_location} : à jour, aucune migration à appliquer.")
