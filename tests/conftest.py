"""Fixtures building real things: certificates once per session, a live gateway per test."""

from __future__ import annotations

import collections.abc
import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from support import (
    CATALOGUE,
    DEFAULT_NOW,
    SUITE_CLOCK,
    LiveGateway,
    SessionPki,
    demo_template,
    esav_demo_folder,
    make_session_pki,
    postgres_demo_template,
    sqlite_file_test,
    start_gateway,
)

# spyne logs every client fault with a traceback; the gateway logs what matters itself.
logging.getLogger("spyne").setLevel(logging.CRITICAL)


#: A file system in memory, where the suite keeps its temporary files when the machine has one.
MEMORY_TMPDIR = Path("/dev/shm")


def pytest_configure() -> None:
    """No ESAV_* variable of the shell that runs the suite redirects a command or a server of a test. Every
    process and command the suite starts lives at ``DEFAULT_NOW``, like its gateways in process
    (``FixedClock``), and so does this process's ``load_settings``: a run at 04:05 Paris would otherwise meet
    the nightly maintenance, one at 02:00 the closed slot search. Then the temporary files (``_use_tmpdir``)."""
    for name in [n for n in os.environ if n.startswith("ESAV_")]:
        del os.environ[name]
    os.environ["ESAV_CLOCK_OFFSET_S"] = str(SUITE_CLOCK.shift.total_seconds())
    _use_tmpdir()


def _use_tmpdir() -> None:
    """The suite's temporary files (every test's folder, the demos and databases it builds, those of the
    processes it starts) go to a file system in memory: the store's durable commits wait for the disk
    (``synchronous=FULL``), which a shared machine's disk can make last seconds, while a test checks what
    a killed process left, never a power cut. ``TEST_TMPDIR`` names another folder (``/tmp``: the
    disk). What outlives a run stays in the disk's temporary directory (``TEST_DISK_TMPDIR``): the builds of
    ``make wheel``, found where it made them, and the files of the throwaway PostgreSQL servers (run without
    fsync anyway), which a process that does not end cleanly leaves behind."""
    chosen = os.environ.get("TEST_TMPDIR") or (str(MEMORY_TMPDIR) if _writable(MEMORY_TMPDIR) else "")
    if not chosen:
        return
    os.environ.setdefault("TEST_DISK_TMPDIR", tempfile.gettempdir())
    os.environ["TMPDIR"] = chosen  # the test processes xdist starts, and the processes the tests start
    tempfile.tempdir = chosen  # this process: pytest makes its folders under it


#: What the suite may hold there at once (its run folders, demos, databases): below it, the disk.
MEMORY_TMPDIR_NEEDED = 2 * 1024**3


def _writable(folder: Path) -> bool:
    """A folder the suite can use: writable, with room for a whole run (a container's /dev/shm is often
    64 MB, where the suite would fail for want of space rather than run slower)."""
    if not (folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)):
        return False
    return shutil.disk_usage(folder).free >= MEMORY_TMPDIR_NEEDED


@pytest.fixture(scope="session")
def session_pki(tmp_path_factory: pytest.TempPathFactory) -> SessionPki:
    """The session's PKI, made with the demo's templates in the background from the end of the collection
    (``_prepare_session``): the first test waits only for what is left of them."""
    if _session_preparation is not None:
        return _session_preparation.result()
    return make_session_pki(tmp_path_factory.mktemp("session-pki"))


#: The session's PKI, being made in the background once the tests are collected (see ``_prepare_session``).
_session_preparation: Future[SessionPki] | None = None


def _prepare_session(factory: pytest.TempPathFactory, postgres: bool) -> None:
    """In a background thread: the session PKI, then the demo as ``esav demo`` builds it (the suite starts
    with the modules that copy it), then the demo's templates of the gateways under test; each on
    PostgreSQL too when a selected test runs on it (a test asking for one meanwhile waits for it)."""
    global _session_preparation
    preparation: Future[SessionPki] = Future()
    _session_preparation = preparation
    factory.getbasetemp()  # made (emptied) once, here: a test's tmp_path asking for it at once would race

    def prepare() -> None:
        try:
            pki = make_session_pki(factory.mktemp("session-pki"))
        except BaseException as error:  # reported by every test that needs the PKI
            preparation.set_exception(error)
            return
        preparation.set_result(pki)
        engines = ("sqlite", "postgresql") if postgres else ("sqlite",)
        with contextlib.suppress(BaseException):  # a test that needs a demo builds it again, and reports
            for engine in engines:
                esav_demo_folder(engine)
            demo_template(pki, DEFAULT_NOW, CATALOGUE)
            if postgres:
                postgres_demo_template(pki)

    threading.Thread(target=prepare, name="session-preparation", daemon=True).start()


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


