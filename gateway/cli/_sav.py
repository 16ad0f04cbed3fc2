"""``esav sav``: the after-sales staff's back office on the command line."""

from __future__ import annotations

import getpass
from datetime import datetime, timedelta
from pathlib import Path

import click

from gateway.domain.clock import PARIS, to_paris
from gateway.domain.states import Action
from gateway.services import QueueQuery

from ._common import data_option, echo, echo_json, esav_errors, open_gateway, settings_from
from ._language import EsavCommand, EsavGroup

__all__ = ["sav"]


@click.group(cls=EsavGroup)
def sav() -> None:
    """Back office SAV : faire avancer les signalisations, commenter, consulter."""


def _author_option(f):
    return click.option(
        "--auteur",
        "--author",
        "author",
        default=lambda: f"sav/{getpass.getuser()}",
        show_default="sav/<utilisateur>",
        help="Auteur enregistré dans l'historique.",
    )(f)


def _make_action(
    name: str, alias: str, action: Action, doc: str, *, code_list: str | None = None, needs_reason: bool = False
) -> click.Command:
    @data_option
    @click.argument("reference")
    @_author_option
    @click.option("--motif", "--reason", "reason", required=needs_reason, default=None, help="Motif (texte libre).")
    @esav_errors
    def command(
        config_file: Path | None,
        data_dir: Path | None,
        reference: str,
        author: str,
        reason: str | None,
        code: str | None = None,
    ) -> None:
        with open_gateway(settings_from(config_file, data_dir)) as gateway:
            ticket = gateway.sav.act(reference, action, author=author, reason=reason, code=code)
        echo(f"{ticket.reference} : {ticket.state}")

    command.__doc__ = doc
    if code_list:
        command = click.option("--code", required=True, help=f"Code de la nomenclature {code_list}.")(command)
    return click.command(name, cls=EsavCommand, aliases=[alias], help=doc)(command)


for _name, _alias, _action, _doc, _list in (
    ("qualifier", "qualify", Action.QUALIFIER, "Accepter la signalisation (EN_DEPOT → EN_QUALIFICATION).", None),
    (
        "rejeter",
        "reject",
        Action.REJETER,
        "Rejeter la signalisation avec un motif (EN_DEPOT → EN_REJET).",
        "MOTIFS_REJET",
    ),
    ("demarrer", "start", Action.DEMARRER, "Démarrer le traitement (EN_QUALIFICATION → EN_COURS).", None),
    ("geler", "freeze", Action.GELER, "Geler en attente d'une action de l'opérateur (→ GELE).", "MOTIFS_GEL"),
    ("reprendre", "resume", Action.REPRENDRE, "Reprendre une signalisation gelée (GELE → EN_COURS).", None),
    ("clore", "close", Action.CLORE, "Clore avec un code de clôture (→ CLOS).", "CODES_CLOTURE"),
    ("valider", "validate", Action.VALIDER, "Valider la clôture (CLOS → VALIDE).", None),
    ("archiver", "archive", Action.ARCHIVER, "Clore au tableau de bord (→ CLOS_TABLEAU_DE_BORD).", None),
):
    sav.add_command(_make_action(_name, _alias, _action, _doc, code_list=_list))


@sav.command("commenter", aliases=["comment"])
@data_option
@click.argument("reference")
@click.argument("text")
@_author_option
@esav_errors
def sav_comment(config_file: Path | None, data_dir: Path | None, reference: str, text: str, author: str) -> None:
    """Ajouter un commentaire SAV, visible de l'opérateur."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        gateway.sav.comment(reference, author=author, text=text)
    echo(f"Commentaire ajouté à {reference}.")


@sav.command("afficher", aliases=["show"])
@data_option
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def sav_show(config_file: Path | None, data_dir: Path | None, reference: str, as_json: bool) -> None:
    """Afficher une signalisation : défaut déclaré, historique, commentaires."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        d = gateway.sav.detail(reference)
        declared = gateway.work_queue.declared(d.ticket)
    t = d.ticket
    if as_json:
        echo_json(
            {
                "ticket": vars(t),
                "formulaire": [f.as_dict() for f in declared],
                "gtr": vars(d.gtr),
                "transitions": [vars(r) for r in d.transitions],
                "comments": [vars(c) for c in d.comments],
            }
        )
        return
    echo(f"{t.reference}  {t.operator_code}  {t.prestation} ({t.code_offre})  {t.gravite}")
    if t.reference_operateur:
        echo(f"  référence opérateur : {t.reference_operateur}")
    echo(f"  état : {t.state} — {d.state_libelle}")
    echo(
        f"  GTR {d.gtr.option} : échéance {to_paris(d.gtr.deadline):%d/%m/%Y %H:%M}"
        + ("" if d.gtr.met is None else (" respectée" if d.gtr.met else " dépassée"))
    )
    echo(f"  défaut déclaré (formulaire {t.form_code} {t.form_version}) :")
    for f in declared:
        indent = "    " + "  " * f.depth
        echo(f"{indent}{f.label} :" + ("" if f.value is None else f" {f.value}"))
    for r in d.transitions:
        why = " ".join(x for x in (r.code, r.reason) if x)
        echo(
            f"  {to_paris(r.at):%d/%m/%Y %H:%M}  {r.from_state or '-':>20} → {r.to_state:20} "
            f"{r.actor:10} {r.author} {why}"
        )
    for c in d.comments:
        echo(f"  [{c.side}] {to_paris(c.at):%d/%m/%Y %H:%M} {c.author} : {c.text}")


