"""``esav integration`` (the integration platform) and ``esav operateurs valider`` (production side)."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from typing import Any

import click

from gateway._resources import shipped_integration_platform
from gateway.config import Settings
from gateway.demo import ensure_demo_calendar
from gateway.domain.clock import to_paris
from gateway.integration import (
    DEFAULT_ROBOT_FILE,
    AttestationError,
    CallJournal,
    IntegrationPlatform,
    build_sandbox,
    ensure_platform_key,
    load_public_key,
    load_robot_paths,
    open_platform_gateway,
    start_platform,
    verify_attestation,
)

from ._common import (
    PORT,
    data_option,
    echo,
    echo_json,
    esav_errors,
    open_gateway,
    provider_author,
    require_store,
    settings_from,
)
from ._language import EsavCommand, EsavGroup

__all__ = ["integration", "operators_validate"]

#: The platform's own configuration, used when no --config (nor ESAV_CONFIG) is given.
PLATFORM_CONFIG = shipped_integration_platform() / "esav.ini"


def _platform_settings(config_file: Path | None, data_dir: Path | None, **overrides: Any) -> Settings:
    if config_file is None and PLATFORM_CONFIG.is_file():
        config_file = PLATFORM_CONFIG
    if data_dir is None and config_file is None:
        data_dir = Path("var/integration")
    return settings_from(config_file, data_dir, **overrides)


def _platform(settings: Settings, robot_file: Path) -> tuple[Any, IntegrationPlatform]:
    """The platform's instance as ``integration serve`` built it (refused when it has no database yet)."""
    require_store(settings)
    paths = load_robot_paths(robot_file)
    gateway = open_platform_gateway(settings, paths)
    key, _ = ensure_platform_key(settings.pki_dir)
    return gateway, IntegrationPlatform(gateway, CallJournal(gateway), key)


robot_option = click.option(
    "--robot",
    "robot_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=DEFAULT_ROBOT_FILE,
    show_default=True,
    help="Chemins du robot de scénarios (TOML).",
)


@click.group(cls=EsavGroup)
def integration() -> None:
    """Plate-forme d'intégration : robot de scénarios, journal des appels, campagne, bac à sable."""


@integration.command("servir", aliases=["serve"])
@data_option
@robot_option
@click.option("--port", type=PORT, default=None, help="Port HTTPS (défaut 9443, 0 : choisi par le système).")
@click.option("--hote", "--host", "host", default=None, help="Adresse d'écoute (défaut 127.0.0.1).")
@esav_errors
def integration_serve(
    config_file: Path | None, data_dir: Path | None, robot_file: Path, port: int | None, host: str | None
) -> None:
    """Démarrer la plate-forme d'intégration (sa configuration, sa base, son port et sa CA)."""
    from twisted.internet import reactor as _reactor

    from gateway.server import TEXT_LOG_FORMAT, PkiFiles, lean_log_records

    reactor: Any = _reactor
    settings = _platform_settings(config_file, data_dir, port=port, host=host)
    # The sandbox is the demo's: dated from the day it is first built, like the demo (docs/operations.md).
    settings = ensure_demo_calendar(settings, settings.clock().now())
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=TEXT_LOG_FORMAT)
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
    paths = load_robot_paths(robot_file)
    gateway = open_platform_gateway(settings, paths)
    info = build_sandbox(gateway, settings.pki_dir, paths)
    running = start_platform(gateway, settings, PkiFiles.in_dir(settings.pki_dir), reactor, paths)
    base = f"https://{settings.public_host}:{running.running.port_number}"
    lines = [
        "Plate-forme d'intégration e-SAV démarrée (TLS mutuel, un seul processus).",
        f"  Web services  : {base}/esav/{{v1,v2}}/{{service}} ; {base}/esav/v2/integration",
        f"  Base          : {settings.store_location}",
        f"  CA            : {info.ca.resolve()}",
        *(f"  {code:13} : {c.resolve()} / {k.resolve()}" for code, (c, k) in info.operator_certs.items()),
        f"  Clé publique des attestations (à donner à la production) : {running.public_key.resolve()}",
        f"  Robot         : {len(paths.paths)} chemins, un pas toutes les {settings.robot_step_s:g} s",
        "",
        f"  Jeu de test   : esav jeu-de-test rejouer --url {base} --cert … --key … --ca {info.ca}",
        "",
        "Ctrl-C pour arrêter.",
    ]
    echo("\n".join(lines))
    signal.signal(signal.SIGTERM, lambda *_: reactor.callFromThread(reactor.stop))
    lean_log_records()  # from here on: the records of a serving process, not of a command's checks
    reactor.run()
    running.journal.flush()
    gateway.close()


