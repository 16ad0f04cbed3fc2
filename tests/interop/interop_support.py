"""Helpers of the interoperability suite: running a client program and reading its JSON answer."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from client_builds import INTEROP
from support import CATALOGUE

FORM = CATALOGUE / "forms" / "SIG_CUIVRE" / "1.0.example.xml"
#: A client program has this long to answer one operation (a JVM start included).
CLIENT_TIMEOUT_S = 120
KEYSTORE_PASSWORD = "changeit"


def require_commands(*commands: str) -> None:
    """Skip, naming the first of ``commands`` that is not on the PATH."""
    for command in commands:
        if shutil.which(command) is None:
            pytest.skip(f"`{command}` not found (tests/interop/install-toolchains.sh installs it)")


def run_client(argv: Sequence[str], *, cwd: Path = INTEROP) -> dict[str, Any]:
    """Run one client program and return the JSON object it printed last."""
    completed = subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, timeout=CLIENT_TIMEOUT_S, check=False
    )
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    if completed.returncode != 0 or not lines:
        raise AssertionError(
            f"{argv[0]} exited {completed.returncode}\nstdout:\n{completed.stdout}\nstderr:\n{completed.stderr[-4000:]}"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result


@dataclass(frozen=True)
class JavaClient:
    """wsimport-generated classes for v1 and v2 (packages esav.v1, esav.v2) and the compiled Main."""

    classpath: str
    keystore: Path


@dataclass(frozen=True)
class MonoClient:
    """Program.cs compiled with the wsdl proxies of the frozen WSDLs, and of the served ones (compiled on
    first call); the PKCS#12."""

    frozen: Path
    served: Callable[[], Path]
    pkcs12: Path
