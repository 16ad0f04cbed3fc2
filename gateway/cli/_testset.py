"""``esav jeu-de-test rejouer``: replay the operators' test set against an endpoint (contract §11)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from cryptography import x509
from cryptography.x509.oid import NameOID

from gateway.integration import DEFAULT_ROBOT_FILE, load_robot_paths
from gateway.testset import DEFAULT_TEST_SETS, POLL_S, Runner, junit_report, load_test_set, summary_table

from ._common import echo, esav_errors
from ._language import EsavGroup

__all__ = ["testset"]

#: Exit statuses above this would wrap around (an exit status is one byte).
MAX_EXIT_STATUS = 125


def _operator_of(cert_file: Path) -> str:
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    if not names:
        raise click.ClickException(f"{cert_file} : pas de CN ; indiquez --operateur.")
    return str(names[0].value)


@click.group("jeu-de-test", cls=EsavGroup, aliases=["testset"])
def testset() -> None:
    """Jeu de test e-SAV : rejouer les scénarios contre la plate-forme d'intégration (ou un autre point d'accès)."""


@testset.command("rejouer", aliases=["run"])
@click.option(
    "--url",
    default="https://localhost:9443",
    show_default=True,
    help="Adresse du point d'accès (https://hôte:port) ; la plate-forme d'intégration par défaut.",
)
@click.option(
    "--cert",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Certificat client de l'opérateur (PEM).",
)
@click.option(
    "--cle",
    "--key",
    "key",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Clé privée du certificat client (PEM).",
)
@click.option(
    "--ac",
    "--ca",
    "ca",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Certificat de l'autorité qui a émis le certificat du serveur (PEM).",
)
@click.option(
    "--version",
    "versions",
    multiple=True,
    type=click.Choice(["v1", "v2"]),
    help="Version(s) à rejouer (répétable ; défaut : v1 et v2).",
)
@click.option("--operateur", "operator", default=None, help="Code opérateur (défaut : le CN du certificat).")
@click.option("--scenario", "only", multiple=True, help="Ne rejouer que ce scénario (répétable).")
@click.option(
    "--junit",
    "junit_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Écrire le résultat en JUnit XML (pour la CI de l'opérateur).",
)
@click.option(
    "--jeu",
    "root",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=DEFAULT_TEST_SETS,
    show_default=True,
    help="Dossier du jeu de test.",
)
@click.option(
    "--robot",
    "robot_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=DEFAULT_ROBOT_FILE,
    show_default=True,
    help="Chemins du robot (prestations de bac à sable).",
)
@click.option(
    "--intervalle",
    "poll_s",
    type=click.FloatRange(min=0.01, max=60),
    default=POLL_S,
    show_default=True,
    help="Secondes entre deux appels d'une étape qui attend un état (« dans = N »).",
)
@esav_errors
def testset_run(
    url: str,
    cert: Path,
    key: Path,
    ca: Path,
    versions: tuple[str, ...],
    operator: str | None,
    only: tuple[str, ...],
    junit_file: Path | None,
    root: Path,
    robot_file: Path,
    poll_s: float,
) -> None:
    """Rejouer le jeu de test ; le code de sortie est le nombre de scénarios en échec."""
    operator = operator or _operator_of(cert)
    paths = load_robot_paths(robot_file)
    all_results = []
    suites = []
    for version in versions or ("v1", "v2"):
        scenarios = load_test_set(version, root)
        if only:
            scenarios = [s for s in scenarios if s.name in only]
        runner = Runner(
            url,
            version,
            cert=str(cert),
            key=str(key),
            ca=str(ca),
            operator=operator,
            prestations=paths.prestation,
            poll_s=poll_s,
        )
        results = []
        with click.progressbar(
            scenarios, label=f"{version} ({operator})", item_show_func=lambda s: s.name if s else "", file=sys.stderr
        ) as bar:
            for scenario in bar:
                results.append(runner.run_scenario(scenario))
        echo(f"\n== {version}")
        echo(summary_table(results))
        all_results += results
        suites.append((f"esav.{version}", results))
    if junit_file is not None:
        junit_report(suites).write(str(junit_file), pretty=True)
    failed = sum(not r.passed for r in all_results)
    if failed:
        raise SystemExit(min(failed, MAX_EXIT_STATUS))
