"""Several server processes on one port: one ``SO_REUSEPORT`` listening socket each (the kernel
spreads connections evenly between them; one shared pre-bound socket splits them unevenly, see
docs/decisions.md), one SQLite database with writers serialised by the store's file lock.

The parent process prepares the data (migrations, demo), then starts and supervises the workers:
it forwards SIGTERM/SIGINT, and restarts a worker that dies unexpectedly (at most a few times a
minute, so a worker that cannot start does not spin). A worker whose parent is gone (killed with
SIGKILL, or by the OOM killer) stops within a second: nobody would stop or restart it any more.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from twisted.internet.task import LoopingCall

__all__ = ["reuse_port_socket", "stop_when_orphaned", "supervise_workers", "worker_count"]

log = logging.getLogger("gateway.server")

MAX_RESTARTS_PER_MINUTE = 5
#: Seconds between two looks of a worker for its parent.
ORPHAN_CHECK_S = 1.0


def worker_count(configured: int) -> int:
    """``0`` means one worker per core."""
    return configured if configured > 0 else max(1, os.cpu_count() or 1)


def stop_when_orphaned(reactor: Any, interval_s: float = ORPHAN_CHECK_S) -> LoopingCall:
    """In a worker: stop the reactor once the parent that started it is gone (the worker is then
    re-parented, and ``getppid`` changes)."""
    parent = os.getppid()

    def look() -> None:
        if os.getppid() != parent:
            log.warning("worker %d: its parent (pid %d) is gone; stopping", os.getpid(), parent)
            check.stop()
            reactor.stop()

    check = LoopingCall(look)
    check.clock = reactor
    check.start(interval_s, now=False)
    return check


def reuse_port_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket that other processes may bind to the same address and port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.setblocking(False)
    return sock


def _reserve_port(host: str, port: int) -> tuple[socket.socket, int]:
    """Hold the port (bound, not listening, so it receives no connection) and learn its number."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    holder.bind((host, port))
    return holder, holder.getsockname()[1]


def supervise_workers(
    worker_argv: Sequence[str], count: int, host: str, port: int, announce: Callable[[int], None] | None = None
) -> int:
    """Run ``count`` workers (``worker_argv`` + ``--port P --worker-index i``) until told to stop.

    ``announce(port)`` is called once the port is known (port 0 lets the OS choose it).
    """
    holder, port = _reserve_port(host, port)
    if announce is not None:
        announce(port)
    stopping = False
    restarts: list[float] = []

    def spawn(index: int) -> subprocess.Popen[bytes]:
        argv = [*worker_argv, "--port", str(port), "--worker-index", str(index)]
        return subprocess.Popen([sys.executable, "-m", "gateway", *argv])

    workers = {index: spawn(index) for index in range(count)}
    log.info("%d workers on port %d: pids %s", count, port, ", ".join(str(p.pid) for p in workers.values()))

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for process in workers.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while True:
            if stopping:
                for process in workers.values():
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                return 0
            for index, process in list(workers.items()):
                code = process.poll()
                if code is None or stopping:
                    continue
                now = time.monotonic()
                restarts[:] = [t for t in restarts if now - t < 60] + [now]
                if len(restarts) > MAX_RESTARTS_PER_MINUTE:
                    log.error("worker %d exited with %s; too many restarts, stopping", index, code)
                    stop(signal.SIGTERM, None)
                    break
                log.warning("worker %d exited with %s; restarting it", index, code)
                workers[index] = spawn(index)
            time.sleep(0.2)
    finally:
        holder.close()
