"""Fixtures building real things: certificates once per session, a live gateway per test."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from support import LiveGateway, SessionPki, make_session_pki, start_gateway

# spyne logs every client fault with a traceback; the gateway logs what matters itself.
logging.getLogger("spyne").setLevel(logging.CRITICAL)


@pytest.fixture(scope="session")
def session_pki(tmp_path_factory: pytest.TempPathFactory) -> SessionPki:
    """The session's PKI; when a selected test runs on PostgreSQL, the demo's PostgreSQL template starts
    building in the background (the first such test waits only for what is left of it)."""
    pki = make_session_pki(tmp_path_factory.mktemp("session-pki"))
    if _postgres_selected:
        threading.Thread(target=_prepare_postgres_demo, args=(pki,), name="postgres-demo", daemon=True).start()
    return pki


def _prepare_postgres_demo(pki: SessionPki) -> None:
    from support import postgres_demo_template

    with contextlib.suppress(BaseException):  # the test that needs the template builds it again, and reports
        postgres_demo_template(pki)


@pytest.fixture
def live(tmp_path, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """A gateway with the demo data on a loopback port, its clock fixed at DEFAULT_NOW."""
    server = start_gateway(tmp_path / "data", session_pki)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def portal(tmp_path, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """A gateway with the demo data and its portal (HTTPS, its own port), clock at DEFAULT_NOW."""
    server = start_gateway(tmp_path / "data", session_pki, web=True)
    try:
        yield server
    finally:
        server.stop()


#: Fixtures that start a server: a test using one (directly or through another fixture) is ``e2e``.
SERVER_FIXTURES = {
    "platform_any",
    "session_pki",
    "live_any",
    "portal_any",
    "store_url",
    "url",
    "optional_url",
    "interop_gateway",
    "java_client",
}
#: Modules whose tests start processes of their own (``esav servir``, competing writers).
PROCESS_MODULES = {
    "test_serve_command",
    "test_appointments_processes",
    "test_durability",
    "test_server_workers",
    "test_cli_non_xml_text",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test is ``unit`` or ``e2e`` (``make test-fast`` runs the unit tests); ``slow`` implies e2e."""
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        if marks & {"unit", "e2e"}:
            continue
        uses_server = (
            SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
            or item.module.__name__.split(".")[-1] in PROCESS_MODULES
        )
        item.add_marker(pytest.mark.e2e if uses_server or "slow" in marks else pytest.mark.unit)
    _longest_modules_first(items)


#: Whether a selected test needs the throwaway PostgreSQL server (set once the tests are collected).
_postgres_selected = False
#: What needs the throwaway PostgreSQL server (tests/pg_support.py).
POSTGRES_FIXTURES = {"store_url", "live_any", "portal_any", "platform_any"}
POSTGRES_MODULES = {"test_durability", "test_bench_quick", "test_cli_db_migrations"}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the PostgreSQL server while the first tests run, when a selected test will need it; load
    Chromium once in the background when a selected test will drive it (its first start reads the disk)."""
    if any("chromium" in getattr(item, "fixturenames", ()) for item in session.items):
        _warm_up_chromium()
    if any(
        POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ()))
        or item.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py") in POSTGRES_MODULES
        for item in session.items
    ):
        from pg_support import start_in_background

        global _postgres_selected
        _postgres_selected = True
        start_in_background()


def _warm_up_chromium() -> None:
    """Run Chromium once in a background thread (one test process does it: the disk cache is shared), so
    that the first browser test does not wait for the browser's files to be read."""
    chromium = shutil.which(os.environ.get("ESAV_CHROMIUM", "/usr/bin/chromium"))
    if chromium is None or os.environ.get("PYTEST_XDIST_WORKER", "gw0") != "gw0":
        return
    argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "about:blank"]

    def run() -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):  # the browser tests report any problem
            subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)

    threading.Thread(target=run, name="chromium-warm-up", daemon=True).start()


def _longest_modules_first(items: list[pytest.Item]) -> None:
    """Order the modules slow, then e2e, then unit (each module's tests kept together and in order).

    ``pytest -n auto --dist loadfile`` hands the modules out in this order: starting with the longest
    ones keeps a process from running a long module alone at the end while the others are idle.
    """
    rank: dict[str, int] = {}
    for item in items:
        weight = 2 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("e2e") else 0
        rank[item.nodeid.split("::")[0]] = max(weight, rank.get(item.nodeid.split("::")[0], 0))
    items.sort(key=lambda item: -rank[item.nodeid.split("::")[0]])


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the test process's browser tests (each test opens its own contexts);
    the test skips, saying what is missing, without Playwright or Chromium."""
    from browser_support import launched

    with launched() as browser:
        yield browser


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """A fresh, empty store on each engine: a SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'esav.db'}"
    from pg_support import fresh_database

    return fresh_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def portal_any(request, tmp_path, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """``portal`` on each engine: the demo and its portal on SQLite, then on PostgreSQL."""
    server = start_gateway(tmp_path / "data", session_pki, web=True, backend=request.param)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def live_any(request, tmp_path, session_pki: SessionPki) -> Iterator[LiveGateway]:
    """``live`` on each engine: the demo on SQLite, then on PostgreSQL."""
    server = start_gateway(tmp_path / "data", session_pki, backend=request.param)
    try:
        yield server
    finally:
        server.stop()
