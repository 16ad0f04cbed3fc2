"""``esav portail``: what the provider's staff publish on the operators' portal, and their portal accounts.

Each command calls the same service method as the staff's pages (/fournisseur); the action is
audited as ``fournisseur/<system user>``.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import click

from gateway.domain.clock import parse_instant
from gateway.services import NEWS_KINDS, RATE_LIMIT_NEWS, UploadedFile

from ._common import data_option, echo, esav_errors, open_gateway, provider_author, settings_from
from ._language import EsavGroup

__all__ = ["portail"]


@click.group(cls=EsavGroup)
def portail() -> None:
    """Espace Opérateurs : actualités, annonces (avec leur préavis), abonnements, fichiers, factures, agents."""


def _instant(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} : date ISO attendue, par exemple 2026-12-01T22:00") from None


@portail.command("publier")
@data_option
@click.option(
    "--type",
    "kind",
    required=True,
    type=click.Choice(sorted(set(NEWS_KINDS) - {RATE_LIMIT_NEWS})),  # a rate limit: esav quota fixer
    help="Type d'actualité ou d'annonce.",
)
@click.option("--titre", required=True, help="Titre affiché.")
@click.option("--texte", required=True, help="Texte de l'actualité.")
@click.option("--offre", default=None, help="Réservée aux opérateurs de cette offre (défaut : tous).")
@click.option("--date", "starts", default=None, help="Date d'effet d'un changement (ISO ; heure de Paris sans fuseau).")
@click.option("--fin", "ends", default=None, help="Fin prévue d'une maintenance ou interruption (ISO, heure de Paris).")
@click.option(
    "--document",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Nouvelle version du document (changement de conditions ou d'annexe) : jointe au courrier.",
)
@esav_errors
def publier(
    config_file: Path | None,
    data_dir: Path | None,
    kind: str,
    titre: str,
    texte: str,
    offre: str | None,
    starts: str | None,
    ends: str | None,
    document: Path | None,
) -> None:
    """Publier une actualité ; une annonce de changement trop proche est refusée avec la date la plus proche permise,
    et chaque annonce de changement est envoyée par courrier électronique aux opérateurs concernés."""
    settings = settings_from(config_file, data_dir)
    upload = None
    if document is not None:
        kind_of = mimetypes.guess_type(document.name)[0] or "application/octet-stream"
        upload = UploadedFile(document.name, kind_of, document.read_bytes())
    with open_gateway(settings) as gateway:
        news_id = gateway.portal.publish_news(
            kind, titre, texte, offer=offre, starts_at=_instant(starts), author=provider_author(),
            ends_at=_instant(ends), document=upload,
        )  # fmt: skip
        mailed = len(gateway.mail.for_cause(f"actualite/{news_id}"))
    queued = f" ; {mailed} courrier(s) en file d'envoi." if mailed else "."
    echo(f"Publiée : actualité {news_id} ({NEWS_KINDS[kind]}){queued}")


@portail.command("abonnements")
@data_option
@esav_errors
def abonnements(config_file: Path | None, data_dir: Path | None) -> None:
    """Lister les abonnements à e-SAV (bons de commande) et leur état."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        for s in gateway.subscriptions.all():
            echo(
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
    """Enregistrer un bon de commande reçu hors du portail pour OPERATEUR (champs manquants signalés un à un)."""
    form = dict(c.split("=", 1) for c in champs if "=" in c)
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.subscriptions.register(operator, form, frozenset(access), provider_author())
    echo(f"Bon de commande enregistré : {record.reference}.")


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
        record = gateway.subscriptions.activate(reference, day.date(), frozenset(access), provider_author())
    echo(f"{record.reference} actif depuis le {record.activated_on} ({', '.join(sorted(record.access))}).")


@portail.command("resilier")
@data_option
@click.argument("reference")
@esav_errors
def resilier(config_file: Path | None, data_dir: Path | None, reference: str) -> None:
    """Notifier la résiliation de REFERENCE aujourd'hui : effective deux mois plus tard."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.subscriptions.terminate(reference, author=provider_author())
    echo(f"{record.reference} résilié : effectif le {record.terminates_on}.")


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
        gateway.portal.publish_faq(question, reponse, offre, author=provider_author())
    echo("Entrée de FAQ ajoutée.")


@portail.command("fichier")
@data_option
@click.argument("operator")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--type", "mime_type", default="application/pdf", show_default=True, help="Type MIME du fichier.")
@esav_errors
def fichier(config_file: Path | None, data_dir: Path | None, operator: str, path: Path, mime_type: str) -> None:
    """Publier le fichier CHEMIN pour OPERATEUR dans « Mes fichiers » (même nom : nouvelle version)."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.portal.publish_file(operator, path.name, mime_type, path.read_bytes(), provider_author())
    echo(f"{record.name} publié pour {operator} (version {record.version}).")


@portail.command("facture")
@data_option
@click.argument("operator")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--numero", required=True, help="Numéro de la facture (unique).")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Date d'émission (AAAA-MM-JJ).")
@click.option("--periode", default="", help="Période facturée, par exemple 11/2026.")
@click.option("--montant", required=True, type=Decimal, help="Montant hors taxes en euros, par exemple 1234.56.")
@esav_errors
def facture(
    config_file: Path | None,
    data_dir: Path | None,
    operator: str,
    path: Path,
    numero: str,
    day: datetime,
    periode: str,
    montant: Decimal,
) -> None:
    """Publier la facture CHEMIN (PDF) d'OPERATEUR : elle paraît dans ses duplicata pendant trois ans."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        gateway.portal.issue_invoice(
            operator,
            numero,
            day.date(),
            periode,
            int(montant * 100),
            pdf=path.read_bytes(),
            author=provider_author(),
        )
    echo(f"Facture {numero} publiée pour {operator}.")


@portail.command("contrat")
@data_option
@click.argument("operator")
@click.argument("offer")
@click.option("--reference", required=True, help="Référence du contrat.")
@click.option("--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Date de prise de l'offre.")
@click.option("--fichiers/--sans-fichiers", default=False, help="Le contrat prévoit « Mes fichiers ».")
@esav_errors
def contrat(
    config_file: Path | None,
    data_dir: Path | None,
    operator: str,
    offer: str,
    reference: str,
    day: datetime,
    fichiers: bool,
) -> None:
    """Enregistrer le contrat d'OFFRE pour OPERATEUR (et si « Mes fichiers » y figure)."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        record = gateway.portal.set_contract(
            operator, offer, reference, day.date(), files_provided=fichiers, author=provider_author()
        )
    echo(f"Contrat {record.reference} : {operator} {offer} depuis le {record.signed_on}.")


