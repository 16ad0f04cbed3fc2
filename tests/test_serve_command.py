"""`esav servir` refuses a port already in use with a message, not a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys

from support import REPO, clean_env, esav_demo_copy


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


def test_serving_loads_none_of_the_tools_libraries(tmp_path):
    """``esav servir``, once listening (web services and portal), has not imported what only the catalogue's
    tools, the invoices or the notifications use (xmlschema, reportlab, zeep): each costs every start."""
    esav_demo_copy(tmp_path / "d")
    code = (
        "import sys\n"
        "from twisted.internet import reactor\n"
        "reactor.run = lambda *a, **k: None  # listening is enough: return instead of serving\n"
        "from gateway.cli import main\n"
        "assert main(sys.argv[1:]) == 0\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "servir", "--donnees", str(tmp_path / "d"), "--port", "0", "--port-web", "0"],
        cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split("\n")[-2].split())
    assert {"gateway", "spyne", "twisted"} <= loaded
    assert loaded & {"xmlschema", "elementpath", "reportlab", "PIL", "zeep"} == set()
