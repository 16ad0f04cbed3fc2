"""A throwaway PostgreSQL server per test process, and a fresh database per test.

The server (Debian's ``postgresql`` programs, run as the ``postgres`` user when we are root) starts
on first use on a free loopback port and stops when the process ends; it never relies on a server
already running. ``fsync=off`` for speed: the tests kill gateways, not this server, and commits are
still made and waited for (``synchronous_commit`` on).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import tempfile
import threading
from pathlib import Path

import pytest

from gateway.adapters.postgres_server import PostgresServer, PostgresUnavailable

BACKENDS = ("sqlite", "postgresql")

_server: PostgresServer | None = None
_lock = threading.Lock()
_names = itertools.count(1)
_templates: set[str] = set()
_template_locks: dict[str, threading.Lock] = {}


def postgres() -> PostgresServer:
    """The process's server, started on first use (a missing PostgreSQL fails the test, loudly)."""
    global _server
    with _lock:
        if _server is None:
            try:
                # On the disk's temporary directory (tests/conftest.py): files left by a process that
                # did not end cleanly do not stay in memory.
                disk = os.environ.get("TEST_DISK_TMPDIR") or tempfile.gettempdir()
                root = Path(tempfile.mkdtemp(prefix="esav-pg-", dir=disk))
                # A deadlock is found after 0.1 s rather than 1 s (the deadlock tests wait for it).
                settings = {"fsync": "off", "full_page_writes": "off", "deadlock_timeout": "100ms"}
                server = PostgresServer(root, settings=settings)
            except PostgresUnavailable as error:
                pytest.fail(f"{error} : `make test` l'installe (tests/interop/install-toolchains.sh)")
            server.init().start()
            atexit.register(server.__exit__)
            _server = server
        return _server


def start_in_background() -> None:
    """Start the process's server now, in a thread, so that the first test needing it does not wait
    for ``initdb`` (a failure is reported by that test, which tries again)."""

    def start() -> None:
        with contextlib.suppress(BaseException):  # reported by the test that needs the server
            postgres()

    threading.Thread(target=start, name="postgres-start", daemon=True).start()


def fresh_database(template: str | None = None) -> str:
    """The URL of a new, empty database (or a copy of ``template``)."""
    name = f"t{os.getpid()}_{next(_names)}"
    return postgres().create_database(name, template=template)


def template_database(key: str, build: object) -> str:
    """A database built once per process by ``build(url)`` and copied per test: its name.

    Safe from several threads (one may build it in the background while a test asks for it: the test
    waits); a failed build leaves no database behind, and the next call builds it again."""
    name = f"tpl_{abs(hash(key)) % 10**12}"
    with _lock:
        building = _template_locks.setdefault(name, threading.Lock())
    with building:
        if name not in _templates:
            server = postgres()
            url = server.create_database(name)
            try:
                build(url)  # type: ignore[operator]
            except BaseException:
                server.drop_database(name)
                raise
            _templates.add(name)
    return name
