"""``esav grappe demo``: the whole cluster on this machine, for a demonstration.

A PostgreSQL primary and its synchronous standby, the demo data, gateway nodes (``esav servir``
processes, each with its own folder and ports) and HAProxy in front of them, on loopback; a zeep client
deposits one signalisation through HAProxy, then everything runs until Ctrl-C.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

import click

from ._common import echo, esav_errors
from ._language import EsavCommand, EsavGroup

__all__ = ["grappe"]


@click.group("grappe", cls=EsavGroup)
def grappe() -> None:
    """Plusieurs nœuds derrière HAProxy sur une base PostgreSQL répliquée (démonstration locale)."""


def _first_deposit(port: int, pki: Path) -> Any:
    """One signalisation deposited by OPE001 through HAProxy, as an operator's information system would."""
    import requests
    import zeep
    from lxml import etree

    from gateway.catalogue import default_catalogue_root

    session = requests.Session()
    session.trust_env = False
    session.verify = str(pki / "ca.pem")
    session.cert = (str(pki / "OPE001.pem"), str(pki / "OPE001.key"))
    client = zeep.Client(
        f"https://localhost:{port}/esav/v2/signalisation?wsdl",
        transport=zeep.Transport(session=session, timeout=30, operation_timeout=30),
    )
    form = etree.parse(str(default_catalogue_root() / "forms" / "SIG_CUIVRE" / "1.0.example.xml")).getroot()
    return client.service.deposerSignalisation(
        identifiantPrestation="0140000001",
        codeOffre="CUIVRE_DEGROUPAGE",
        gravite="MAJEURE",
        formulaire={"code": "SIG_CUIVRE", "version": "1.0", "_value_1": form},
    )


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@grappe.command("demo", cls=EsavCommand)
@click.option(
    "--dossier",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier de la grappe (bases, nœuds, HAProxy). Défaut : un dossier temporaire neuf.",
)
@click.option(
    "--noeuds", "nodes", type=click.IntRange(1, 8), default=2, show_default=True, help="Nombre de nœuds passerelle."
)
@click.option("--sans-secours", "no_standby", is_flag=True, help="Sans serveur PostgreSQL de secours (standby).")
@esav_errors
def cluster_demo(dossier: Path | None, nodes: int, no_standby: bool) -> None:
    """Démarrer une grappe de démonstration : base primaire et secours synchrone, nœuds, HAProxy."""
    from gateway.adapters.haproxy_server import HaproxyUnavailable
    from gateway.adapters.local_cluster import LocalCluster
    from gateway.adapters.postgres_server import PostgresUnavailable

    root = dossier or Path(tempfile.mkdtemp(prefix="esav-grappe-"))
    if dossier is not None and any(dossier.iterdir() if dossier.exists() else ()):
        raise click.ClickException(f"Le dossier {dossier} n'est pas vide : donnez un dossier neuf (--dossier).")
    echo(f"Grappe dans {root} : PostgreSQL, données de démonstration, {nodes} nœud(s), HAProxy…")
    cluster = LocalCluster(root, nodes=nodes, standby=not no_standby)
    # SIGTERM, like Ctrl-C, stops whatever was started, at any point (never servers left behind).
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster.__enter__()  # stops what it started if interrupted
    except KeyboardInterrupt:
        echo("Grappe arrêtée.")
        return
    except (PostgresUnavailable, HaproxyUnavailable) as error:
        raise click.ClickException(str(error)) from None
    except RuntimeError as error:
        raise click.ClickException(f"La grappe n'a pas démarré : {error}") from None
    except subprocess.CalledProcessError as error:
        raise click.ClickException(f"La grappe n'a pas démarré : {error.cmd[-1]} … : {error.stderr}") from None
    try:
        assert cluster.balancer is not None and cluster.primary is not None
        lb = cluster.balancer
        echo("Grappe e-SAV démarrée.")
        echo(f"  Web services (HAProxy) : https://localhost:{lb.ws_port}/esav/v2/signalisation")
        echo(f"  Portail (HAProxy)      : https://localhost:{lb.web_port}/")
        for node in cluster.nodes:
            echo(
                f"  {node.name} : web services {node.ws_port}, portail {node.web_port}, "
                f"exploitation http://127.0.0.1:{node.ops_port}/health/ready (journal {node.log})"
            )
        echo(f"  Base primaire : port {cluster.primary.port}")
        if cluster.standby is not None:
            echo(f"  Base de secours (synchrone) : port {cluster.standby.port}")
        echo(f"  URL des nœuds : {cluster.store_url}")
        echo(f"  CA : {cluster.pki / 'ca.pem'} ; OPE001 : {cluster.pki / 'OPE001.pem'} / {cluster.pki / 'OPE001.key'}")
        try:
            answer = _first_deposit(lb.ws_port, cluster.pki)
            echo(f"Dépôt par HAProxy (zeep, OPE001) : {answer.referenceSignalisation} {answer.etat}")
        except Exception as error:  # the cluster still runs: say what the client met
            echo(f"Le dépôt par HAProxy a échoué : {type(error).__name__} : {error}", err=True)
        leaders = [node.name for node in cluster.nodes if node.leading()]
        echo(f"Travaux de fond (balayages, notifications, rappels) : {', '.join(leaders) or 'aucun nœud encore'}")
        echo("Ctrl-C pour tout arrêter.")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    except KeyboardInterrupt:  # during the first deposit
        pass
    finally:
        cluster.stop()
        echo("Grappe arrêtée.")
