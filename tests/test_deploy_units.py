"""The deployment files of ``deploy/``: systemd accepts the service units, their sandbox is tight, the
commands they run exist, and the example settings load."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

from gateway.cli import main
from gateway.config import load_settings

UNITS = ("esav-gateway.service", "esav-integration.service")
#: Where the units expect the gateway installed (docs/deployment.md).
INSTALLED_ESAV = "/opt/esav/bin/esav"
#: Options every unit must set: a dedicated user, its state directory and the sandbox.
REQUIRED = (
    "User=esav", "StateDirectory=", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
    "PrivateTmp=yes", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "CapabilityBoundingSet=",
)  # fmt: skip


def _systemd_analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze missing (Debian package systemd; tests/interop/install-toolchains.sh installs it)")
    return tool


def _exec_start(unit: str) -> list[str]:
    (line,) = re.findall(r"^ExecStart=(.+)$", (REPO / "deploy" / unit).read_text(), flags=re.M)
    return shlex.split(line)


@pytest.fixture
def units(tmp_path: Path) -> list[Path]:
    """The units, their ExecStart pointed at this environment's ``esav`` (verify checks it is executable)."""
    esav = Path(sys.executable).with_name("esav")
    copies = []
    for unit in UNITS:
        copy = tmp_path / unit
        copy.write_text((REPO / "deploy" / unit).read_text().replace(INSTALLED_ESAV, str(esav)))
        copies.append(copy)
    return copies


def test_systemd_verifies_the_units_without_a_remark(units: list[Path]) -> None:
    """``systemd-analyze verify`` accepts both units and says nothing (an unknown or bad option is a remark)."""
    result = subprocess.run(
        [_systemd_analyze(), "verify", "--man=no", *map(str, units)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


def test_units_run_as_a_dedicated_user_in_a_sandbox(units: list[Path]) -> None:
    """Each unit sets the user, state directory and sandbox options, and systemd rates its exposure low."""
    tool = _systemd_analyze()
    for unit in units:
        text = unit.read_text()
        assert [option for option in REQUIRED if not re.search(rf"^{re.escape(option)}", text, flags=re.M)] == []
        result = subprocess.run(
            [tool, "security", "--offline=yes", "--no-pager", str(unit)], capture_output=True, text=True, timeout=60
        )
        exposure = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout + result.stderr)
        assert exposure is not None, result.stdout + result.stderr
        assert float(exposure.group(1)) <= 2.0, result.stdout


@pytest.mark.parametrize("unit", UNITS)
def test_the_units_commands_exist(unit: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The command each unit starts is an ``esav`` command taking those options."""
    argv = _exec_start(unit)
    assert argv[0] == INSTALLED_ESAV
    assert main([*argv[1:], "--help"]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("settings_file", ["esav.ini", "integration.ini"])
def test_example_settings_load(settings_file: str) -> None:
    """The example settings of ``deploy/`` are valid settings (every key known, every value in range)."""
    settings = load_settings(REPO / "deploy" / settings_file, environ={})
    assert str(settings.data_dir).startswith("/var/lib/esav")
