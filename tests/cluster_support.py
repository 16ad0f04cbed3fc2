"""A cluster on loopback for the tests: gateway nodes (``esav servir`` processes, each with its own
folder and ports) on one PostgreSQL database, behind a throwaway HAProxy (``deploy/haproxy.cfg``)."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import zeep

from gateway.adapters.haproxy_server import HaproxyServer
from gateway.adapters.local_cluster import ClusterNode

#: Seconds between two leadership attempts of a node that does not lead (fast, for the tests).
LEADER_RETRY_S = "0.2"


def node_env(**settings: str) -> dict[str, str]:
    """The suite's environment (conftest's ``pytest_configure`` keeps no ESAV_* setting of whoever runs the
    tests), plus ``settings``."""
    return {**os.environ, **{f"ESAV_{key.upper()}": value for key, value in settings.items()}}


class Node(ClusterNode):
    """One gateway "machine" of the tests: a copy of the demo folder, fast leadership retries, no nightly
    maintenance window (the tests run at any hour)."""

    def __init__(self, name: str, demo: Path, root: Path, store_url: str, **settings: str) -> None:
        data = root / name
        shutil.copytree(demo, data)
        defaults = {"leader_retry_s": LEADER_RETRY_S, "maintenance_minutes": "0"}
        super().__init__(name, data, store_url, {**defaults, **settings})

    def start(self, *, wait: bool = True) -> Node:
        super().start()
        if wait:
            try:
                self.wait_ready()
            except RuntimeError as error:
                pytest.fail(str(error))
        return self


def start_together(nodes: list[Node]) -> None:
    """Start every node, then wait until each is ready (their start-ups overlap)."""
    for node in nodes:
        node.start(wait=False)
    for node in nodes:
        try:
            node.wait_ready()
        except RuntimeError as error:
            pytest.fail(str(error))


def stop_together(nodes: list[Node]) -> None:
    """Stop every node at once (each is given SIGTERM and waited for; their shutdowns overlap)."""
    with ThreadPoolExecutor(max_workers=max(1, len(nodes))) as pool:
        list(pool.map(lambda node: node.stop(), nodes))


def session_to(port: int, pki: Path, operator: str = "OPE001") -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(pki / "ca.pem")
    if operator:
        session.cert = (str(pki / f"{operator}.pem"), str(pki / f"{operator}.key"))
    return session


def soap_client(
    port: int, pki: Path, operator: str = "OPE001", *, service: str = "signalisation", timeout: float = 10
) -> zeep.Client:
    """A zeep client of a v2 service through ``port`` (HAProxy's)."""
    transport = zeep.Transport(session=session_to(port, pki, operator), timeout=timeout, operation_timeout=timeout)
    return zeep.Client(f"https://localhost:{port}/esav/v2/{service}?wsdl", transport=transport)


def start_balancer(nodes: list[Node], root: Path) -> HaproxyServer:
    return HaproxyServer([node.balanced for node in nodes], root / "haproxy").start()


def only(balancer: HaproxyServer, node: Node, nodes: list[Node], backend: str = "esav_ws") -> None:
    """New connections of ``backend`` go to ``node`` alone (HAProxy's runtime API, as a rolling upgrade does)."""
    balancer.command(f"enable server {backend}/{node.name}")
    for other in nodes:
        if other is not node:
            balancer.command(f"disable server {backend}/{other.name}")


def every_node(balancer: HaproxyServer, nodes: list[Node], backend: str = "esav_ws") -> None:
    for node in nodes:
        balancer.command(f"enable server {backend}/{node.name}")
