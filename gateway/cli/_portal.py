"""``esav portail``: what the provider's staff publish on the operators' portal."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from gateway.domain.clock import PARIS
from gateway.services import NEWS_KINDS

from ._common import data_option, esav_errors, open_gateway, settings_from

__all__ = ["portail"]


@click.group()
def portail() -> None:
    """Espace Opérateurs : actualités, annonces de changement (avec leur préavis)."""


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} : date ISO attendue, par exemple 2026-12-01T22:00") from None
    return value if value.tzinfo else value.replace(tzinfo=PARIS)


@portail.command("publier")
@data_option
@click.option(
    "--type", "kind", required=True, type=click.Choice(sorted(NEWS_KINDS)), help="Type d'actualité ou d'annonce."
)
@click.option("--titre", required=True, help="Titre affiché.")
@click.option("--texte", required=True, help="Texte de l'actualité.")
@click.option("--offre", default=None, help="Réservée aux opérateurs de cette offre (défaut : tous).")
@click.option("--date", "starts", default=None, help="Date d'effet d'un changement (ISO ; heure de Paris sans fuseau).")
@esav_errors
def publier(
    config_file: Path | None,
    data_dir: Path | None,
    kind: str,
    titre: str,
    texte: str,
    offre: str | None,
    starts: str | None,
) -> None:
    """Publier une actualité ; une annonce de changement trop proche est refusée avec la date la plus proche permise."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        news_id = gateway.portal.publish_news(kind, titre, texte, offer=offre, starts_at=_instant(starts))
    click.echo(f"Publiée : actualité {news_id} ({NEWS_KINDS[kind]}).")


@portail.command("abonnements")
@data_option
@esav_errors
def abonnements(config_file: Path | None, data_dir: Path | None) -> None:
    """Lister les abonnements à e-SAV (bons de commande) et leur état."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        for s in gateway.subscriptions.all():
            click.echo(
                f"{s.reference} {s.operator_code} {s.state} accès={','.join(sorted(s.access))} "
                f"activé={s.activated_on or '-'} résiliation={s.terminates_on or '-'} "
                f"({s.form.get('raisonSociale', '')})"
            )


@portail.command("enregistrer")
@data_option
@click.argument("operator")
@click.option("--champ", "champs", multiple=True, help="Champ du bon de commande, nom=valeur (répétable).")
@click.option("--acces", "access", multiple=True, type=click.Choice(["EN_LIGNE", "INTEGRE"]), help="Accès demandé.")
@esav_errors
def enregistrer(
    config_file: Path | None, data_dir: Path | None, operator: str, champs: tuple[str, ...], access: tuple[str, ...]
) -> None:
    """Enregistrer un bon de commande reçu hors du portail pour OPERATOR (champs manquants signalés un à un)."""
    form = dict(c.split("=", 1) for c in champs if "=" in c)
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.subscriptions.submit(operator, form, frozenset(access), "fournisseur")
    click.echo(f"Bon de commande enregistré : {record.reference}.")


@portail.command("activer")
@data_option
@click.argument("reference")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Date d'activation (AAAA-MM-JJ).")
@click.option(
    "--acces",
    "access",
    multiple=True,
    required=True,
    type=click.Choice(["EN_LIGNE", "INTEGRE"]),
    help="Mode d'accès ouvert.",
)
@esav_errors
def activer(
    config_file: Path | None, data_dir: Path | None, reference: str, day: datetime, access: tuple[str, ...]
) -> None:
    """Activer l'abonnement REFERENCE : date d'activation et modes d'accès."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.subscriptions.activate(reference, day.date(), frozenset(access), "fournisseur")
    click.echo(f"{record.reference} actif depuis le {record.activated_on} ({', '.join(sorted(record.access))}).")


@portail.command("resilier")
@data_option
@click.argument("reference")
@esav_errors
def resilier(config_file: Path | None, data_dir: Path | None, reference: str) -> None:
    """Notifier la résiliation de REFERENCE aujourd'hui : effective deux mois plus tard."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.subscriptions.terminate(reference)
    click.echo(f"{record.reference} résilié : effectif le {record.terminates_on}.")


@portail.command("faq")
@data_option
@click.option("--question", required=True, help="La question.")
@click.option("--reponse", required=True, help="La réponse.")
@click.option("--offre", default=None, help="Offre concernée (défaut : question générale).")
@esav_errors
def faq(config_file: Path | None, data_dir: Path | None, question: str, reponse: str, offre: str | None) -> None:
    """Ajouter une entrée à la FAQ du portail (générale ou par offre)."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        gateway.portal.publish_faq(question, reponse, offre)
    click.echo("Entrée de FAQ ajoutée.")


@portail.command("fichier")
@data_option
@click.argument("operator")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "mime_type", default="application/pdf", show_default=True, help="Type MIME du fichier.")
@esav_errors
def fichier(config_file: Path | None, data_dir: Path | None, operator: str, path: Path, mime_type: str) -> None:
    """Publier le fichier PATH pour OPERATOR dans « Mes fichiers » (même nom : nouvelle version)."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.portal.publish_file(operator, path.name, mime_type, path.read_bytes(), "fournisseur")
    click.echo(f"{record.name} publié pour {operator} (version {record.version}).")
