"""``esav catalogue …``: the catalogue maintainers' tools (lint, mockups, sample, diff, status, publish).

Commands that find problems exit with the number of problems (at most 255), as xmlschema's
validate command does, so that a script or a CI job can both test and count them.
"""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from gateway.catalogue import (
    Catalogue,
    FormDiff,
    check_mockups,
    default_catalogue_root,
    default_mockups_dir,
    diff,
    lint,
    render_mockups,
    sample,
)
from gateway.domain.clock import PARIS, Clock, parse_instant
from gateway.domain.form_evolutions import FORM_EVOLUTION_NOTICE_MONTHS
from gateway.errors import CatalogueError, UnknownCodeError
from gateway.services import CatalogueService, publish_catalogue_in

from ._catalogue_preview import print_announced_previews
from ._common import data_option, echo, echo_json, esav_errors, require_store, settings_from
from ._language import EsavGroup

__all__ = ["catalogue"]

#: Notice the provider gives operators before a new form version enters production (months): a form
#: evolution is a minor evolution (e-SAV 12.1), compatible or not.
NOTICE_MONTHS = {"compatible": FORM_EVOLUTION_NOTICE_MONTHS, "breaking": FORM_EVOLUTION_NOTICE_MONTHS}
_MAX_STATUS = 255


def _exit_with(count: int) -> NoReturn:
    """End the command with ``count`` as exit status (capped: a status is one byte)."""
    raise SystemExit(min(count, _MAX_STATUS))


def _root_option(f: Any) -> Any:
    return click.option(
        "--dossier",
        "--root",
        "root",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        default=None,
        help="Dossier du catalogue (défaut : catalogue/ du dépôt).",
    )(f)


def _json_option(f: Any) -> Any:
    return click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")(f)


def _load(root: Path | None) -> Catalogue:
    return Catalogue.load(root or default_catalogue_root())


@click.group(cls=EsavGroup)
def catalogue() -> None:
    """Catalogue des formulaires : vérification, maquettes, exemples, différences, publication."""


@catalogue.command("verifier", aliases=["lint"])
@_root_option
@_json_option
def lint_command(root: Path | None, as_json: bool) -> None:
    """Vérifier le catalogue. Chaque problème est affiché « fichier:ligne: message » ; le code de
    sortie est le nombre de problèmes."""
    problems = lint(root or default_catalogue_root())
    if as_json:
        echo_json([{"file": str(p.file), "line": p.line, "message": p.message} for p in problems])
    else:
        for problem in problems:
            echo(str(problem))
        plural = "s" if len(problems) > 1 else ""
        echo(f"{len(problems)} problème{plural}." if problems else "Catalogue sans problème.", err=True)
    _exit_with(len(problems))


@catalogue.command("maquettes", aliases=["mockups"])
@_root_option
@click.option(
    "--sortie",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier des maquettes (défaut : html_mockups/ du dépôt).",
)
@click.option(
    "--verifier",
    "--check",
    "check",
    is_flag=True,
    help="Ne rien écrire : signaler les maquettes périmées, absentes ou orphelines.",
)
@esav_errors
def mockups_command(root: Path | None, out_dir: Path | None, check: bool) -> None:
    """Générer les maquettes HTML des formulaires (ou, avec --verifier, vérifier qu'elles sont à jour)."""
    loaded = _load(root)
    out = out_dir or default_mockups_dir()
    if check:
        problems = check_mockups(loaded, out)
        for problem in problems:
            echo(f"{out}/{problem}")
        if problems:
            echo(f"{len(problems)} maquette(s) à régénérer : esav catalogue maquettes --sortie {out}", err=True)
        else:
            echo(f"Maquettes à jour dans {out}.", err=True)
        _exit_with(len(problems))
    written = render_mockups(loaded, out)
    echo(f"{len(written)} pages écrites dans {out}.")


@catalogue.command("exemple", aliases=["sample"])
@_root_option
@click.argument("code")
@click.argument("version")
@esav_errors
def sample_command(root: Path | None, code: str, version: str) -> None:
    """Afficher une instance valide de la version VERSION du formulaire CODE, construite depuis son schéma."""
    echo(sample(_load(root), code, version).decode("utf-8"), nl=False)


def _diff_json(result: FormDiff) -> dict[str, Any]:
    return {
        "code": result.code,
        "old": result.old,
        "new": result.new,
        "verdict": result.verdict,
        "evolution": "minor",
        "notice_months": NOTICE_MONTHS[result.verdict],
        "added": list(result.added),
        "added_mandatory": list(result.added_mandatory),
        "removed": list(result.removed),
        "made_mandatory": list(result.made_mandatory),
        "made_optional": list(result.made_optional),
        "values_added": [{"path": p, "value": v} for p, v in result.values_added],
        "values_removed": [{"path": p, "value": v} for p, v in result.values_removed],
        "constraints_changed": [{"path": p, "change": c} for p, c in result.constraints_changed],
    }