@integration.command("journal")
@click.argument("operator")
@data_option
@click.option("--depuis", "after_id", type=int, default=0, help="Après cette entrée (identifiant).")
@click.option("--max", "limit", type=int, default=100, show_default=True, help="Nombre d'entrées au plus (1–500).")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON (avec requêtes et réponses).")
@esav_errors
def integration_journal(
    operator: str, config_file: Path | None, data_dir: Path | None, after_id: int, limit: int, as_json: bool
) -> None:
    """Lister les appels journalisés d'un opérateur sur la plate-forme."""
    settings = _platform_settings(config_file, data_dir)
    gateway, platform = _platform(settings, DEFAULT_ROBOT_FILE)
    try:
        entries = platform.journal(operator, after_id=after_id, limit=limit)
    finally:
        gateway.close()
    if as_json:
        echo_json([e.__dict__ for e in entries])
        return
    for e in entries:
        when, outcome = to_paris(e.at), e.fault_code or "OK"
        echo(f"{e.id:>6}  {when:%Y-%m-%d %H:%M:%S}  {e.version}  {e.service}.{e.operation or '?'}  {outcome}")
    echo(f"{len(entries)} entrée(s).", err=True)


@integration.command("campagne")
@click.argument("operator")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.option(
    "--stricte", "strict", is_flag=True, help="Campagne stricte : chaque appel nommé du domaine (au lieu d'un seul)."
)
@esav_errors
def integration_campaign(
    operator: str, config_file: Path | None, data_dir: Path | None, as_json: bool, strict: bool = False
) -> None:
    """Avancement de la campagne de validation d'un opérateur, par domaine (au moins un appel réussi d'un web
    service du domaine ; --stricte : chacun des appels nommés)."""
    settings = _platform_settings(config_file, data_dir)
    gateway, platform = _platform(settings, DEFAULT_ROBOT_FILE)
    try:
        progress = platform.campaign(operator, strict=strict)
    finally:
        gateway.close()
    if as_json:
        echo_json(
            {
                "operateur": operator,
                "complete": progress.complete,
                "domaines": [
                    {
                        "domaine": d.domain,
                        "valide": d.complete,
                        "versions": list(d.complete_in),
                        "operations": {o.operation: list(o.versions) for o in d.operations},
                    }
                    for d in progress.domains
                ],
            }
        )
        return
    for d in progress.domains:
        state = f"validé ({', '.join(d.complete_in)})" if d.complete else "à faire"
        echo(f"{d.domain:14} {state}")
        for o in d.operations:
            echo(f"    {o.operation:28} {', '.join(o.versions) or '—'}")


@integration.command("reinitialiser", aliases=["reset"])
@click.argument("operator")
@data_option
@esav_errors
def integration_reset(operator: str, config_file: Path | None, data_dir: Path | None) -> None:
    """Réinitialiser le bac à sable d'un opérateur (ses signalisations, tests, rendez-vous, journal)."""
    settings = _platform_settings(config_file, data_dir)
    gateway, platform = _platform(settings, DEFAULT_ROBOT_FILE)
    try:
        counts = platform.reset(operator, author=provider_author())
    finally:
        gateway.close()
    echo(
        f"Bac à sable de {operator} réinitialisé : {counts['signalisations']} signalisation(s), "
        f"{counts['tests']} test(s), {counts['rendezVous']} rendez-vous, {counts['journal']} entrée(s) de journal."
    )


@click.command("valider", cls=EsavCommand, aliases=["validate"])
@data_option
@click.option(
    "--attestation",
    "attestation_file",
    required=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Attestation signée par la plate-forme d'intégration (JSON).",
)
@esav_errors
def operators_validate(config_file: Path | None, data_dir: Path | None, attestation_file: Path) -> None:
    """Importer une attestation de la plate-forme d'intégration : ouvre les domaines attestés en web services."""
    settings = settings_from(config_file, data_dir)
    require_store(settings)
    if settings.integration_platform_key is None:
        raise click.ClickException(
            "integration_platform_key n'est pas configurée : indiquez la clé publique de la plate-forme "
            "d'intégration (fichier PEM) dans la configuration ou ESAV_INTEGRATION_PLATFORM_KEY."
        )
    try:
        attestation = verify_attestation(
            attestation_file.read_bytes(), load_public_key(settings.integration_platform_key)
        )
    except AttestationError as error:
        raise click.ClickException(f"{attestation_file} : {error}") from None
    with open_gateway(settings) as gateway:
        operator, granted = gateway.integration.validate_operator(
            attestation.operator_code,
            attestation.domains,
            attestation.version,
            attestation.date,
            attestation.sha256,
            author=provider_author(),
        )
    echo(
        f"{operator.code} validé pour : {', '.join(attestation.domains)} (attestation du {attestation.date}, "
        f"version {attestation.version}). Domaines ouverts en web services : {', '.join(sorted(granted))}."
    )
