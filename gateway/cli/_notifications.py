"""``esav notifications``: operators' callback endpoints, the delivery backlog, replay, and the
reference receiver (contract §12, docs/notifications.md)."""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path
from typing import Any

import click

from gateway.domain.clock import to_paris

from ._common import PORT, data_option, echo, echo_json, esav_errors, open_gateway, settings_from
from ._language import EsavGroup

__all__ = ["notifications"]


@click.group(cls=EsavGroup)
def notifications() -> None:
    """Notifications aux opérateurs : points de rappel, file d'envoi, rejeu, récepteur de référence."""


@notifications.command("enregistrer", aliases=["register"])
@data_option
@click.argument("operator")
@click.option("--domaine", "domain", default="signalisation", show_default=True, help="signalisation ou test.")
@click.option("--url", required=True, help="Adresse https:// du service notifierEvenement de l'opérateur.")
@click.option(
    "--auteur",
    "--author",
    "author",
    default=lambda: f"sav/{getpass.getuser()}",
    show_default="sav/<utilisateur>",
    help="Auteur enregistré.",
)
@esav_errors
def register(
    config_file: Path | None, data_dir: Path | None, operator: str, domain: str, url: str, author: str
) -> None:
    """Enregistrer (ou remplacer) le point de notification d'un opérateur pour un domaine."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        endpoint = gateway.notifications.register(operator, domain, url, author=author)
    echo(f"{endpoint.operator_code} {endpoint.domain} : {endpoint.url}")


@notifications.command("supprimer", aliases=["remove"])
@data_option
@click.argument("operator")
@click.option("--domaine", "domain", default="signalisation", show_default=True, help="signalisation ou test.")
@esav_errors
def remove(config_file: Path | None, data_dir: Path | None, operator: str, domain: str) -> None:
    """Supprimer le point de notification (les événements restent disponibles par consulterEvenements)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        removed = gateway.notifications.remove(operator, domain)
    if not removed:
        raise click.ClickException(f"{operator} n'a pas de point de notification pour {domain}.")
    echo(f"{operator} {domain} : supprimé.")


@notifications.command("liste", aliases=["list"])
@data_option
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def list_(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """Lister les points de notification enregistrés."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        endpoints = gateway.notifications.endpoints()
    if as_json:
        echo_json([vars(e) for e in endpoints])
        return
    for e in endpoints:
        echo(f"{e.operator_code}  {e.domain:13}  {e.url}  ({e.author}, {to_paris(e.registered_at):%d/%m/%Y %H:%M})")


@notifications.command("file", aliases=["backlog"])
@data_option
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def backlog(config_file: Path | None, data_dir: Path | None, as_json: bool) -> None:
    """File d'envoi par opérateur : en attente, plus ancien, prochain essai, abandonnés, dernière erreur."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        rows = gateway.notifications.backlog()
    if as_json:
        echo_json([vars(r) for r in rows])
        return

    def when(instant: Any) -> str:
        return f"{to_paris(instant):%d/%m/%Y %H:%M:%S}" if instant else "-"

    for r in rows:
        echo(
            f"{r.operator_code}  en attente {r.pending}  plus ancien {when(r.oldest_pending)}  "
            f"prochain essai {when(r.next_attempt_at)}  livrés {r.delivered}  abandonnés {r.abandoned}  "
            f"dernière erreur : {r.last_error or '-'}"
        )


@notifications.command("rejouer", aliases=["replay"])
@data_option
@click.argument("operator")
@click.option("--depuis", "after_id", type=int, required=True, help="Renvoyer les événements après cet idEvenement.")
@esav_errors
def replay(config_file: Path | None, data_dir: Path | None, operator: str, after_id: int) -> None:
    """Renvoyer à l'opérateur ses événements postérieurs à un idEvenement (nouvelle fenêtre de 24 h)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        count = gateway.notifications.replay(operator, after_id)
    echo(f"{operator} : {count} événement(s) remis en file après {after_id}.")


@notifications.command("recepteur", aliases=["receiver"])
@click.option("--port", type=PORT, default=9443, show_default=True, help="Port HTTPS (0 : choisi par le système).")
@click.option("--hote", "--host", "host", default="127.0.0.1", show_default=True, help="Adresse d'écoute.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Certificat serveur du récepteur (PEM).")  # fmt: skip
@click.option("--cle", "--key", "key", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Clé privée du récepteur (PEM).")  # fmt: skip
@click.option("--ac", "--ca", "ca", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="CA qui a émis le certificat client du fournisseur (PEM).")  # fmt: skip
@click.option("--sortie", "--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fichier JSON-lines où ajouter chaque événement reçu.")  # fmt: skip
def receiver(port: int, host: str, cert: Path, key: Path, ca: Path, out: Path | None) -> None:
    """Récepteur de référence : sert notifierEvenement (TLS mutuel) et affiche ce qu'il reçoit."""
    from twisted.internet import reactor as _reactor

    from gateway.server import EventLog, start_receiver

    reactor: Any = _reactor
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
    listening = start_receiver(
        reactor, port=port, cert=cert, key=key, ca=ca, host=host, on_event=EventLog(out, echo=click.echo)
    )
    echo(f"Récepteur de notifications : https://{host}:{listening.getHost().port}/ (Ctrl-C pour arrêter)")
    reactor.run()
