"""Server subprocesses under test: start on a free loopback port, watch CPU and memory, stop.

CPU and memory are read from ``/proc`` (Linux) for the process and all its descendants, so a
server that forks workers is measured whole.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from gateway.adapters.ports import free_port

__all__ = [
    "PYTHON",
    "REPO",
    "ServerProcess",
    "add_env_new",
    "checked_comparison",
    "demo_command",
    "free_port",
    "python_env",
    "start_server",
]

REPO = Path(__file__).resolve().parent.parent
_TICK = os.sysconf("SC_CLK_TCK")


def python_env(tree: Path = REPO) -> dict[str, str]:
    """The environment for child Pythons: ``bench`` and the ``gateway`` of ``tree`` (a checkout: this one
    unless another is measured against it) importable, unbuffered output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(tree), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("ESAV_WEB_PORT", "0")  # the portal is not measured: never a fixed port
    env.setdefault("ESAV_METRICS_PORT", "0")  # nor the operations port (/metrics, /health)
    env.setdefault("ESAV_MAINTENANCE_MINUTES", "0")  # a run at 04:00 Paris measures, it does not meet the window
    return env


def _descendants(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    todo.extend(int(c) for c in children.read().split())
        except OSError:
            continue
    return pids


def _status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime


class ServerProcess:
    """A server started with ``argv``, listening on ``port`` once ``wait_ready`` returns."""

    def __init__(
        self, name: str, argv: list[str], port: int, log_dir: Path, tree: Path = REPO, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.argv = argv
        self.port = port
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        # Output goes to a file, never a pipe nobody reads (a full pipe would stall the server).
        self.process = subprocess.Popen(
            argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**python_env(tree), **(env or {})},
            cwd=tree,
        )  # in ``tree``: the worker processes ``esav servir`` starts run that checkout's code too
        self._peak_rss_kb = 0
        self._sampling = False
        self._sampler: threading.Thread | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        """Return once the port accepts connections; raise with the server's log if it died."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} not listening on {self.port} after {timeout_s:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def pids(self) -> list[int]:
        return _descendants(self.pid)

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes (live ones) since they started."""
        return sum(_cpu_seconds(pid) for pid in self.pids())

    def rss_mb(self) -> float:
        return sum(_status_kb(pid, "VmRSS") for pid in self.pids()) / 1024

    def hwm_mb_per_process(self) -> list[float]:
        """Each process's peak resident set (VmHWM)."""
        return [_status_kb(pid, "VmHWM") / 1024 for pid in self.pids()]

    def peak_rss_mb(self) -> float:
        """The largest sum of the processes' resident sets seen by the sampler (and now)."""
        return max(self._peak_rss_kb / 1024, self.rss_mb())

    def start_sampling(self, interval_s: float = 0.1) -> None:
        self._sampling = True

        def sample() -> None:
            while self._sampling:
                self._peak_rss_kb = max(self._peak_rss_kb, int(self.rss_mb() * 1024))
                time.sleep(interval_s)

        self._sampler = threading.Thread(target=sample, name=f"rss-{self.name}", daemon=True)
        self._sampler.start()

    def stop(self) -> None:
        self._sampling = False
        if self._sampler is not None:
            self._sampler.join()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def start_server(
    name: str,
    argv_for_port: list[str],
    log_dir: Path,
    attempts: int = 3,
    tree: Path = REPO,
    env: dict[str, str] | None = None,
    ready_s: float = 60.0,
) -> ServerProcess:
    """Start ``argv_for_port`` (``{port}`` is replaced) on a free port, retrying if the port was taken; in
    ``tree``, with its ``gateway`` first on the path, and ``env`` added to its environment; ``ready_s``:
    how long it may take to listen."""
    last: Exception | None = None
    for _ in range(attempts):
        port = free_port()
        server = ServerProcess(name, [a.replace("{port}", str(port)) for a in argv_for_port], port, log_dir, tree, env)
        try:
            server.wait_ready(ready_s)
            return server
        except RuntimeError as error:
            last = error
            server.stop()
            if "Address already in use" not in str(error):
                break
    raise RuntimeError(str(last))


def demo_command(data: Path, workers: int | None = None) -> list[str]:
    """``esav servir --demo`` on ``data`` and the port ``start_server`` picks, with ``workers`` server
    processes (None: the command's default, one)."""
    command = [PYTHON, "-m", "gateway", "servir", "--demo", "--donnees", str(data), "--port", "{port}"]
    return command if workers is None else [*command, "--processus", str(workers)]


PYTHON = sys.executable


# Comparing two checkouts (``bench.trees``, ``bench.instructions``) ---------------------------------


def add_env_new(parser: argparse.ArgumentParser) -> None:
    """``--env-new NAME=VALUE``: what the new side adds to its server's environment (repeatable)."""
    parser.add_argument(
        "--env-new", action="append", default=[], metavar="NAME=VALUE", help="repeatable; the new side only"
    )


def checked_comparison(parser: argparse.ArgumentParser, env_new: list[str], *trees: Path) -> dict[str, str]:
    """The new side's environment from ``--env-new``, once every one of ``trees`` is known to be a checkout
    of the gateway (``parser.error`` naming the first that is not, or a malformed pair)."""
    environment = {}
    for pair in env_new:
        name, equals, value = pair.partition("=")
        if not equals or not name:
            parser.error(f"--env-new {pair!r}: expected NAME=VALUE")
        environment[name] = value
    for tree in trees:
        if not (tree / "gateway" / "__main__.py").is_file():
            parser.error(f"{tree}: not a checkout of the gateway (no gateway/__main__.py)")
    return environment
