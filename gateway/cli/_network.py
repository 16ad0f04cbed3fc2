"""``esav capacite``, ``esav travaux``, ``esav incidents``: technicians' capacity for appointments,
planned works and network incidents, as the provider manages them."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from gateway.domain.appointments import INTERVENTION_TYPES, SLOT_STARTS
from gateway.domain.clock import paris_if_naive, to_paris
from gateway.domain.network_events import EventKind, EventStatus
from gateway.services.records import NetworkEventRecord

from ._common import data_option, echo, echo_json, esav_errors, open_gateway, settings_from
from ._language import EsavCommand, EsavGroup

__all__ = ["capacity", "incidents", "travaux"]

_SLOTS = [f"{t:%H:%M}" for t in SLOT_STARTS]


def _author_option(f: Any) -> Any:
    return click.option(
        "--auteur",
        "--author",
        "author",
        default=lambda: f"fournisseur/{getpass.getuser()}",
        show_default="fournisseur/<utilisateur>",
        help="Auteur enregistré.",
    )(f)


class ParisDateTime(click.ParamType):
    """``2026-11-20T08:00`` or ``20/11/2026 08:00`` (Paris time), or ISO 8601 with an offset."""

    name = "date"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        for parse in (datetime.fromisoformat, lambda s: datetime.strptime(s, "%d/%m/%Y %H:%M")):
            try:
                parsed = parse(text)
            except ValueError:
                continue
            return paris_if_naive(parsed)
        self.fail(f"« {text} » : date attendue comme 2026-11-20T08:00 ou 20/11/2026 08:00 (heure de Paris)", param, ctx)


PARIS_DATETIME = ParisDateTime()


# Capacity ---------------------------------------------------------------------------------------


@click.group("capacite", cls=EsavGroup, aliases=["capacity"])
def capacity() -> None:
    """Capacité des techniciens par zone (département), type d'intervention et créneau."""