@pytest.fixture(autouse=True)
def _sqlite_file_tests_stay_on_sqlite(request: pytest.FixtureRequest) -> Iterator[None]:
    """``TEST_STORE=postgresql`` puts the gateways ``start_gateway`` makes on PostgreSQL, except in a test
    marked ``sqlite_file``: it reaches the store through the SQLite file (or a command on the data folder,
    which opens that file), so on PostgreSQL it would test nothing but that difference. Autouse, this
    runs before the test's other fixtures start its gateway. It does not use ``monkeypatch``: an autouse
    fixture that did would make every test's ``monkeypatch`` undo its changes after the test's other
    fixtures are torn down, where they still meet them (a commit made to fail, at a server's stop)."""
    if request.node.get_closest_marker("sqlite_file") is None:
        yield
        return
    sqlite_file_test.active = True
    try:
        yield
    finally:
        sqlite_file_test.active = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test is ``unit`` or ``e2e`` (``make test-fast`` runs the unit tests); ``slow`` implies e2e."""
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        if marks & {"unit", "e2e"}:
            continue
        callspec = getattr(item, "callspec", None)
        uses_server = (
            SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
            or item.module.__name__.split(".")[-1] in PROCESS_MODULES
            # a test parametrized on the engines, in its PostgreSQL case: the throwaway server
            or (callspec is not None and "postgresql" in callspec.params.values())
        )
        item.add_marker(pytest.mark.e2e if uses_server or "slow" in marks else pytest.mark.unit)
    _longest_modules_first(items)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """Fail the test after which an interface was declared on ``collections.abc``'s classes.

    zope.interface, when a class deriving from an abstract collection (``Sequence``...) gets an
    interface declaration, puts a ``__provides__`` descriptor on the ABCs themselves, which raises
    ``AttributeError`` when read through any subclass. xmlschema reads every attribute of its schema
    classes (``Sequence`` subclasses) when it builds a schema, so from then on every catalogue
    validation in that test process fails with ``AttributeError: __provides__``, far from the cause.
    Importing ``twisted.internet.testing`` (for ``StringTransport``) does it; the tests use their own
    fakes instead. Checked once per process: after the first failure the others say nothing new."""
    global _abc_checked
    yield  # the test's own tear-down first, whole
    if _abc_checked:
        return
    spoiled = [abc.__name__ for abc in collections.abc.Sequence.__mro__ if "__provides__" in vars(abc)]
    if spoiled:
        _abc_checked = True
        pytest.fail(
            f"{item.nodeid} left zope.interface declarations on {', '.join(spoiled)} (collections.abc):"
            " xmlschema's schemas then fail in this process with AttributeError: __provides__"
            " (importing twisted.internet.testing does it: use a fake of the test's own)",
            pytrace=False,
        )


_abc_checked = False


#: What needs the throwaway PostgreSQL server (tests/pg_support.py).
POSTGRES_FIXTURES = {"store_url", "live_any", "portal_any", "platform_any"}
POSTGRES_MODULES = {"test_durability", "test_bench_quick", "test_cli_db_migrations"}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the PostgreSQL server while the first tests run, when a selected test will need it; load
    Chromium once in the background when a selected test will drive it (its first start reads the disk)."""
    if any("chromium" in getattr(item, "fixturenames", ()) for item in session.items):
        _warm_up_chromium()
    postgres = any(
        POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ()))
        or item.nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py") in POSTGRES_MODULES
        for item in session.items
    )
    if postgres:
        from pg_support import start_in_background

        start_in_background()
    if any("session_pki" in getattr(item, "fixturenames", ()) for item in session.items):
        # The fixture's own factory, which pytest keeps on the configuration (``tmp_path_factory``).
        _prepare_session(session.config._tmp_path_factory, postgres)  # type: ignore[attr-defined]


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
    """Order the modules slow, then e2e, then unit (each module's tests kept together and in order); among
    each, those needing nothing prepared first, then those without the session PKI.

    ``pytest -n auto --dist loadfile --no-loadscope-reorder`` hands the modules out in this order: starting
    with the longest ones keeps a process from running a long module alone at the end while the others are
    idle, and the PKI and the demo's templates, made in the background once the tests are collected
    (``_prepare_session``), are ready when the first module needing them starts.
    """
    rank: dict[str, tuple[int, int]] = {}
    for item in items:
        module = item.nodeid.split("::")[0]
        weight = 2 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("e2e") else 0
        needs = 0 if item.module.__name__.split(".")[-1] in NEEDS_NOTHING_PREPARED else 1
        needs = 2 if "session_pki" in getattr(item, "fixturenames", ()) else needs
        known_weight, known_needs = rank.get(module, (0, 0))
        rank[module] = (max(weight, known_weight), max(needs, known_needs))
    items.sort(key=lambda item: (-rank[item.nodeid.split("::")[0]][0], rank[item.nodeid.split("::")[0]][1]))


#: Long modules that use nothing ``_prepare_session`` makes (their processes build their own data): the
#: suite starts with them, so that the preparation is done when the modules that copy the demo begin.
NEEDS_NOTHING_PREPARED = {"test_cluster_demo", "test_wheel"}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium for a module's browser tests (each test opens its own contexts); the test skips,
    saying what is missing, without Playwright or Chromium."""
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
