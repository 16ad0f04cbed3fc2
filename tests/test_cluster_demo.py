"""``esav grappe demo``: one command starts the cluster (primary and standby, two nodes, HAProxy), a zeep
client deposits through HAProxy, and SIGTERM stops everything."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cluster_support import node_env
from support import REPO


def _start_demo() -> subprocess.Popen[str]:
    """``esav grappe demo`` in a process of its own, its output as text lines."""
    return subprocess.Popen(
        [sys.executable, "-m", "gateway", "grappe", "demo"],
        cwd=REPO,
        env=node_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    """After a failed check too: SIGTERM, which stops the cluster's servers (a SIGKILL would leave them
    running), then SIGKILL if the command hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.mark.slow
def test_the_cluster_demo_deposits_through_haproxy_and_stops_cleanly():
    """The demo prints its addresses and a reference deposited through HAProxy, one node runs the
    background work, and SIGTERM stops the cluster with status 0."""
    process = _start_demo()
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        output = "".join(lines)
        assert re.search(r"Dépôt par HAProxy \(zeep, OPE001\) : SIG\d{8} EN_DEPOT", output), output
        assert re.search(r"Travaux de fond \(balayages, notifications, rappels\) : node[12]\n", output), output
        assert "Base de secours (synchrone)" in output
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
        assert process.returncode == 0, rest
        assert rest.strip().endswith("Grappe arrêtée.")
    finally:
        _stop(process)
        found = re.search(r"Grappe dans (\S+) :", "".join(lines))
        if found:
            shutil.rmtree(found.group(1), ignore_errors=True)


def test_a_folder_already_in_use_is_refused(tmp_path):
    """``--dossier`` naming a folder that holds something is refused with a clear message, nothing started."""
    from click.testing import CliRunner

    from gateway.cli._main import cli

    (tmp_path / "autre.txt").write_text("déjà là")
    result = CliRunner().invoke(cli, ["grappe", "demo", "--dossier", str(tmp_path)], prog_name="esav")
    assert result.exit_code == 1
    assert f"Le dossier {tmp_path} n'est pas vide" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow
def test_sigterm_while_the_cluster_starts_leaves_no_server_behind():
    """SIGTERM once the nodes are starting: the command stops what it started (nodes, databases) and
    exits; no process of the cluster's folder is left."""
    process = _start_demo()
    root = None
    try:
        assert process.stdout is not None
        found = re.search(r"Grappe dans (\S+) :", process.stdout.readline())
        assert found, "no folder announced"
        root = found.group(1)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (Path(root) / "node1.log").exists():
            time.sleep(0.05)
        assert (Path(root) / "node1.log").exists()
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=60)
        assert "Grappe arrêtée." in rest
        assert "Traceback" not in rest
        left = subprocess.run(["pgrep", "-f", root], capture_output=True, text=True).stdout.split()
        assert left == [], f"processes left behind: {left}"
    finally:
        _stop(process)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
