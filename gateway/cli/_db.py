"""``esav base sauvegarder|restore``: the store's backup, online, and its restore, services stopped."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.services import backup_store, restore_store

from ._common import data_option, echo, esav_errors, provider_author, require_store, settings_from
from ._language import EsavGroup

__all__ = ["db"]


@click.group("base", cls=EsavGroup, aliases=["db"])
def db() -> None:
    """Base de données : sauvegarde à chaud, restauration."""


@db.command("sauvegarder", aliases=["backup"])
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@data_option
@esav_errors
def db_backup(target: Path, config_file: Path | None, data_dir: Path | None) -> None:
    """Sauvegarder la base dans CIBLE (nouveau fichier), même pendant que les serveurs tournent."""
    settings = settings_from(config_file, data_dir)
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
    settings = settings_from(config_file, data_dir)
    restored, aside = restore_store(backup, settings.database, actor=provider_author())
    echo(f"Base {settings.database} restaurée depuis {backup} (migration {restored.schema_version}).")
    if aside is not None:
        echo(f"  Ancienne base gardée : {aside}")
