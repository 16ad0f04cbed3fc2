"""A throwaway HAProxy in front of gateway nodes on loopback: for tests, the cluster demo and the bench.

Its configuration is the shipped ``deploy/haproxy.cfg`` with each backend's ``server`` lines replaced
by the nodes given (same options as the file's first server line of that backend), and the
addresses the file reads from the environment set to free loopback ports. Debian's ``haproxy``
package provides the program. Nothing here is used by a production gateway (docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from gateway._resources import shipped_deploy

from ._interrupts import deferred_interrupts
from .ports import free_port

__all__ = ["HaproxyServer", "HaproxyUnavailable", "LoadBalancedNode", "haproxy_config"]

_SERVER = re.compile(r'^(\s*)server\s+(\S+)\s+"?\$\{ESAV_NODE\d+_HOST[^}]*\}:\$\{ESAV_NODE\d+_(\w+)_PORT[^}]*\}"?(.*)$')
_CHECK_PORT = re.compile(r'port\s+"?\$\{ESAV_NODE\d+_OPS_PORT[^}]*\}"?')


class HaproxyUnavailable(RuntimeError):
    """HAProxy is not installed on this machine."""


@dataclass(frozen=True)
class LoadBalancedNode:
    """A gateway node as HAProxy sees it: its web-services, portal and operations ports on ``host``."""

    name: str
    ws_port: int
    ops_port: int
    web_port: int | None = None
    host: str = "127.0.0.1"


def haproxy_config(template: str, nodes: list[LoadBalancedNode]) -> str:
    """``template`` with each backend's server lines replaced by one per node (the first line's options)."""
    out: list[str] = []
    emitted: set[str] = set()  # the backends whose servers are written
    for line in template.splitlines():
        found = _SERVER.match(line)
        if found is None:
            out.append(line)
            continue
        indent, _, kind, options = found.groups()
        if kind in emitted:
            continue
        emitted.add(kind)
        for node in nodes:
            port = node.ws_port if kind == "WS" else node.web_port
            if port is None:
                continue
            checked = _CHECK_PORT.sub(f"port {node.ops_port}", options)
            out.append(f"{indent}server {node.name} {node.host}:{port}{checked}")
    return "\n".join(out) + "\n"


def _haproxy() -> str:
    found = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)
    if found is None:
        raise HaproxyUnavailable("HAProxy n'est pas installé (paquet Debian haproxy : apt-get install haproxy)")
    return found


class HaproxyServer:
    """One HAProxy process in ``root`` (its configuration, socket and log), on free loopback ports."""

    def __init__(self, nodes: list[LoadBalancedNode], root: Path | None = None) -> None:
        self.program = _haproxy()
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="esav-haproxy-"))
        self.nodes = list(nodes)
        self.ws_port = free_port()
        self.web_port = free_port()
        self.config = self.root / "haproxy.cfg"
        self.log = self.root / "haproxy.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _environment(self) -> dict[str, str]:
        return {
            **os.environ,
            "ESAV_LB_RUN": str(self.root),
            "ESAV_LB_HOST": "127.0.0.1",
            "ESAV_LB_MAXCONN": "2000",  # within the descriptors a test process may open
            "ESAV_LB_WS_PORT": str(self.ws_port),
            "ESAV_LB_WEB_PORT": str(self.web_port),
        }

    def start(self) -> HaproxyServer:
        self.root.mkdir(parents=True, exist_ok=True)
        template = (shipped_deploy() / "haproxy.cfg").read_text(encoding="utf-8")
        self.config.write_text(haproxy_config(template, self.nodes), encoding="utf-8")
        with deferred_interrupts(), open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [self.program, "-f", str(self.config)], env=self._environment(), stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"HAProxy n'a pas démarré : {self.log.read_text(errors='replace')[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.ws_port), timeout=1):
                return self
            time.sleep(0.05)
        raise RuntimeError(f"HAProxy n'écoute pas sur le port {self.ws_port} : {self.log.read_text()[-2000:]}")

    def command(self, line: str) -> str:
        """One runtime-API command (``show stat``, ``disable server esav_ws/node1``): its answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(str(self.root / "haproxy.sock"))
            sock.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode(errors="replace")

    def status(self, backend: str = "esav_ws") -> dict[str, str]:
        """Each server of ``backend`` and its state as HAProxy sees it (``UP``, ``DOWN``, ``MAINT``...)."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        states = {}
        for line in lines[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND"):
                states[row["svname"]] = row["status"]
        return states

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> HaproxyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)