@capacity.command("fixer", aliases=["set"])
@data_option
@click.option("--zone", required=True, help="Département (75, 69, 2A, 974...).")
@click.option("--type", "intervention_type", required=True, type=click.Choice(INTERVENTION_TYPES), help="Type.")
@click.option(
    "--capacite", "--capacity", "technicians", required=True, type=int, help="Techniciens par créneau (0 : fermé)."
)
@click.option(
    "--creneau",
    "--slot",
    "slots",
    multiple=True,
    type=click.Choice(_SLOTS),
    help="Créneau visé (répétable ; défaut : tous).",
)
@_author_option
@esav_errors
def capacity_set(
    config_file: Path | None,
    data_dir: Path | None,
    zone: str,
    intervention_type: str,
    technicians: int,
    slots: tuple[str, ...],
    author: str,
) -> None:
    """Fixer la capacité d'une zone pour un type d'intervention, sur tous les créneaux ou certains."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        rows = gateway.capacities.set_capacity(zone, intervention_type, technicians, slot_starts=slots, author=author)
    for row in rows:
        echo(f"{row.zone:4} {row.intervention_type:10} {row.slot_start} : {row.capacity}")


@capacity.command("liste", aliases=["list"])
@data_option
@click.option("--zone", default=None, help="Seulement cette zone.")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@esav_errors
def capacity_list(config_file: Path | None, data_dir: Path | None, zone: str | None, as_json: bool) -> None:
    """Lister les capacités par zone, type et créneau."""
    with open_gateway(settings_from(config_file, data_dir)) as gateway:
        rows = gateway.capacities.capacities(zone)
    if as_json:
        echo_json([vars(r) for r in rows])
        return
    for row in rows:
        echo(f"{row.zone:4} {row.intervention_type:10} {row.slot_start} : {row.capacity}")


# Planned works and incidents ------------------------------------------------------------------


def _event_line(e: NetworkEventRecord) -> str:
    end = f"{to_paris(e.end):%d/%m/%Y %H:%M}" if e.end else "?"
    return (
        f"{e.reference:14} {e.status:10} {e.code_commune} du {to_paris(e.start):%d/%m/%Y %H:%M} au {end} "
        f"{e.impact:12} {e.description}"
    )


def _event_group(kind: EventKind, name: str, doc: str) -> EsavGroup:
    group = EsavGroup(name, help=doc)
    needs_dates = kind is EventKind.TRAVAUX

    @data_option
    @click.option("--commune", required=True, help="Code INSEE de la commune touchée (75111...).")
    @click.option(
        "--debut",
        "start",
        type=PARIS_DATETIME,
        required=needs_dates,
        help="Début (heure de Paris)" + ("." if needs_dates else " ; défaut : maintenant."),
    )
    @click.option("--fin", "end", type=PARIS_DATETIME, required=needs_dates, help="Fin (heure de Paris).")
    @click.option("--impact", required=True, help="Code de la nomenclature IMPACTS (COUPURE, DEGRADATION...).")
    @click.option("--description", required=True, help="Description (512 caractères au plus).")
    @_author_option
    @esav_errors
    def declare(
        config_file: Path | None,
        data_dir: Path | None,
        commune: str,
        start: datetime | None,
        end: datetime | None,
        impact: str,
        description: str,
        author: str,
    ) -> None:
        with open_gateway(settings_from(config_file, data_dir)) as gateway:
            event = gateway.network_events.declare(
                kind,
                code_commune=commune,
                start=start,
                end=end,
                impact=impact,
                description=description,
                author=author,
            )
        echo(f"{event.reference} déclaré : {_event_line(event)}")

    @data_option
    @click.option("--commune", default=None, help="Seulement cette commune.")
    @click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
    @esav_errors
    def list_(config_file: Path | None, data_dir: Path | None, commune: str | None, as_json: bool) -> None:
        with open_gateway(settings_from(config_file, data_dir)) as gateway:
            rows = gateway.network_events.events(kind, commune)
        if as_json:
            echo_json([vars(r) for r in rows])
            return
        for row in rows:
            echo(_event_line(row))

    @data_option
    @click.argument("reference")
    @click.option(
        "--statut",
        "status",
        required=True,
        type=click.Choice([s.value for s in EventStatus if s is not EventStatus.NOUVEAU]),
        help="Nouveau statut (jamais de retour à NOUVEAU ; CLOS et ANNULE sont finaux).",
    )
    @click.option("--debut", "start", type=PARIS_DATETIME, default=None, help="Nouveau début (heure de Paris).")
    @click.option("--fin", "end", type=PARIS_DATETIME, default=None, help="Nouvelle fin (heure de Paris).")
    @click.option("--impact", default=None, help="Nouvel impact.")
    @click.option("--description", default=None, help="Nouvelle description.")
    @_author_option
    @esav_errors
    def update(
        config_file: Path | None,
        data_dir: Path | None,
        reference: str,
        status: str,
        start: datetime | None,
        end: datetime | None,
        impact: str | None,
        description: str | None,
        author: str,
    ) -> None:
        with open_gateway(settings_from(config_file, data_dir)) as gateway:
            event = gateway.network_events.update(
                reference,
                EventStatus(status),
                author=author,
                start=start,
                end=end,
                impact=impact,
                description=description,
            )
        echo(_event_line(event))

    commands: list[tuple[str, str, Callable[..., None], str]] = [
        (
            "declarer",
            "declare",
            declare,
            "Déclarer "
            + ("des travaux programmés (2 jours ouvrés d'avance au moins)." if needs_dates else "un incident réseau."),
        ),
        ("liste", "list", list_, "Lister, par date de début."),
        (
            "modifier",
            "update",
            update,
            "Changer le statut (REPLANIFIE, MIS_A_JOUR, CLOS, ANNULE), les dates ou le texte.",
        ),
    ]
    for command_name, alias, function, help_text in commands:
        group.add_command(click.command(command_name, cls=EsavCommand, aliases=[alias], help=help_text)(function))
    return group


travaux = _event_group(EventKind.TRAVAUX, "travaux", "Travaux programmés (TP) : déclaration, liste, mise à jour.")
incidents = _event_group(EventKind.INCIDENT, "incidents", "Incidents réseau : déclaration, liste, mise à jour.")
