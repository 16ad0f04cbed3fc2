"""``esav catalogue apercu|announce|remind``: a new form version against operators' real deposits.

``preview`` replays the deposits of the last N days against a version of the catalogue folder the
gateway serves (``catalogue_dir``) or of ``--root``; ``publish`` prints the same for every announced
version before recording the publication (``print_announced_previews``). ``announce`` publishes the
notice of a form evolution, each operator's carrying its own figures; ``remind`` sends the reminders
due a week before a previous version is retired (the server does it every day).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from gateway.catalogue import Catalogue, default_catalogue_root
from gateway.config import StoreUrl
from gateway.domain.clock import Clock, parse_instant, to_paris
from gateway.errors import CatalogueError
from gateway.services import DEFAULT_PREVIEW_DAYS, FormPreview, Gateway, OperatorPreview

from ._common import (
    data_option,
    echo,
    echo_json,
    esav_errors,
    open_gateway,
    provider_author,
    require_store,
    settings_from,
)
from ._language import EsavCommand

__all__ = ["announce_command", "preview_command", "print_announced_previews", "remind_command"]


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_instant(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} n'est pas une date ISO (2026-12-02 ou 2026-12-02T23:59)") from None


def _fr(instant: datetime) -> str:
    return f"{to_paris(instant):%d/%m/%Y %H:%M}"


def echo_operator(preview: OperatorPreview, *, max_errors: int = 20) -> None:
    """One operator's figures, errors and sample references, as the maintainer reads them."""
    echo(
        f"{preview.operator_code} : {preview.deposits} dépôt(s), {preview.passed} passerai(en)t, "
        f"{preview.refused} serai(en)t refusé(s)"
    )
    for error in preview.errors[:max_errors]:
        echo(f"  {error.chemin} : {error.libelle} — {error.deposits} dépôt(s), par exemple {error.sample}")
    if len(preview.errors) > max_errors:
        echo(f"  … et {len(preview.errors) - max_errors} autre(s) erreur(s) (--json pour toutes)")


def echo_preview(preview: FormPreview) -> None:
    echo(
        f"Aperçu de {preview.form_code} {preview.version} sur les dépôts du {_fr(preview.since)} au "
        f"{_fr(preview.until)} ({preview.days} jours, heure de Paris)"
    )
    for operator in preview.operators:
        echo_operator(operator)
    not_ready = ", ".join(o.operator_code for o in preview.not_ready()) or "aucun"
    echo(
        f"Total : {preview.deposits} dépôt(s), {preview.refused} serai(en)t refusé(s) ; opérateurs pas prêts : "
        f"{not_ready}."
    )


@click.command("apercu", cls=EsavCommand, aliases=["preview"])
@data_option
@click.option(
    "--dossier",
    "--root",
    "root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=None,
    help="Dossier du catalogue (défaut : celui que sert la passerelle, catalogue_dir).",
)
@click.argument("code")
@click.argument("version")
@click.option(
    "--jours",
    "--days",
    "days",
    type=int,
    default=DEFAULT_PREVIEW_DAYS,
    show_default=True,
    help="Jours de dépôts examinés.",
)
@click.option("--operateur", "--operator", "operator", default=None, help="Un seul opérateur (code, ex. OPE001).")
@click.option(
    "--instant", "--at", "at_text", default=None, help="Fin de la période (ISO, heure de Paris). Défaut : maintenant."
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (avec l'exemple corrigé de chaque opérateur).")
@esav_errors
def preview_command(
    config_file: Path | None,
    data_dir: Path | None,
    root: Path | None,
    code: str,
    version: str,
    days: int,
    operator: str | None,
    at_text: str | None,
    as_json: bool,
) -> None:
    """Rejouer les dépôts du formulaire CODE des derniers jours contre sa version VERSION : par opérateur,
    combien passeraient ou seraient refusés, chaque erreur (chemin, libellé, dépôts touchés, une référence)."""
    settings = settings_from(config_file, data_dir)
    require_store(settings)
    folder = root or settings.catalogue_dir or default_catalogue_root()
    catalogue = Catalogue.load(folder)
    with open_gateway(settings) as gateway:
        result = gateway.form_previews.preview(
            code, version, days=days, operator=operator, at=_instant(at_text), catalogue=catalogue
        )
    if as_json:
        echo_json(result.to_json())
        return
    echo_preview(result)


def print_announced_previews(database: StoreUrl | Path, root: Path, clock: Clock) -> None:
    """For ``esav catalogue publier``: the preview, across operators, of every version of ``root`` that
    is announced (not yet in production, or in cohabitation). Nothing when ``root`` does not load (the
    publication then lists the problems) or when there is nothing announced."""
    try:
        catalogue = Catalogue.load(root)
    except CatalogueError:
        return
    try:
        gateway = Gateway.open(database, catalogue_dir=root, clock=clock)
    except CatalogueError:
        return  # the publication lists what is wrong
    try:
        service = gateway.form_previews
        announced = service.announced(catalogue=catalogue)
        if announced:
            echo(f"Versions annoncées : aperçu sur les dépôts des {DEFAULT_PREVIEW_DAYS} derniers jours.")
        for announcement in announced:
            echo_preview(service.preview(announcement.form_code, announcement.version, catalogue=catalogue,
                                         examples=False))  # fmt: skip
    finally:
        gateway.close()


@click.command("annoncer", cls=EsavCommand, aliases=["announce"])
@data_option
@click.argument("code")
@click.argument("version")
@click.option("--titre", "title", default=None, help="Titre de l'annonce (défaut : formulaire, version et date).")
@click.option("--texte", "text", default="", help="Texte ajouté à l'annonce.")
@esav_errors
def announce_command(
    config_file: Path | None, data_dir: Path | None, code: str, version: str, title: str | None, text: str
) -> None:
    """Annoncer la version VERSION du formulaire CODE (catalogue servi) : à chaque opérateur concerné, par
    courrier électronique et sur son portail, avec son propre aperçu (préavis de 6 mois si incompatible, 2 sinon)."""
    settings = settings_from(config_file, data_dir)
    require_store(settings)
    with open_gateway(settings) as gateway:
        ids = gateway.form_previews.announce(code, version, title=title, text=text, author=provider_author())
    echo(f"Annonce de {code} {version} publiée ; {len(ids)} message(s) en file d'envoi.")


@click.command("rappeler", cls=EsavCommand, aliases=["remind"])
@data_option
@esav_errors
def remind_command(config_file: Path | None, data_dir: Path | None) -> None:
    """Envoyer les rappels dus : une semaine avant le retrait d'une version, à chaque opérateur dont les
    dépôts des 7 derniers jours seraient encore refusés (une fois par opérateur et version)."""
    settings = settings_from(config_file, data_dir)
    require_store(settings)
    with open_gateway(settings) as gateway:
        ids = gateway.form_previews.remind()
    echo(f"{len(ids)} rappel(s) en file d'envoi.")