def _day_option(*names: str, help_text: str):
    return click.option(*names, type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help=help_text)


@sav.command("liste", aliases=["list"])
@data_option
@click.argument("operator_code", required=False)
@click.option("--operateur", "operator_option", default=None, help="Code de l'opérateur (tous par défaut).")
@click.option("--etat", "states", multiple=True, help="État (répétable) ; par défaut les états ouverts.")
@click.option("--offre", default=None, help="Code de l'offre (codeOffre).")
@click.option("--gravite", default=None, help="MINEURE, MAJEURE ou CRITIQUE.")
@_day_option("--depuis", help_text="Déposées ce jour-là (AAAA-MM-JJ, heure de Paris) ou après.")
@_day_option("--jusqu-a", "--jusqua", "jusqua", help_text="Déposées ce jour-là (AAAA-MM-JJ, heure de Paris) ou avant.")
@click.option("--recherche", default=None, help="Notre référence ou la référence de l'opérateur.")
@click.option("--page", default=1, show_default=True, help="Numéro de page.")
@click.option("--taille", default=50, show_default=True, help="Signalisations par page (100 au plus).")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def sav_list(
    config_file: Path | None,
    data_dir: Path | None,
    operator_code: str | None,
    operator_option: str | None,
    states: tuple[str, ...],
    offre: str | None,
    gravite: str | None,
    depuis: datetime | None,
    jusqua: datetime | None,
    recherche: str | None,
    page: int,
    taille: int,
    as_json: bool,
) -> None:
    """Lister la file SAV, tous opérateurs : échéance GTR la plus proche d'abord, retards signalés."""
    query = QueueQuery(
        states=tuple(s.upper() for s in states),
        operator_code=operator_option or operator_code,
        code_offre=offre,
        gravite=gravite.upper() if gravite else None,
        deposited_from=depuis.replace(tzinfo=PARIS) if depuis else None,
        deposited_to=(jusqua.replace(tzinfo=PARIS) + timedelta(days=1, microseconds=-1)) if jusqua else None,
        search=recherche,
        page=page,
        size=taille,
    )
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        result = gateway.work_queue.queue(query)
    if as_json:
        echo_json(
            {
                "total": result.total,
                "page": result.number,
                "pages": result.pages,
                "par_etat": result.counts,
                "signalisations": [
                    {
                        "reference": i.ticket.reference,
                        "reference_operateur": i.ticket.reference_operateur,
                        "operateur": i.ticket.operator_code,
                        "prestation": i.ticket.prestation,
                        "offre": i.ticket.code_offre,
                        "gravite": i.ticket.gravite,
                        "etat": i.ticket.state,
                        "depose_le": i.ticket.deposited_at,
                        "echeance_gtr": i.deadline,
                        "en_retard": i.overdue,
                        "echeance_proche": i.due_soon,
                    }
                    for i in result.items
                ],
            }
        )
        return
    echo("  ".join(f"{state} {count}" for state, count in sorted(result.counts.items())) or "aucune")
    for i in result.items:
        t = i.ticket
        flag = "RETARD" if i.overdue else ("PROCHE" if i.due_soon else "")
        echo(
            f"{t.reference}  {t.operator_code}  {t.state:18} {t.code_offre:18} {t.gravite:8} {t.prestation:14} "
            f"échéance {to_paris(i.deadline):%d/%m/%Y %H:%M} {flag}".rstrip()
        )
    echo(f"{result.total} signalisation(s) — page {result.number} sur {result.pages}.")


@sav.command("balayer", aliases=["sweep"])
@data_option
@esav_errors
def sav_sweep(config_file: Path | None, data_dir: Path | None) -> None:
    """Appliquer les transitions automatiques dues (validation à 72 h, expiration des gels à 30 jours)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        done = gateway.sav.run_automatic()
    for reference, action in done:
        echo(f"{reference} : {action.value}")
    echo(f"{len(done)} transition(s) automatique(s).")
