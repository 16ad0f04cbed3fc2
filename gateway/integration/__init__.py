"""The integration platform (contract §10): scenario robot, call journal, validation campaign, attestation.

The same gateway started with its own configuration, database, port and CA; see
``integration_platform/README.md``.
"""

from ._attestation import (
    Attestation,
    AttestationError,
    ensure_platform_key,
    load_public_key,
    sign_attestation,
    verify_attestation,
)
from ._campaign import (
    DOMAIN_SERVICES,
    REQUIRED_CALLS,
    CampaignProgress,
    DomainProgress,
    IntegrationPlatform,
    OperationProgress,
)
from ._journal import CallJournal
from ._paths import DEFAULT_ROBOT_FILE, RobotPath, RobotPaths, RobotStep, load_robot_paths
from ._platform import PlatformNetwork, RunningPlatform, build_sandbox, open_platform_gateway, start_platform
from ._robot import ROBOT_AUTHOR, ScenarioRobot

__all__ = [
    "DEFAULT_ROBOT_FILE",
    "DOMAIN_SERVICES",
    "REQUIRED_CALLS",
    "ROBOT_AUTHOR",
    "Attestation",
    "AttestationError",
    "CallJournal",
    "CampaignProgress",
    "DomainProgress",
    "IntegrationPlatform",
    "OperationProgress",
    "PlatformNetwork",
    "RobotPath",
    "RobotPaths",
    "RobotStep",
    "RunningPlatform",
    "ScenarioRobot",
    "build_sandbox",
    "ensure_platform_key",
    "load_public_key",
    "load_robot_paths",
    "open_platform_gateway",
    "sign_attestation",
    "start_platform",
    "verify_attestation",
]
