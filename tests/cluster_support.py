"""A cluster on loopback for the tests: gateway nodes (``esav servir`` processes, each with its own
folder and ports) on one PostgreSQL database, behind a throwaway HAProxy (``deploy/haproxy.cfg``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import zeep
from support import REPO

from gateway.adapters.haproxy_server import HaproxyServer, LoadBalancedNode
from gateway.adapters.postgres_server import free_port

START_TIMEOUT_S = 60.0
#: Seconds between two leadership attempts of a node that does not lead (fast, for the tests).
LEADER_RETRY_S = "0.2"


def node_env(**settings: str) -> dict[str, str]:
    """The environment without the ESAV_* settings of whoever runs the tests, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESAV_")}
    return {**env, **{f"ESAV_{key.upper()}": value for key, value in settings.items()}}


class Node:
    """One gateway "machine": an ``esav servir`` process with its folder and its three ports."""

    def __init__(self, name: str, demo: Path, root: Path, store_url: str, **settings: str) -> None:
        self.name = name
        self.data = root / name
        shutil.copytree(demo, self.data)
        self.store_url = store_url
        self.ws_port, self.web_port, self.ops_port = free_port(), free_port(), free_port()
        self.log = root / f"{name}.log"
        # No nightly maintenance window: the tests run at any hour.
        self.settings = {
            "proxy_protocol": "true",
            "leader_retry_s": LEADER_RETRY_S,
            "maintenance_minutes": "0",
            **settings,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def balanced(self) -> LoadBalancedNode:
        return LoadBalancedNode(self.name, self.ws_port, self.ops_port, self.web_port)

    def start(self, *, wait: bool = True) -> Node:
        argv = [sys.executable, "-m", "gateway", "servir", "--donnees", str(self.data), "--base", self.store_url]
        argv += ["--port", str(self.ws_port), "--port-web", str(self.web_port)]
        env = node_env(metrics_port=str(self.ops_port), **self.settings)
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self) -> None:
        """Return once ``/health/ready`` answers 200; fail if the process dies or never gets there."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                pytest.fail(f"node {self.name} exited:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                if requests.get(f"http://127.0.0.1:{self.ops_port}/health/ready", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        pytest.fail(f"node {self.name} not ready within {START_TIMEOUT_S} s:\n{self.log.read_text()[-3000:]}")

    def ready(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.ops_port}/health/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def leading(self) -> bool:
        """True when the node's log says it took the leadership last (and did not lose it since)."""
        text = self.log.read_text(errors="replace")
        return text.rfind("leadership taken") > text.rfind("leadership lost")

    def kill(self) -> None:
        """As a machine failure would: SIGKILL, no goodbye to the database nor to HAProxy."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
