"""A throwaway PostgreSQL server in a folder, on a free loopback port: for tests, benchmarks and demos.

Debian's ``postgresql`` package provides the programs (``initdb``, ``pg_ctl``); the server refuses to
run as root, so when we are root the cluster belongs to the ``postgres`` user and its programs run
as that user (``runuser``). Nothing here is used by a production gateway, which is given the URL of
a server its operations team runs (docs/deployment.md).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .ports import free_port

__all__ = ["PostgresServer", "PostgresUnavailable", "find_postgres_bin"]

SUPERUSER = "esav"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's server programs are not installed on this machine."""


def find_postgres_bin() -> Path:
    """The folder of ``initdb`` and ``pg_ctl`` (PATH first, then Debian's versioned folders)."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    raise PostgresUnavailable("PostgreSQL n'est pas installé (paquet Debian postgresql : apt-get install postgresql)")


class PostgresServer:
    """One PostgreSQL cluster in ``root``, started on a free port of 127.0.0.1, trust authentication."""

    def __init__(
        self, root: Path | None = None, *, port: int | None = None, settings: Mapping[str, str] | None = None
    ) -> None:
        # The server's user must reach its folder: a fresh one under the system's temporary folder
        # (world-traversable) unless told otherwise.
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="esav-pg-"))
        self.data = self.root / "data"
        self.port = port or free_port()
        self.settings = dict(settings or {})
        self.bin = find_postgres_bin()
        self._as_postgres = os.geteuid() == 0

    # Running the programs ----------------------------------------------------------------------

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def init(self) -> PostgresServer:
        """``initdb`` (no fsync of the new files: a throwaway cluster; commits stay durable)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            self.root.chmod(0o755)
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--no-sync")
        return self

    def start(self) -> PostgresServer:
        options = {
            "port": str(self.port),
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "max_connections": "200",
            **self.settings,
        }
        line = " ".join(f"-c {key}={value}" for key, value in options.items())
        result = self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", line, "-w", "start", check=False
        )
        if result.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL n'a pas démarré sur le port {self.port} : {result.stderr}{log}")
        return self

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would, no checkpoint)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def __enter__(self) -> PostgresServer:
        return self.init().start()

    def __exit__(self, *exc: object) -> None:
        self.stop("immediate")
        with contextlib.suppress(OSError):
            shutil.rmtree(self.root)

    # Replication (the cluster's tests and demo) ----------------------------------------------------

    @classmethod
    def standby_of(cls, primary: PostgresServer, root: Path | None = None) -> PostgresServer:
        """A streaming-replication standby of ``primary`` (``pg_basebackup -R``), initialised, not started.

        Then ``primary.wait_for_standby()``: every commit of the primary waits for this standby. The
        standby's own settings have no synchronous standby, so that once promoted it commits alone."""
        standby = cls(root, settings=primary.settings)
        standby.root.mkdir(parents=True, exist_ok=True)
        if standby._as_postgres:
            standby.root.chmod(0o755)
            shutil.chown(standby.root, "postgres", "postgres")
        standby._run(
            "pg_basebackup", "-D", str(standby.data), "-R", "-X", "stream", "-c", "fast",
            "-h", "127.0.0.1", "-p", str(primary.port), "-U", SUPERUSER, "-d", "application_name=esav_standby",
        )  # fmt: skip
        return standby

    def wait_for_standby(self) -> None:
        """Every commit from now on waits until a standby has it (``synchronous_standby_names = '*'``)."""
        self.sql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.sql("SELECT pg_reload_conf()")

    def promote(self) -> None:
        """Make this standby the primary (``pg_ctl promote``, waiting until it accepts writes)."""
        self._run("pg_ctl", "-D", str(self.data), "-w", "promote")

    def kill(self) -> None:
        """SIGKILL the server and all its processes at once, as a crashed machine would."""
        pid_file = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            postmaster = int(pid_file.read_text().split()[0])
            # Frozen first (SIGSTOP: the postmaster forks no more, and none acts on another's death), its
            # children listed while they are still its own, then all killed.
            os.kill(postmaster, signal.SIGSTOP)
            children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout
            every = [postmaster, *map(int, children.split())]
            for pid in every:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            for pid in every:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def is_standby(self) -> bool:
        return (self.data / "standby.signal").exists()

    # Databases ---------------------------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement with ``psql`` (outside a transaction: CREATE DATABASE cannot run in one)."""
        command = [str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", statement, self.url(database)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"psql : {result.stderr.strip()}")

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given); its URL."""
        clause = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        self.sql(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
