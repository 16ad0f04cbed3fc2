"""``esav operateurs suspendre|retablir CODE --motif``: cut or restore an operator's access at once."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from gateway.domain.clock import to_paris

from ._common import data_option, echo, esav_errors, open_gateway, provider_author, settings_from
from ._language import EsavCommand

__all__ = ["operators_resume", "operators_suspend"]


@click.command("suspendre", cls=EsavCommand, aliases=["suspend"])
@data_option
@click.argument("code")
@click.option(
    "--motif",
    "--reason",
    "reason",
    required=True,
    help="Motif (manquement aux conditions...), enregistré dans l'audit.",
)
@esav_errors
def operators_suspend(config_file: Path | None, data_dir: Path | None, code: str, reason: str) -> None:
    """Suspendre sur-le-champ l'accès de l'opérateur CODE : connexion au portail et web services refusés."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        operator = gateway.suspensions.suspend(code, reason=reason, author=provider_author())
    assert operator.suspended_at is not None
    since = to_paris(datetime.fromisoformat(operator.suspended_at))
    echo(
        f"Opérateur {code} suspendu depuis le {since:%d/%m/%Y %H:%M} : portail et web services refusés (NON_HABILITE)."
    )


@click.command("retablir", cls=EsavCommand, aliases=["resume"])
@data_option
@click.argument("code")
@click.option("--motif", "--reason", "reason", required=True, help="Motif de la levée, enregistré dans l'audit.")
@esav_errors
def operators_resume(config_file: Path | None, data_dir: Path | None, code: str, reason: str) -> None:
    """Lever la suspension de l'opérateur CODE : ses accès reprennent à la requête suivante."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        gateway.suspensions.resume(code, reason=reason, author=provider_author())
    echo(f"Suspension de l'opérateur {code} levée : ses accès reprennent.")
