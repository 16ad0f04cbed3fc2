"""``esav sav``: the after-sales staff's back office on the command line."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from gateway.domain.clock import to_paris
from gateway.domain.states import Action

from ._common import data_option, echo_json, esav_errors, open_gateway, settings_from

__all__ = ["sav"]


@click.group()
def sav() -> None:
    """Back office SAV : faire avancer les signalisations, commenter, consulter."""


def _author_option(f):
    return click.option(
        "--author",
        default=lambda: f"sav/{getpass.getuser()}",
        show_default="sav/<utilisateur>",
        help="Auteur enregistré dans l'historique.",
    )(f)


def _make_action(
    name: str, action: Action, doc: str, *, code_list: str | None = None, needs_reason: bool = False
) -> click.Command:
    @data_option
    @click.argument("reference")
    @_author_option
    @click.option("--reason", "reason", required=needs_reason, default=None, help="Motif (texte libre).")
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
        click.echo(f"{ticket.reference} : {ticket.state}")

    command.__doc__ = doc
    if code_list:
        command = click.option("--code", required=True, help=f"Code de la nomenclature {code_list}.")(command)
    return click.command(name, help=doc)(command)


for _name, _action, _doc, _list in (
    ("qualify", Action.QUALIFIER, "Accepter la signalisation (EN_DEPOT → EN_QUALIFICATION).", None),
    ("reject", Action.REJETER, "Rejeter la signalisation avec un motif (EN_DEPOT → EN_REJET).", "MOTIFS_REJET"),
    ("start", Action.DEMARRER, "Démarrer le traitement (EN_QUALIFICATION → EN_COURS).", None),
    ("freeze", Action.GELER, "Geler en attente d'une action de l'opérateur (→ GELE).", "MOTIFS_GEL"),
    ("resume", Action.REPRENDRE, "Reprendre une signalisation gelée (GELE → EN_COURS).", None),
    ("close", Action.CLORE, "Clore avec un code de clôture (→ CLOS).", "CODES_CLOTURE"),
    ("validate", Action.VALIDER, "Valider la clôture (CLOS → VALIDE).", None),
    ("archive", Action.ARCHIVER, "Clore au tableau de bord (→ CLOS_TABLEAU_DE_BORD).", None),
):
    sav.add_command(_make_action(_name, _action, _doc, code_list=_list))


@sav.command("comment")
@data_option
@click.argument("reference")
@click.argument("text")
@_author_option
@esav_errors
def sav_comment(config_file: Path | None, data_dir: Path | None, reference: str, text: str, author: str) -> None:
    """Ajouter un commentaire SAV, visible de l'opérateur."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        gateway.sav.comment(reference, author=author, text=text)
    click.echo(f"Commentaire ajouté à {reference}.")


@sav.command("show")
@data_option
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def sav_show(config_file: Path | None, data_dir: Path | None, reference: str, as_json: bool) -> None:
    """Afficher une signalisation, son historique et ses commentaires."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        d = gateway.sav.detail(reference)
    t = d.ticket
    if as_json:
        echo_json(
            {
                "ticket": vars(t) | {"form_xml": None},
                "gtr": vars(d.gtr),
                "transitions": [vars(r) for r in d.transitions],
                "comments": [vars(c) for c in d.comments],
            }
        )
        return
    click.echo(f"{t.reference}  {t.operator_code}  {t.prestation} ({t.code_offre})  {t.gravite}")
    click.echo(f"  état : {t.state} — {d.state_libelle}")
    click.echo(
        f"  GTR {d.gtr.option} : échéance {to_paris(d.gtr.deadline):%d/%m/%Y %H:%M}"
        + ("" if d.gtr.met is None else (" respectée" if d.gtr.met else " dépassée"))
    )
    for r in d.transitions:
        why = " ".join(x for x in (r.code, r.reason) if x)
        click.echo(
            f"  {to_paris(r.at):%d/%m/%Y %H:%M}  {r.from_state or '-':>20} → {r.to_state:20} "
            f"{r.actor:10} {r.author} {why}"
        )
    for c in d.comments:
        click.echo(f"  [{c.side}] {to_paris(c.at):%d/%m/%Y %H:%M} {c.author} : {c.text}")


@sav.command("list")
@data_option
@click.argument("operator_code")
@esav_errors
def sav_list(config_file: Path | None, data_dir: Path | None, operator_code: str) -> None:
    """Lister les signalisations ouvertes d'un opérateur."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        page = gateway.sav.list_open(operator_code)
    for t in page.items:
        click.echo(f"{t.reference}  {t.state:18} {t.prestation:14} {to_paris(t.deposited_at):%d/%m/%Y %H:%M}")
    click.echo(f"{page.total} signalisation(s) ouverte(s).")


@sav.command("sweep")
@data_option
@esav_errors
def sav_sweep(config_file: Path | None, data_dir: Path | None) -> None:
    """Appliquer les transitions automatiques dues (validation à 72 h, expiration des gels à 30 jours)."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        done = gateway.sav.run_automatic()
    for reference, action in done:
        click.echo(f"{reference} : {action.value}")
    click.echo(f"{len(done)} transition(s) automatique(s).")