@catalogue.command("comparer", aliases=["diff"])
@_root_option
@click.argument("code")
@click.argument("old")
@click.argument("new")
@_json_option
@esav_errors
def diff_command(root: Path | None, code: str, old: str, new: str, as_json: bool) -> None:
    """Comparer les versions ANCIENNE et NOUVELLE du formulaire CODE : champs ajoutés, supprimés, devenus
    obligatoires, valeurs de codes, et le verdict (évolution mineure ou majeure, préavis)."""
    folder = root or default_catalogue_root()
    for version in (old, new):
        if not (folder / "forms" / code / f"{version}.xsd").is_file():
            raise UnknownCodeError(f"Pas de schéma pour {code} version {version} dans {folder}", valeur=version)
    result = diff(folder, code, old, new)
    if as_json:
        echo_json(_diff_json(result))
        return
    for line in result.lines():
        echo(line)
    if result.breaking:
        echo("Des instances de l'ancienne version peuvent être refusées : elle reste acceptée un mois.")
    echo(
        f"Évolution mineure (évolution de formulaire) : préavis de {NOTICE_MONTHS[result.verdict]} mois aux opérateurs."
    )


def _instant(text: str | None, clock: Clock) -> datetime:
    """``--at``: an ISO date or date-time; without an offset it is Paris time. Default: ``clock``'s now."""
    if text is None:
        return clock.now()
    try:
        return parse_instant(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} n'est pas une date ISO (2026-12-02 ou 2026-12-02T23:59)") from None


@catalogue.command("statut", aliases=["status"])
@_root_option
@click.option(
    "--instant",
    "--at",
    "at_text",
    default=None,
    help="Instant ISO (heure de Paris sans décalage). Défaut : maintenant.",
)
@_json_option
@esav_errors
def status_command(root: Path | None, at_text: str | None, as_json: bool) -> None:
    """Lister les formulaires, leurs versions et le statut de chacune à un instant."""
    clock = settings_from(None, None).clock()  # the system's, or as shifted by ESAV_CLOCK_OFFSET_S
    at = _instant(at_text, clock)
    forms = CatalogueService(_load(root), clock).forms(at=at)
    if as_json:
        echo_json(
            [
                {
                    "code": f.code,
                    "titre": f.titre,
                    "offres": list(f.offres),
                    "versions": [
                        {
                            "version": v.version,
                            "status": v.status.value,
                            "date_production": v.date_production.isoformat(),
                            "date_fin_cohabitation": v.date_fin_cohabitation.isoformat()
                            if v.date_fin_cohabitation
                            else None,
                        }
                        for v in f.versions
                    ],
                }
                for f in forms
            ]
        )
        return
    echo(f"Statuts au {at.astimezone(PARIS):%d/%m/%Y %H:%M} (heure de Paris)")
    for form in forms:
        echo(f"{form.code} — {form.titre} ({', '.join(form.offres)})")
        for v in form.versions:
            until = f", acceptée jusqu'au {v.date_fin_cohabitation:%d/%m/%Y} inclus" if v.date_fin_cohabitation else ""
            echo(f"  {v.version:6} {v.status.value:16} en production le {v.date_production:%d/%m/%Y}{until}")


@catalogue.command("publier", aliases=["publish"])
@data_option
@click.option(
    "--auteur", "--author", "author", default=None, help="Auteur de la publication (défaut : l'utilisateur du système)."
)
@esav_errors
def publish_command(config_file: Path | None, data_dir: Path | None, author: str | None) -> None:
    """Publier le catalogue servi par la passerelle (catalogue_dir) après l'avoir vérifié ; les
    passerelles en service le rechargent sans redémarrer, et celles qui démarrent ensuite servent ce
    catalogue publié, pas le dossier tel qu'il sera alors. Refusé, sans rien enregistrer, au moindre problème."""
    settings = settings_from(config_file, data_dir)
    root = settings.catalogue_dir or default_catalogue_root()
    require_store(settings)  # no database: no gateway to tell
    clock = settings.clock()
    print_announced_previews(settings.store_location, root, clock)  # what announced versions would refuse
    try:
        publication = publish_catalogue_in(settings.store_location, root, author=author or _user(), clock=clock)
    except CatalogueError as error:
        for detail in error.details:
            line = f"{detail.ligne}:" if detail.ligne else ""
            echo(f"{detail.chemin}:{line} {detail.libelle}", err=True)
        echo(f"[{error.code}] {error.libelle} ; publication refusée, rien n'est changé.", err=True)
        _exit_with(max(len(error.details), 1))
    echo(
        f"Catalogue {root} publié (publication {publication.id}, empreinte {publication.fingerprint[:16]}) : "
        f"les passerelles en service le chargent dans les {settings.catalogue_poll_s:g} s."
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "inconnu"
