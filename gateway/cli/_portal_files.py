"""``esav portail fichiers``: the files operators sent the provider in "Mes fichiers" (list, get).

The same service as the staff's page /fournisseur/fichiers-operateurs; every download is audited as
``fournisseur/<system user>``.
"""

from __future__ import annotations

from pathlib import Path

import click

from gateway.domain.clock import to_paris

from ._common import data_option, echo, echo_json, esav_errors, open_gateway, provider_author, settings_from
from ._language import EsavGroup

__all__ = ["fichiers"]


@click.group("fichiers", cls=EsavGroup)
def fichiers() -> None:
    """Fichiers reçus des opérateurs (« Mes fichiers ») : lister, télécharger une version."""


@fichiers.command("liste", aliases=["list"])
@data_option
@click.argument("operator", required=False)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def fichiers_list(config_file: Path | None, data_dir: Path | None, operator: str | None, as_json: bool) -> None:
    """Lister les fichiers reçus de OPERATEUR (tous par défaut), par contrat, avec chaque version."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        groups = gateway.operator_files.received(operator)
    if as_json:
        echo_json(
            [
                {
                    "operateur": g.operator_code,
                    "offre": g.offer,
                    "contrat": g.contract_reference,
                    "fichiers": [
                        {
                            "nom": f.name,
                            "versions": [
                                {
                                    "id": v.id,
                                    "version": v.version,
                                    "recu_le": v.published_at,
                                    "depose_par": v.author,
                                    "taille": v.size,
                                    "sha256": v.sha256,
                                }
                                for v in f.versions
                            ],
                        }
                        for f in g.files
                    ],
                }
                for g in groups
            ]
        )
        return
    count = 0
    for g in groups:
        contract = f" (contrat {g.contract_reference})" if g.contract_reference else ""
        echo(f"{g.operator_code} {g.offer or 'hors offre'}{contract}")
        for f in g.files:
            for v in f.versions:
                count += 1
                echo(
                    f"  {v.id:>6}  {f.name}  version {v.version}  reçu le "
                    f"{to_paris(v.published_at):%d/%m/%Y %H:%M:%S}  {v.author}  {v.size} octets"
                )
    echo(f"{count} version(s) de fichier reçue(s).")


@fichiers.command("telecharger", aliases=["get"])
@data_option
@click.argument("file_id", type=int)
@click.option(
    "--sortie",
    "output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    default=None,
    help="Fichier où écrire le contenu (par défaut : le nom du fichier, dans le dossier courant).",
)
@esav_errors
def fichiers_get(config_file: Path | None, data_dir: Path | None, file_id: int, output: Path | None) -> None:
    """Télécharger la version ID_FICHIER d'un fichier (l'identifiant que donne « fichiers liste »)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        found = gateway.operator_files.download(file_id, author=provider_author())
    target = output or Path(Path(found.name).name)
    if output is None and target.exists():
        raise click.ClickException(f"{target} existe déjà : choisissez --sortie.")
    target.write_bytes(found.content or b"")
    echo(f"{found.name} version {found.version} ({found.size} octets) écrit dans {target}.")
