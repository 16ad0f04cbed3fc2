"""Interrupting ``esav grappe demo`` while it starts its servers: every process started is stopped.

A SIGTERM that lands between a server's ``Popen`` and its being recorded used to leave that server
running (the cluster's stop did not know it)."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from gateway.adapters import local_cluster
from gateway.adapters._interrupts import deferred_interrupts
from gateway.adapters.local_cluster import LocalCluster


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


@pytest.fixture
def sigterm_interrupts():
    """SIGTERM raises KeyboardInterrupt, as in ``esav grappe demo``; the previous handler restored after."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    yield
    signal.signal(signal.SIGTERM, previous)


def test_an_interrupt_inside_the_block_is_delivered_on_the_way_out(sigterm_interrupts):
    """SIGTERM inside ``deferred_interrupts`` lets the block finish, then interrupts."""
    finished = False
    with pytest.raises(KeyboardInterrupt), deferred_interrupts():
        signal.raise_signal(signal.SIGTERM)
        finished = True
    assert finished
    assert signal.getsignal(signal.SIGTERM) is _interrupt


def test_an_ignored_signal_stays_ignored():
    """A signal the process ignores is neither caught nor delivered by the block."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with deferred_interrupts():
            signal.raise_signal(signal.SIGTERM)
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_sigterm_right_after_a_node_process_starts_still_stops_it(sigterm_interrupts, monkeypatch, tmp_path: Path):
    """SIGTERM landing as the node's process has just been created: the interrupt goes through, and the
    cluster's stop ends that process."""
    started: list[subprocess.Popen[bytes]] = []
    real_popen = subprocess.Popen

    def popen_then_sigterm(_argv: list[str], **options: object) -> subprocess.Popen[bytes]:
        process = real_popen(["sleep", "60"], **options)  # type: ignore[call-overload]
        started.append(process)
        signal.raise_signal(signal.SIGTERM)
        return process

    monkeypatch.setattr(local_cluster.subprocess, "Popen", popen_then_sigterm)
    cluster = LocalCluster(tmp_path)
    try:
        with pytest.raises(KeyboardInterrupt):
            cluster.add_node("node1", tmp_path / "node1", "postgresql://esav@127.0.0.1:1/esav")
        cluster.stop()
        assert started and started[0].poll() is not None, "the node's process was left running"
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
