"""The integration platform instance: its sandbox data, its simulator, and starting it all.

The same gateway as production (same WSDLs, versions, catalogue), plus the scenario robot, the
call journal, the ``integration`` service and the attestation key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.adapters import NetworkSimulator, TestOutcome, simulated_outcome
from gateway.config import Settings
from gateway.demo import DemoInfo, build_demo
from gateway.domain.clock import Clock
from gateway.server import PkiFiles, RunningGateway, start
from gateway.services import Gateway
from gateway.ws.v2 import integration as ws_integration

from ._attestation import ensure_platform_key
from ._campaign import IntegrationPlatform
from ._journal import CallJournal
from ._paths import DEFAULT_ROBOT_FILE, RobotPaths, load_robot_paths
from ._robot import ScenarioRobot

__all__ = ["PlatformNetwork", "RunningPlatform", "build_sandbox", "open_platform_gateway", "start_platform"]

log = logging.getLogger("gateway.integration")

#: Who the sandbox's set-up is recorded as in the audit.
SANDBOX_AUTHOR = "plate-forme d'intégration"


@dataclass
class PlatformNetwork(NetworkSimulator):
    """The simulator, except that a sandbox prestation of a test path always gives that path's outcome."""

    forced: dict[str, tuple[str, str]] = field(default_factory=dict)  # prestation → (status, diagnostic)

    def result(self, handle: str, now: datetime) -> TestOutcome | None:
        outcome = super().result(handle, now)
        if outcome is None:
            return None
        _, _, _, _, test_type, prestation = handle.split("|", 5)
        if prestation not in self.forced:
            return outcome
        status, diagnostic = self.forced[prestation]
        simulated = simulated_outcome(prestation, test_type)
        measurements = simulated.measurements if simulated.diagnostic == diagnostic else ()
        return TestOutcome(status, diagnostic, measurements)


def platform_network(paths: RobotPaths, delay_s: float) -> PlatformNetwork:
    forced = {p: path.test_outcome for path in paths.paths if path.test_outcome for p in path.prestations.values()}
    return PlatformNetwork(delay_s=delay_s, forced=forced)


def open_platform_gateway(settings: Settings, paths: RobotPaths, clock: Clock | None = None) -> Gateway:
    return Gateway.from_settings(settings, clock=clock, network=platform_network(paths, settings.line_test_delay_s))


def build_sandbox(gateway: Gateway, pki_dir: Path, paths: RobotPaths) -> DemoInfo:
    """The demo's operators and prestations, every domain open, one sandbox prestation per path and operator."""
    info = build_demo(gateway, pki_dir)
    # On the platform every subscriber may call every domain: it is where it gets validated.
    gateway.integration.open_every_domain(author=SANDBOX_AUTHOR)
    known = {operator.code for operator in gateway.admin.list_operators()}
    header = (
        "identifiantPrestation;operateur;codeOffre;gtr;extremiteA;extremiteB;codeCommune;informationsComplementaires"
    )
    rows = [
        f"{prestation};{operator};{path.code_offre};{path.gtr};Bac à sable {operator};"
        f"Chemin {path.name};{path.code_commune};Prestation de bac à sable : {path.description}"
        for path in paths.paths
        for operator, prestation in sorted(path.prestations.items())
        if operator in known
    ]
    gateway.admin.import_prestations("prestations de bac à sable", "\n".join([header, *rows]) + "\n")
    ensure_platform_key(pki_dir)
    return info


@dataclass
class RunningPlatform:
    """The platform listening: the gateway, its robot, its journal and the platform's use cases."""

    running: RunningGateway
    robot: ScenarioRobot
    journal: CallJournal
    platform: IntegrationPlatform
    paths: RobotPaths
    public_key: Path

    @property
    def gateway(self) -> Gateway:
        return self.running.gateway

    def stop(self) -> Any:
        self.robot.stop()
        self.journal.flush()
        return self.running.stop()


def start_platform(
    gateway: Gateway,
    settings: Settings,
    pki: PkiFiles,
    reactor: Any,
    paths: RobotPaths | None = None,
    observers: tuple[Any, ...] = (),
) -> RunningPlatform:
    """Listen like ``gateway.server.start`` with the journal, the ``integration`` service and the robot."""
    paths = paths or load_robot_paths(DEFAULT_ROBOT_FILE)
    key, public_key = ensure_platform_key(pki.ca.parent)
    journal = CallJournal(gateway, reactor)
    platform = IntegrationPlatform(gateway, journal, key)
    running = start(
        gateway,
        settings,
        pki,
        reactor,
        (journal, *observers),
        extra_endpoints={("v2", "integration"): ws_integration.endpoint(platform)},
    )
    robot = ScenarioRobot(gateway, paths)
    robot.start(reactor, settings.robot_step_s)
    return RunningPlatform(running, robot, journal, platform, paths, public_key)
