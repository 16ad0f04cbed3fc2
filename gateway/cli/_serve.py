"""``esav servir`` and ``esav demo``: run the gateway, build the demo data set."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from twisted.internet.error import CannotListenError

from gateway._resources import shipped_wsdl
from gateway.adapters import NetworkSimulator
from gateway.catalogue import default_catalogue_root
from gateway.config import Settings
from gateway.demo import DemoInfo, build_demo, ensure_demo_calendar, ensure_provider_pki
from gateway.domain.clock import to_paris
from gateway.services import Gateway, contracts_fingerprint

from ._common import (
    PORT,
    data_option,
    echo,
    esav_errors,
    open_gateway,
    require_store,
    settings_from,
    shared_options,
)
from ._language import EsavCommand

__all__ = ["demo", "serve"]


def _example_form(settings: Settings) -> Path:
    """The SIG_CUIVRE 1.0 example of the catalogue in use (the shipped one unless ``catalogue_dir``)."""
    return (settings.catalogue_dir or default_catalogue_root()).resolve() / "forms" / "SIG_CUIVRE" / "1.0.example.xml"


def _banner(settings: Settings, port: int, info: DemoInfo | None) -> str:
    url = f"https://{settings.public_host}:{port}/esav/v2/signalisation"
    lines = [
        "Passerelle e-SAV démarrée (TLS mutuel).",
        f"  Point d'accès : {url}",
        f"  WSDL          : {url}?wsdl",
        f"  Base          : {settings.store_location}",
    ]
    if info is not None:
        cert, key = info.operator_certs["OPE001"]
        lines += [
            f"  CA            : {info.ca.resolve()}",
            *(f"  {code:13} : {c.resolve()} / {k.resolve()}" for code, (c, k) in info.operator_certs.items()),
            "",
            "Déposer une signalisation avec zeep (Python), en tant qu'OPE001 :",
            "",
            "  import requests, zeep",
            "  from lxml import etree",
            "  s = requests.Session(); s.trust_env = False",
            f"  s.verify = {str(info.ca.resolve())!r}",
            f"  s.cert = ({str(cert.resolve())!r}, {str(key.resolve())!r})",
            f"  client = zeep.Client({url + '?wsdl'!r}, transport=zeep.Transport(session=s))",
            f"  form = etree.parse({str(_example_form(settings))!r}).getroot()",
            "  r = client.service.deposerSignalisation(identifiantPrestation='0140000001',",
            "        codeOffre='CUIVRE_DEGROUPAGE', gravite='MAJEURE',",
            "        formulaire={'code': 'SIG_CUIVRE', 'version': '1.0', '_value_1': form})",
            "  print(r.referenceSignalisation, r.etat)",
        ]
    lines += ["", "Ctrl-C pour arrêter."]
    return "\n".join(lines)


@click.command("servir", cls=EsavCommand, aliases=["serve"])
@data_option
@click.option("--demo", "with_demo", is_flag=True, help="Construire les données de démonstration si absentes.")
@click.option(
    "--port", type=PORT, default=None, help="Port HTTPS des web services (défaut 8443, 0 : choisi par le système)."
)
@click.option("--hote", "--host", "host", default=None, help="Adresse d'écoute (défaut 127.0.0.1).")
@click.option(
    "--port-web",
    "--web-port",
    "web_port",
    type=PORT,
    default=None,
    help="Port HTTPS du portail (défaut 8444, 0 : choisi par le système).",
)
@click.option(
    "--processus",
    "--workers",
    "workers",
    type=click.IntRange(0, 64),
    default=None,
    help="Nombre de processus serveurs (défaut 1 ; 0 : un par cœur).",
)
@click.option("--worker-index", type=int, default=None, hidden=True, help="Usage interne : rang du processus serveur.")
@click.option(
    "--worker-fds", default=None, hidden=True, help="Usage interne : socket d'écoute et table des connexions reçues."
)
@click.option(
    "--format-journal",
    "--log-format",
    "log_format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Journaux sur stderr : texte, ou JSON (un objet par ligne ; un par appel SOAP). Défaut : text.",
)
@esav_errors
def serve(
    config_file: Path | None,
    data_dir: Path | None,
    with_demo: bool,
    port: int | None,
    host: str | None,
    web_port: int | None,
    workers: int | None,
    worker_index: int | None,
    worker_fds: str | None = None,
    log_format: str | None = None,
) -> None:
    """Servir les web services e-SAV en HTTPS avec TLS mutuel."""
    from twisted.internet import reactor as _reactor

    reactor: Any = _reactor

    from gateway.server import (
        TEXT_LOG_FORMAT,
        LinesEachTurn,
        PkiFiles,
        lean_log_records,
        listening_socket,
        pin_worker,
        start,
        stop_when_orphaned,
        supervise_workers,
        worker_count,
        worker_listener,
    )

    settings = settings_from(
        config_file, data_dir, port=port, host=host, web_port=web_port, workers=workers, log_format=log_format
    )
    # The lines go out once a turn of the reactor, together (a system call each turn, not each line).
    lines = LinesEachTurn(sys.stderr, lambda flush: reactor.callLater(0, flush))
    lines.setFormatter(logging.Formatter(TEXT_LOG_FORMAT))
    logging.basicConfig(level=logging.INFO, handlers=[lines])
    if settings.log_format == "json":  # one JSON object per line (gateway/server/_operations.py)
        from gateway.server import JsonLogFormatter

        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonLogFormatter())
    logging.getLogger("spyne").setLevel(logging.CRITICAL)  # faults are ours to log, not spyne's tracebacks
    # A worker keeps to its core from its first thread on (the threads it starts later inherit it); a
    # refusal is logged in the format chosen above.
    core = pin_worker(worker_index) if worker_index is not None and settings.pin_workers else None
    if settings.clock_offset_s:  # a rehearsal's clock must never pass unnoticed
        logging.getLogger("gateway.server").warning(
            "horloge décalée de %+.0f s (clock_offset_s) : la passerelle vit le %s, heure de Paris",
            settings.clock_offset_s, to_paris(settings.clock().now()).strftime("%d/%m/%Y %H:%M"),
        )  # fmt: skip
    if with_demo:  # the demo's catalogue and versions, dated from the day it is first built
        settings = ensure_demo_calendar(settings, settings.clock().now())
    else:
        require_store(settings)
    gateway = Gateway.from_settings(settings, network=NetworkSimulator(delay_s=settings.line_test_delay_s))
    if not settings.store_location.is_sqlite:  # the nodes of a cluster serve the same contracts
        try:
            node = f"{socket.gethostname()}:{settings.data_dir.resolve()}"
            gateway.contracts.check(contracts_fingerprint(shipped_wsdl()), node=node)
        except BaseException:
            gateway.close()
            raise
    info = build_demo(gateway, settings.pki_dir) if with_demo else None
    pki = PkiFiles.in_dir(settings.pki_dir)
    if not pki.server_cert.exists():
        raise click.ClickException(
            f"Pas de certificat serveur dans {settings.pki_dir} : lancez « esav pki initialiser » "
            "ou « esav servir --demo »."
        )
    count = worker_count(settings.workers)
    if worker_index is None and count > 1:
        # Parent: the data is ready (migrations, demo); the workers serve, this process supervises.
        gateway.close()
        try:
            listening = listening_socket(settings.host, settings.port)
        except OSError as error:
            raise _cannot_listen(settings, error) from None
        raise SystemExit(
            supervise_workers(
                worker_argv(worker_params(click.get_current_context())),
                count,
                listening,
                announce=lambda port: echo(
                    _banner(settings, port, info).replace("Ctrl-C", f"{count} processus serveurs. Ctrl-C")
                ),
            )
        )
    try:
        if worker_index is not None:
            if worker_fds is None:
                raise click.UsageError("--worker-index sans --worker-fds : un processus serveur naît de son parent.")
            sock, slot = worker_listener(worker_fds, worker_index)
            running = start(gateway, settings, pki, listen_socket=sock, worker=slot, leader=worker_index == 0)
            logging.getLogger("gateway.server").info(
                "worker %d (pid %d) serving on port %d%s",
                worker_index,
                os.getpid(),
                running.port_number,
                "" if core is None else f", on core {core}",
            )
            stop_when_orphaned(reactor)
        else:
            running = start(gateway, settings, pki)
            echo(_banner(settings, running.port_number, info))
            operations_port = running.operations.metrics_port_number if running.operations else None
            if operations_port is not None:
                echo(f"Exploitation (boucle locale) : http://127.0.0.1:{operations_port}/metrics, /health/ready")
        if worker_index in (None, 0):  # the portal: one process serves it, on its own port
            from gateway.web import start_web

            portal = start_web(gateway, settings, pki)
            echo(_portal_banner(settings, portal.port_number, info))
    except (CannotListenError, OSError) as error:
        gateway.close()
        raise _cannot_listen(settings, error) from None
    # SIGTERM stops cleanly (the reactor's own handlers cover SIGINT).
    signal.signal(signal.SIGTERM, lambda *_: reactor.callFromThread(reactor.stop))
    lean_log_records()  # from here on: the records of a serving process, not of a command's checks
    reactor.run()
    gateway.close()


def _cannot_listen(settings: Settings, error: BaseException) -> click.ClickException:
    return click.ClickException(
        f"Impossible d'écouter sur {settings.host} (web services : port {settings.port}, portail : port "
        f"{settings.web_port}) : {getattr(error, 'socketError', error)}. Choisissez d'autres ports "
        "(--port, --port-web ; 0 : choisi par le système)."
    )


#: Options of ``serve`` a worker process never receives from its parent: the parent builds the demo
#: before starting the workers, and gives each worker its port, its index and the listening socket.
PARENT_ONLY_OPTIONS = frozenset({"with_demo", "port", "workers", "worker_index", "worker_fds"})


def worker_params(ctx: click.Context) -> dict[str, Any]:
    """The parent's option values as the workers must get them: its parameters, and the options
    shared by every command that click does not hand to the function (``--base``: ``data_option``)."""
    return {**ctx.params, **{option.name: ctx.meta.get(f"esav.{option.name}") for option in shared_options(ctx)}}


def worker_argv(params: Mapping[str, Any]) -> list[str]:
    """The ``esav`` arguments of a worker: every option the parent's ``serve`` was given, as given,
    except ``PARENT_ONLY_OPTIONS`` (the supervisor adds ``--port`` and ``--worker-index``).

    Built from the command's own option list, so that an option added to ``serve`` reaches the
    workers without anyone remembering to forward it."""
    argv = ["serve", "--workers", "1"]
    for option in serve.params:
        if not isinstance(option, click.Option) or option.name in PARENT_ONLY_OPTIONS:
            continue
        value = params.get(option.name or "")
        flag = max(option.opts, key=len)
        if option.is_flag:  # ``--x`` when set; ``--no-x`` when a ``--x/--no-x`` flag is cleared
            if value is True:
                argv.append(flag)
            elif value is False and option.secondary_opts:
                argv.append(max(option.secondary_opts, key=len))
            continue
        if value is None:
            continue
        for item in value if option.multiple else (value,):
            argv += [flag, str(item)]
    return argv


def _portal_banner(settings: Settings, port: int, info: DemoInfo | None) -> str:
    lines = [f"Espace Opérateurs (portail web) : https://{settings.public_host}:{port}/"]
    if info is not None:
        lines += [f"  utilisateur {login} / mot de passe {password}" for login, password in info.web_users.items()]
        lines += [
            f"  agent du fournisseur {login} / mot de passe {password} (pages /fournisseur)"
            for login, password in info.web_agents.items()
        ]
    return "\n".join(lines)


@click.command(cls=EsavCommand)
@data_option
@esav_errors
def demo(config_file: Path | None, data_dir: Path | None) -> None:
    """Construire (ou compléter) les données de démonstration sans démarrer le serveur."""
    settings = settings_from(config_file, data_dir)
    settings = ensure_demo_calendar(settings, settings.clock().now())
    with open_gateway(settings, create=True) as gateway:
        info = build_demo(gateway, settings.pki_dir)
    echo(f"Démonstration prête dans {settings.data_dir}.")
    echo(f"  CA : {info.ca}")
    for code, (cert, key) in info.operator_certs.items():
        echo(f"  {code} : {cert} / {key}")
    for login, password in info.web_users.items():
        echo(f"  portail : {login} / {password}")
    for login, password in info.web_agents.items():
        echo(f"  portail, agent du fournisseur : {login} / {password}")


@click.command("initialiser", cls=EsavCommand, aliases=["init"])
@data_option
@click.option(
    "--nom-hote", "--host-name", "hostnames", multiple=True, default=("localhost",), help="Nom du serveur (répétable)."
)
@esav_errors
def pki_init(config_file: Path | None, data_dir: Path | None, hostnames: tuple[str, ...]) -> None:
    """Créer l'autorité de certification du fournisseur, le certificat du serveur et la base (une fois)."""
    settings = settings_from(config_file, data_dir)
    ensure_provider_pki(settings.pki_dir, hostnames, now=settings.clock().now())
    with open_gateway(settings, create=True):  # the instance's database (migrations), empty until filled
        pass
    echo(f"PKI du fournisseur prête dans {settings.pki_dir} (ca.pem, server.pem) ; base {settings.store_location}.")
