"""`esav servir` refuses a port already in use with a message, not a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys

from support import REPO, esav_demo_copy
from test_durability import clean_env


def test_port_in_use_is_a_clear_error(tmp_path):
    """With the portal's port taken, serve exits 1 naming the ports and how to choose others."""
    esav_demo_copy(tmp_path / "d")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gateway", "servir", "--donnees", str(tmp_path / "d"),
             "--port", "0", "--port-web", str(busy)],
            cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"portail : port {busy}" in result.stderr and "--port-web" in result.stderr
    assert "Traceback" not in result.stderr
