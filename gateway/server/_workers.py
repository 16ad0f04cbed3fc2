"""Several server processes on one port: one listening socket made by the parent and shared by the
workers, who accept from it in turn so that connections spread evenly (``_balance``); one store,
whose writers the store itself keeps apart.

The parent process prepares the data (migrations, demo), then starts and supervises the workers:
it forwards SIGTERM/SIGINT, and restarts a worker that dies unexpectedly (at most a few times a
minute, so a worker that cannot start does not spin). Connections that arrive while a worker
restarts wait in the socket's queue for the others. A worker whose parent is gone (killed with
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

from ._balance import ConnectionTable, WorkerSlot

__all__ = [
    "listening_socket",
    "pin_worker",
    "stop_when_orphaned",
    "supervise_workers",
    "worker_count",
    "worker_listener",
]

log = logging.getLogger("gateway.server")

MAX_RESTARTS_PER_MINUTE = 5
#: Seconds between two looks of a worker for its parent.
ORPHAN_CHECK_S = 1.0


def worker_count(configured: int) -> int:
    """``0`` means one worker per core."""
    return configured if configured > 0 else max(1, os.cpu_count() or 1)


def pin_worker(index: int) -> int | None:
    """In a worker, before it starts any thread: keep this process to one of the cores it may use (worker
    ``index`` on the ``index``-th, counting round them again), and return that core; None, and nothing
    changed, when it may use one core only, or the system cannot pin it (not Linux, or refused: logged,
    and the worker serves all the same). The threads it starts later keep to the same core."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    try:
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) < 2:
            return None
        core = cores[index % len(cores)]
        os.sched_setaffinity(0, {core})
    except OSError as error:
        log.warning("worker %d: not kept to one core (%s); the system places it", index, error)
        return None
    return core


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


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """The workers' listening TCP socket (port 0: chosen by the OS), inheritable by them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except BaseException:
        sock.close()
        raise
    sock.setblocking(False)
    sock.set_inheritable(True)
    return sock


def worker_listener(fds: str, index: int) -> tuple[socket.socket, WorkerSlot]:
    """In a worker: the listening socket and the connection table its parent handed down
    (``--worker-fds LISTENING,TABLE``), and this worker's slot in the table."""
    listening_fd, table_fd = (int(fd) for fd in fds.split(","))
    listening = socket.socket(fileno=listening_fd)
    listening.setblocking(False)
    return listening, WorkerSlot(ConnectionTable(table_fd), index)


def supervise_workers(
    worker_argv: Sequence[str],
    count: int,
    listening: socket.socket,
    announce: Callable[[int], None] | None = None,
) -> int:
    """Run ``count`` workers (``worker_argv`` + ``--port P --worker-index i --worker-fds L,T``) on
    ``listening`` (made by ``listening_socket``) until told to stop.

    ``announce(port)`` is called once, before the workers start.
    """
    port = listening.getsockname()[1]
    table = ConnectionTable.create(count)
    if announce is not None:
        announce(port)
    stopping = False
    restarts: list[float] = []
    fds = (listening.fileno(), table.fd)

    def spawn(index: int) -> subprocess.Popen[bytes]:
        table.clear(index)  # a restarted worker's connections died with its predecessor
        argv = [*worker_argv, "--port", str(port), "--worker-index", str(index), "--worker-fds", f"{fds[0]},{fds[1]}"]
        return subprocess.Popen([sys.executable, "-m", "gateway", *argv], pass_fds=fds)

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
        listening.close()
