"""``esav banc``: the benchmark harness of ``bench/`` (HTTP load, data scale), run from the source tree.

The benchmark code lives in ``bench/`` beside the package, not in ``gateway``: this command only
finds it and prints its figures (a table, or JSON with ``--json``).
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from pathlib import Path
from typing import Any

import click

from ._common import echo, echo_json
from ._language import EsavCommand

__all__ = ["bench"]

_SOURCE_TREE = Path(__file__).resolve().parents[2]


def _bench_module(name: str) -> Any:
    if not (_SOURCE_TREE / "bench" / "harness.py").exists():
        raise click.ClickException(
            f"Le banc d'essai (bench/) est introuvable à côté du paquet ({_SOURCE_TREE}) : "
            "lancez « esav banc » depuis une copie des sources installée en mode éditable."
        )
    if str(_SOURCE_TREE) not in sys.path:
        sys.path.insert(0, str(_SOURCE_TREE))
    return importlib.import_module(f"bench.{name}")


@click.command("banc", cls=EsavCommand, aliases=["bench"])
@click.option(
    "--rapide",
    "--quick",
    "quick",
    is_flag=True,
    help="Mesures courtes (moins d'une minute ; 100 000 tickets avec --volumetrie).",
)
@click.option("--json", "as_json", is_flag=True, help="Imprimer les mesures en JSON.")
@click.option(
    "--processus",
    "--workers",
    "workers",
    type=click.IntRange(min=1),
    default=None,
    help="Transmis à « esav servir --processus » s'il existe.",
)
@click.option(
    "--duree",
    "--duration",
    "duration",
    type=click.FloatRange(min=0.5),
    default=None,
    help="Secondes par point de mesure (défaut 10, 2,5 avec --rapide ; avec --pair 5, 2 avec --rapide).",
)
@click.option(
    "--simultanes",
    "--concurrency",
    "concurrencies",
    type=click.IntRange(min=1),
    multiple=True,
    help="Concurrence à mesurer (répétable ; défaut 1, 8 et 32 ; 32 et 8 avec --pair).",
)
@click.option(
    "--formulaire",
    "--form",
    "form",
    type=click.Choice(["SIG_CUIVRE", "SIG_FTTH"]),
    default="SIG_CUIVRE",
    help="Formulaire déposé.",
)
@click.option(
    "--processus-clients",
    "--client-processes",
    "client_processes",
    type=click.IntRange(min=1),
    default=1,
    help="Processus du générateur de charge.",
)
@click.option(
    "--volumetrie",
    "--scale",
    "scale",
    is_flag=True,
    help="Volumétrie : remplir une base (1 million de tickets) et chronométrer historique et recherche.",
)
@click.option(
    "--pair",
    "--peer",
    "peer",
    type=click.Choice(["jaxws"]),
    default=None,
    help="Mesurer aussi un pair de référence (jaxws : JAX-WS RI sur Java), en alternance avec la passerelle "
    "(dépôts, concurrences 32 et 8 par défaut).",
)
@click.option(
    "--paires",
    "--pairs",
    "pairs",
    type=click.IntRange(min=1),
    default=None,
    help="Avec --pair : nombre de paires de mesures pair/passerelle (défaut 13, 4 avec --rapide).",
)
@click.option("--tickets", type=click.IntRange(min=1000), default=None, help="Nombre de tickets avec --volumetrie.")
@click.option(
    "--base",
    "--store",
    "store",
    default=None,
    metavar="CHEMIN|URL",
    help="Avec --volumetrie : garder la base SQLite ici (ou la réutiliser). Sans --volumetrie : une base "
    "PostgreSQL (postgresql://…) où mesurer aussi la passerelle, à côté de SQLite, dans la même exécution.",
)
@click.option(
    "--grappe",
    "cluster",
    is_flag=True,
    help="Dépôts à travers HAProxy sur un nœud puis deux (esav grappe demo : base primaire et secours), "
    "dans la même exécution.",
)
def bench(
    quick: bool,
    as_json: bool,
    workers: int | None,
    duration: float | None,
    concurrencies: tuple[int, ...],
    form: str,
    client_processes: int,
    scale: bool,
    peer: str | None,
    pairs: int | None,
    tickets: int | None,
    store: str | None,
    cluster: bool = False,
) -> None:
    """Mesurer la passerelle : débit et latences en TLS mutuel (rapportés à un écho spyne), ou volumétrie."""

    def progress(message: str) -> None:
        echo(message, err=True)

    if scale and peer is not None:
        raise click.UsageError("--pair mesure des dépôts ; il ne se combine pas avec --volumetrie.")
    on_postgresql = store is not None and store.startswith(("postgresql://", "postgres://"))
    if store is not None and not scale and not on_postgresql:
        raise click.BadParameter("sans --volumetrie, une URL postgresql://… est attendue.", param_hint="--base")
    if on_postgresql and (scale or peer is not None):
        raise click.UsageError("--base postgresql://… mesure la charge HTTP ; sans --volumetrie ni --pair.")
    if cluster and (scale or peer is not None or on_postgresql):
        raise click.UsageError("--grappe mesure des dépôts à travers HAProxy ; sans --volumetrie, --pair ni --base.")
    try:
        if cluster:
            harness = _bench_module("harness")
            options = harness.QUICK if quick else harness.HttpOptions()
            cluster_changes: dict[str, Any] = {"form": form, "client_processes": client_processes}
            if duration is not None:
                cluster_changes["duration_s"] = duration
            if concurrencies:
                cluster_changes["concurrencies"] = tuple(concurrencies)
            grappe = _bench_module("cluster")
            result = grappe.run_cluster(dataclasses.replace(options, **cluster_changes), progress=progress)
            report = grappe.cluster_table
        elif scale:
            fill = _bench_module("fill")
            count = tickets or (fill.QUICK_TICKETS if quick else fill.FULL_TICKETS)
            result = fill.run_scale(count, Path(store) if store else None, progress=progress)
            report = _bench_module("report").scale_table
        elif peer is not None:
            paired = _bench_module("paired")
            peer_options = paired.QUICK_PAIRED if quick else paired.PairedOptions()
            peer_changes: dict[str, Any] = {
                "peer": peer,
                "workers": workers,
                "form": form,
                "client_processes": client_processes,
            }
            for key, value in (("pairs", pairs), ("duration_s", duration)):
                if value is not None:
                    peer_changes[key] = value
            if concurrencies:
                peer_changes["concurrencies"] = tuple(concurrencies)
            result = paired.run_paired(dataclasses.replace(peer_options, **peer_changes), progress=progress)
            report = _bench_module("report").paired_table
        else:
            harness = _bench_module("harness")
            options = harness.QUICK if quick else harness.HttpOptions()
            changes: dict[str, Any] = {
                "workers": workers,
                "form": form,
                "client_processes": client_processes,
                "store_url": store if on_postgresql else None,
            }
            if duration is not None:
                changes["duration_s"] = duration
            if concurrencies:
                changes["concurrencies"] = tuple(concurrencies)
            result = harness.run_http(dataclasses.replace(options, **changes), progress=progress)
            report = _bench_module("report").http_table
    except RuntimeError as error:  # a server that would not start, a request the gateway refuses
        raise click.ClickException(str(error)) from None
    if as_json:
        echo_json(result)
    else:
        echo(report(result))
