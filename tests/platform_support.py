"""Starting an integration platform (and a production gateway beside it) in tests."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from support import CATALOGUE, DEFAULT_NOW, SessionPki, gateway_settings, in_reactor, reactor, soap_client

from gateway.config import Settings
from gateway.domain.clock import FixedClock
from gateway.integration import RunningPlatform, build_sandbox, load_robot_paths, open_platform_gateway, start_platform
from gateway.server import PkiFiles


@dataclass
class LivePlatform:
    """An integration platform on loopback: same shape as ``support.LiveGateway`` plus robot and journal."""

    running: RunningPlatform
    clock: FixedClock
    data_dir: Path
    pki: SessionPki

    @property
    def gateway(self) -> Any:
        return self.running.gateway

    @property
    def port(self) -> int:
        return self.running.running.port_number

    @property
    def base_url(self) -> str:
        return f"https://localhost:{self.port}"

    def cert_files(self, operator: str) -> tuple[str, str]:
        return str(self.pki.directory / f"{operator}.pem"), str(self.pki.directory / f"{operator}.key")

    def client(self, operator: str = "OPE001", service: str = "signalisation", version: str = "v2") -> Any:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(self.pki.directory / "ca.pem")
        session.cert = self.cert_files(operator)
        return soap_client(session, f"{self.base_url}/esav/{version}/{service}")

    def flush(self) -> None:
        in_reactor(self.running.journal.flush)

    def stop(self) -> None:
        in_reactor(self.running.stop)
        self.gateway.close()


_sandbox_templates: dict[tuple[Path, datetime], Path] = {}


def sandbox_template(session_pki: SessionPki, now: datetime) -> Path:
    """A platform data folder with the session PKI and the sandbox built at ``now``, made once per session."""
    key = (session_pki.directory, now)
    if key not in _sandbox_templates:
        _sandbox_templates[key] = _build_sandbox(session_pki, now)
    return _sandbox_templates[key]


def _build_sandbox(session_pki: SessionPki, now: datetime, store_url: str = "") -> Path:
    """A new folder with the session PKI and the sandbox built at ``now`` (in ``store_url`` when given)."""
    folder = Path(tempfile.mkdtemp(prefix="esav-sandbox-", dir=session_pki.directory.parent))
    shutil.copytree(session_pki.directory, folder / "pki")
    settings = Settings(data_dir=folder, catalogue_dir=CATALOGUE, store_url=store_url)
    paths = load_robot_paths()
    gateway = open_platform_gateway(settings, paths, FixedClock(now))
    try:
        build_sandbox(gateway, folder / "pki", paths)
    finally:
        gateway.close()
    return folder


def postgres_sandbox(session_pki: SessionPki, now: datetime) -> str:
    """A new PostgreSQL database holding the platform's sandbox built at ``now`` (copied from one built once)."""
    from pg_support import fresh_database, template_database

    return fresh_database(
        template_database(f"sandbox|{session_pki.directory}|{now}", lambda url: _build_sandbox(session_pki, now, url))
    )


def start_platform_for_test(
    data_dir: Path,
    session_pki: SessionPki,
    *,
    robot_step_s: float = 3600.0,
    now: datetime = DEFAULT_NOW,
    backend: str = "sqlite",
) -> LivePlatform:
    """A platform with the sandbox data; ``robot_step_s`` large means tests drive ``robot.step()`` themselves.

    ``backend="postgresql"``: the sandbox in a PostgreSQL database of its own."""
    pki_dir = data_dir / "pki"
    shutil.copytree(sandbox_template(session_pki, now), data_dir, dirs_exist_ok=True)
    clock = FixedClock(now)
    settings = gateway_settings(
        data_dir,
        robot_step_s=robot_step_s,
        line_test_delay_s=0,
        line_test_poll_s=0.1,
        store_url=postgres_sandbox(session_pki, now) if backend == "postgresql" else "",
    )
    paths = load_robot_paths()
    gateway = open_platform_gateway(settings, paths, clock)
    running = in_reactor(start_platform, gateway, settings, PkiFiles.in_dir(pki_dir), reactor, paths)
    return LivePlatform(running, clock, data_dir, session_pki)
