"""`esav portail lancement|lancements` (offers' launches) and `esav portail fin-contrat` (a contract's end)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from gateway.domain.subscriptions import offer_ready_on

from ._common import data_option, echo, echo_json, esav_errors, open_gateway, provider_author, settings_from
from ._language import EsavCommand

__all__ = ["fin_contrat", "lancement", "lancements"]


@click.command("lancement", cls=EsavCommand)
@data_option
@click.argument("offer")
@click.option(
    "--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Date du lancement commercial de l'offre."
)
@esav_errors
def lancement(config_file: Path | None, data_dir: Path | None, offer: str, day: datetime) -> None:
    """Enregistrer le lancement commercial d'OFFRE : ses signalisations sont traitées dans e-SAV un mois
    plus tard, pour tous les opérateurs (procédure hors Web en attendant)."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        launch = gateway.offer_launches.launch(offer, day.date(), author=provider_author())
    echo(
        f"Offre {launch.offer} lancée le {launch.launched_on:%d/%m/%Y} : signalisations traitées dans e-SAV "
        f"à partir du {offer_ready_on(launch.launched_on):%d/%m/%Y}."
    )


@click.command("lancements", cls=EsavCommand)
@data_option
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def lancements(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """Lister les lancements commerciaux d'offres enregistrés et la fin de leur mise en place."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        launches = gateway.offer_launches.launches()
    rows = [
        {"offre": x.offer, "lancement": x.launched_on.isoformat(), "pret_le": offer_ready_on(x.launched_on).isoformat()}
        for x in launches
    ]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        echo(f"{row['offre']:20} lancée le {row['lancement']}, traitée dans e-SAV à partir du {row['pret_le']}")


@click.command("fin-contrat", cls=EsavCommand)
@data_option
@click.argument("operator")
@click.argument("offer")
@click.option(
    "--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Date de fin (l'offre sort ce jour-là)."
)
@click.option("--annuler", is_flag=True, help="Annuler la fin prévue du contrat.")
@esav_errors
def fin_contrat(
    config_file: Path | None, data_dir: Path | None, operator: str, offer: str, day: datetime | None, annuler: bool
) -> None:
    """Dater la fin du contrat d'OFFRE pour OPERATEUR : dès cette date l'offre quitte son profil (droits,
    formulaires, tests, « Mes fichiers ») et ses dépôts et tests par web services sont refusés."""
    if (day is None) == (not annuler):
        raise click.UsageError("Donnez --date AAAA-MM-JJ, ou --annuler.")
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.contract_ends.end(operator, offer, day.date() if day else None, author=provider_author())
    if record.ends_on:
        echo(f"Contrat {record.reference} ({operator} {offer}) : fin le {record.ends_on}.")
    else:
        echo(f"Contrat {record.reference} ({operator} {offer}) : plus de fin prévue.")