@portail.group("agents")
def agents() -> None:
    """Comptes des agents du fournisseur sur le portail (pages /fournisseur)."""


@agents.command("ajouter")
@data_option
@click.argument("login")
@click.option("--nom", required=True, help="Nom affiché de l'agent.")
@click.option(
    "--mot-de-passe",
    "password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    envvar="ESAV_AGENT_PASSWORD",
    help="Mot de passe (12 caractères au moins) ; demandé s'il manque (ou ESAV_AGENT_PASSWORD).",
)
@click.option("--role", "roles", multiple=True, help="Rôle de l'agent (SAV : file des signalisations) ; répétable.")
@esav_errors
def agents_ajouter(
    config_file: Path | None, data_dir: Path | None, login: str, nom: str, password: str, roles: tuple[str, ...]
) -> None:
    """Créer le compte de l'agent IDENTIFIANT (même page de connexion que les opérateurs)."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        agent = gateway.accounts.create_agent(
            login, nom, password, author=provider_author(), roles=frozenset(r.upper() for r in roles)
        )
    echo(f"Agent {agent.login} créé.")


@agents.command("liste")
@data_option
@esav_errors
def agents_liste(config_file: Path | None, data_dir: Path | None) -> None:
    """Lister les agents du fournisseur et leur statut."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        for agent in gateway.accounts.agents():
            roles = ",".join(sorted(agent.roles)) or "-"
            echo(f"{agent.login} {agent.status} ({agent.name}) rôles : {roles}")


@agents.command("roles")
@data_option
@click.argument("login")
@click.option("--role", "roles", multiple=True, help="Rôle donné (SAV) ; répétable ; aucun : retire tous les rôles.")
@esav_errors
def agents_roles(config_file: Path | None, data_dir: Path | None, login: str, roles: tuple[str, ...]) -> None:
    """Donner à l'agent IDENTIFIANT exactement ces rôles."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        agent = gateway.accounts.set_agent_roles(login, frozenset(r.upper() for r in roles), author=provider_author())
    echo(f"Agent {agent.login} : rôles {', '.join(sorted(agent.roles)) or 'aucun'}.")


@agents.command("statut")
@data_option
@click.argument("login")
@click.option("--actif/--suspendu", required=True, help="Réactiver ou suspendre (ses sessions prennent fin).")
@esav_errors
def agents_statut(config_file: Path | None, data_dir: Path | None, login: str, actif: bool) -> None:
    """Suspendre ou réactiver l'agent IDENTIFIANT."""
    settings = settings_from(config_file, data_dir)
    with open_gateway(settings) as gateway:
        agent = gateway.accounts.set_agent_status(login, actif, author=provider_author())
    echo(f"Agent {agent.login} : {agent.status}.")
