"""A whole cluster on this machine, for the demo (``esav grappe demo``): a PostgreSQL primary and its
synchronous standby, the demo data, gateway nodes (``esav servir`` processes, each with its own folder
and ports) and HAProxy in front of them, all on loopback. Nothing here runs in production, where each
part is a machine of its own (docs/deployment.md, "Several nodes").
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ._interrupts import deferred_interrupts
from .haproxy_server import HaproxyServer, LoadBalancedNode
from .ports import free_port
from .postgres_server import PostgresServer

__all__ = ["ClusterNode", "LocalCluster"]

START_TIMEOUT_S = 90.0


def _esav(*args: str) -> list[str]:
    return [sys.executable, "-m", "gateway", *args]


def _environment(**settings: str) -> dict[str, str]:
    """This process's environment without its ESAV_* settings but the clock's shift, which every node
    shares, plus ``settings`` as ESAV_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESAV_") or k == "ESAV_CLOCK_OFFSET_S"}
    return {**env, **{f"ESAV_{key.upper()}": value for key, value in settings.items()}}


@dataclass
class ClusterNode:
    """One gateway "machine": an ``esav servir`` process with its own folder and its three ports."""

    name: str
    data: Path
    store_url: str
    settings: dict[str, str] = field(default_factory=dict)
    ws_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    ops_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    @property
    def balanced(self) -> LoadBalancedNode:
        return LoadBalancedNode(self.name, self.ws_port, self.ops_port, self.web_port)

    def start(self) -> ClusterNode:
        argv = _esav("servir", "--donnees", str(self.data), "--base", self.store_url)
        argv += ["--port", str(self.ws_port), "--port-web", str(self.web_port)]
        env = _environment(metrics_port=str(self.ops_port), proxy_protocol="true", **self.settings)
        with deferred_interrupts(), open(self.log, "ab") as out:
            self.process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def ready(self) -> bool:
        url = f"http://127.0.0.1:{self.ops_port}/health/ready"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
        return False

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(
                    f"le nœud {self.name} s'est arrêté :\n{self.log.read_text(errors='replace')[-3000:]}"
                )
            if self.ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"le nœud {self.name} n'est pas prêt après {START_TIMEOUT_S:g} s (journal : {self.log})")

    def leading(self) -> bool:
        """True when the node says it runs the background work (``esav_leader 1`` on its operations port)."""
        url = f"http://127.0.0.1:{self.ops_port}/metrics"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5) as answer:
            return any(line.strip() == b"esav_leader 1.0" for line in answer)
        return False

    def kill(self) -> None:
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


class LocalCluster:
    """Primary, synchronous standby, ``nodes`` gateway nodes with the demo data, HAProxy; in ``root``."""

    def __init__(self, root: Path, *, nodes: int = 2, standby: bool = True) -> None:
        self.root = Path(root)
        self.node_count = nodes
        self.with_standby = standby
        self.primary: PostgresServer | None = None
        self.standby: PostgresServer | None = None
        self.nodes: list[ClusterNode] = []
        self.balancer: HaproxyServer | None = None
        self.demo = self.root / "demo"

    @property
    def store_url(self) -> str:
        """The nodes' multi-host URL: whichever server accepts writes (``target_session_attrs=read-write``)."""
        assert self.primary is not None
        hosts = [f"127.0.0.1:{server.port}" for server in (self.primary, self.standby) if server is not None]
        options = "target_session_attrs=read-write&connect_timeout=2"
        options += "&keepalives_idle=5&keepalives_interval=2&keepalives_count=3&tcp_user_timeout=10000"
        return f"postgresql://esav@{','.join(hosts)}/esav?{options}"

    def start(self) -> LocalCluster:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)  # the database servers run as the ``postgres`` user when we are root
        # Each server is recorded before it starts, and starts with interrupts held back until it is
        # up: Ctrl-C or SIGTERM at any point, and stop() finds everything that runs.
        self.primary = PostgresServer(self.root / "primary").init()
        with deferred_interrupts():
            self.primary.start()
        # The demo is built on the primary while the standby is copied from it and started (the copy
        # streams what the demo writes meanwhile); every commit after ``wait_for_standby`` waits for it.
        demo_url = self.primary.create_database("esav")
        building: subprocess.Popen[str] | None = None
        try:
            with deferred_interrupts():
                building = subprocess.Popen(
                    _esav("demo", "--donnees", str(self.demo), "--base", demo_url),
                    env=_environment(),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            if self.with_standby:
                self.standby = PostgresServer.standby_of(self.primary, self.root / "standby")
                with deferred_interrupts():
                    self.standby.start()
                self.primary.wait_for_standby()
        except BaseException:
            if building is not None:
                building.kill()
                building.communicate()
            raise
        out, err = building.communicate()
        if building.returncode != 0:
            raise RuntimeError(f"esav demo : {err or out}")
        for index in range(1, self.node_count + 1):
            folder = self.root / f"node{index}"
            if not folder.exists():
                shutil.copytree(self.demo, folder)
            self.add_node(f"node{index}", folder, self.store_url)
        for node in self.nodes:
            node.wait_ready()
        self.balancer = HaproxyServer([node.balanced for node in self.nodes], self.root / "haproxy")
        self.balancer.start()
        return self

    def add_node(self, name: str, folder: Path, store_url: str) -> ClusterNode:
        """Start one gateway node on ``folder``; it is stopped with the cluster."""
        node = ClusterNode(name, folder, store_url)
        self.nodes.append(node)
        return node.start()

    @property
    def pki(self) -> Path:
        return self.demo / "pki"

    def stop(self) -> None:
        if self.balancer is not None:
            self.balancer.stop()
        for node in self.nodes:
            node.stop()
        for server in (self.standby, self.primary):
            if server is not None:
                server.stop()

    def __enter__(self) -> LocalCluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
