"""Test support shared by the suite: the reactor thread, the session PKI, a running gateway, clients.

Twisted's reactor runs once per process: it is started on first use in a daemon thread and left
running; tests talk to it with ``in_reactor``. Each test gets its own gateway (own SQLite file,
own clock, own port chosen by the OS) on that one reactor.
"""

from __future__ import annotations

import atexit
import dataclasses
import hashlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
import requests
import zeep
import zeep.wsdl
from lxml import etree
from twisted.internet import reactor as _reactor
from twisted.internet.threads import blockingCallFromThread

from gateway.config import Settings
from gateway.demo import build_demo
from gateway.domain.clock import PARIS, FixedClock, ShiftedClock
from gateway.security import pki as pki_mod
from gateway.server import PkiFiles, RunningGateway, start
from gateway.services import Gateway

reactor: Any = _reactor
T = TypeVar("T")
#: While a test marked ``sqlite_file`` runs, its gateways stay on SQLite whatever ``TEST_STORE`` says
#: (conftest sets it; the environment itself is never changed while tests run: a thread of the suite
#: may be copying it for a process it starts).
sqlite_file_test = SimpleNamespace(active=False)


def suite_store() -> str:
    """The engine ``start_gateway`` puts a gateway's store on when the test does not say."""
    if sqlite_file_test.active:
        return "sqlite"
    return os.environ.get("TEST_STORE", "sqlite")


_reactor_lock = threading.Lock()

REPO = Path(__file__).resolve().parent.parent
CATALOGUE = REPO / "catalogue"
#: A Wednesday in the demo's world, well inside SIG_FTTH 1.0/2.0 cohabitation.
DEFAULT_NOW = datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
#: Certificates are made valid from this date so that any test clock after it accepts them.
PKI_EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


#: The clock of the commands and server processes the suite starts: ``DEFAULT_NOW`` when this process
#: began, then running (conftest's ``pytest_configure`` gives them its shift as ``ESAV_CLOCK_OFFSET_S``).
SUITE_CLOCK = ShiftedClock(DEFAULT_NOW - datetime.now(UTC))


def suite_now() -> datetime:
    """What the commands and the server processes of the suite read as now (``SUITE_CLOCK``), not the real
    time."""
    return SUITE_CLOCK.now()


def clock_offset_to(instant: datetime) -> str:
    """``ESAV_CLOCK_OFFSET_S`` for commands and server processes that must live at ``instant`` (the suite's
    are at ``DEFAULT_NOW``, set by conftest's ``pytest_configure``)."""
    return str((instant - datetime.now(UTC)).total_seconds())


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """``check()``'s first truthy result, polled every ``interval`` seconds; its last (falsy) one once
    ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)


def in_reactor(f: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run ``f`` in the reactor thread (starting the reactor if needed) and return its result."""
    with _reactor_lock:
        if not reactor.running:
            started = threading.Event()
            reactor.callWhenRunning(started.set)
            threading.Thread(
                target=reactor.run, kwargs={"installSignalHandlers": False}, name="reactor", daemon=True
            ).start()
            if not started.wait(10):
                raise RuntimeError("the Twisted reactor did not start")
    return blockingCallFromThread(reactor, f, *args, **kwargs)


@dataclass(frozen=True)
class SessionPki:
    """Demo-shaped PKI files made once per test session, plus hostile certificates."""

    directory: Path  # ca.pem, ca.key, server.pem, server.key, OPE00n.pem/.key
    ca: pki_mod.IssuedCertificate
    extra: dict[str, tuple[Path, Path]]  # foreign, expired, unregistered


def make_session_pki(directory: Path) -> SessionPki:
    ca = pki_mod.create_ca(now=PKI_EPOCH, valid_days=3650)
    pki_mod.write_pem_files(ca, directory / "ca.pem", directory / "ca.key")
    server = pki_mod.issue_server_certificate(ca, now=PKI_EPOCH, valid_days=3650)
    pki_mod.write_pem_files(server, directory / "server.pem", directory / "server.key")
    for code, name in (("OPE001", "Opérateur Alpha"), ("OPE002", "Opérateur Beta"), ("OPE003", "Opérateur Gamma")):
        issued = pki_mod.issue_client_certificate(ca, code, name, now=PKI_EPOCH, valid_days=3650)
        pki_mod.write_pem_files(issued, directory / f"{code}.pem", directory / f"{code}.key")
    # The provider's client certificate for pushing notifications, as the demo issues it.
    notifier = pki_mod.issue_client_certificate(ca, "ESAV-NOTIFICATIONS", "e-SAV fournisseur", now=PKI_EPOCH)
    pki_mod.write_pem_files(notifier, directory / "notifier.pem", directory / "notifier.key")
    other_ca = pki_mod.create_ca("AC étrangère", now=PKI_EPOCH)
    real_now = datetime.now(UTC)
    hostile = {
        "foreign": pki_mod.issue_client_certificate(other_ca, "OPE001", "Opérateur Alpha", now=PKI_EPOCH),
        "expired": pki_mod.issue_client_certificate(
            ca, "OPE001", "Opérateur Alpha", not_before=PKI_EPOCH, not_after=real_now - timedelta(days=1)
        ),
        "unregistered": pki_mod.issue_client_certificate(ca, "OPE001", "Opérateur Alpha", now=PKI_EPOCH),
    }
    extra = {}
    for name, issued in hostile.items():
        extra[name] = (directory / f"{name}.pem", directory / f"{name}.key")
        pki_mod.write_pem_files(issued, *extra[name])
    return SessionPki(directory, ca, extra)


@dataclass
class LiveGateway:
    """A gateway serving on loopback for one test, with its clock, data and client factory."""

    running: RunningGateway
    clock: FixedClock
    data_dir: Path
    pki: SessionPki
    web: Any = None  # the portal (gateway.web.RunningWeb) when started with web=True

    @property
    def web_url(self) -> str:
        """The portal's base URL (``start_gateway(..., web=True)``)."""
        return f"https://localhost:{self.web.port_number}"

    @property
    def gateway(self) -> Gateway:
        return self.running.gateway

    @property
    def port(self) -> int:
        return self.running.port_number

    def url(self, service: str = "signalisation", version: str = "v2") -> str:
        return f"https://localhost:{self.port}/esav/{version}/{service}"

    def cert_files(self, name: str) -> tuple[str, str]:
        if name in self.pki.extra:
            cert, key = self.pki.extra[name]
        else:
            cert, key = self.pki.directory / f"{name}.pem", self.pki.directory / f"{name}.key"
        return str(cert), str(key)

    def session(self, operator: str | None = "OPE001") -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # an environment CA bundle would override verify
        session.verify = str(self.pki.directory / "ca.pem")
        if operator is not None:
            session.cert = self.cert_files(operator)
        return session

    def client(self, operator: str = "OPE001", service: str = "signalisation", version: str = "v2") -> zeep.Client:
        """A zeep client of ``service`` that downloads its WSDL with ``operator``'s certificate."""
        return soap_client(self.session(operator), self.url(service, version))

    def stop(self) -> None:
        if self.web is not None:
            in_reactor(self.web.stop)
        in_reactor(self.running.stop)
        self.gateway.close()


_parsed_wsdls: dict[bytes, zeep.wsdl.Document] = {}
_ADDRESS = re.compile(rb'location="https://localhost:\d+/')


def soap_client(session: requests.Session, url: str) -> zeep.Client:
    """A zeep client of the service at ``url`` that downloads its WSDL through ``session``.

    The WSDL is always fetched, so refusals happen as they would for a real client; parsing it is
    done once per test session for each distinct WSDL (the address aside), which is most of a client's cost.
    """
    transport = zeep.Transport(session=session, timeout=30, operation_timeout=30)
    wsdl = transport.load(url + "?wsdl")
    key = _ADDRESS.sub(b"", wsdl)
    if key not in _parsed_wsdls:
        _parsed_wsdls[key] = zeep.wsdl.Document(url + "?wsdl", transport)
    document = _parsed_wsdls[key]
    client = zeep.Client(document, transport=transport)
    port = next(iter(next(iter(document.services.values())).ports.values()))
    client._default_service = client.create_service(port.binding.name, url)
    return client


_demo_templates: dict[tuple[Path, datetime, str], Path] = {}
_demo_templates_lock = threading.Lock()


def catalogue_fingerprint(catalogue_dir: Path) -> str:
    """A digest of every file of a catalogue folder (names and contents): two copies have the same one."""
    digest = hashlib.sha256()
    for file in sorted(p for p in catalogue_dir.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(catalogue_dir)).encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()


def demo_template(session_pki: SessionPki, now: datetime, catalogue_dir: Path) -> Path:
    """A data folder holding the session PKI and the demo data built at ``now``, made once per session
    for each catalogue content (a test's copy of the catalogue, not yet edited, shares the original's).

    Building the demo costs more than everything else a test's gateway needs (password hashes, a few
    thousand rows); each test copies the finished folder instead, and gets the same data.
    """
    key = (session_pki.directory, now, catalogue_fingerprint(catalogue_dir))
    with _demo_templates_lock:  # a background thread may be building it (tests/conftest.py)
        if key not in _demo_templates:
            _demo_templates[key] = _build_demo(session_pki, now, catalogue_dir)
        return _demo_templates[key]


def _build_demo(session_pki: SessionPki, now: datetime, catalogue_dir: Path, store_url: str = "") -> Path:
    """A new folder with the session PKI and the demo built at ``now`` (in ``store_url`` when given)."""
    folder = Path(tempfile.mkdtemp(prefix="esav-demo-", dir=session_pki.directory.parent))
    shutil.copytree(session_pki.directory, folder / "pki")
    settings = Settings(data_dir=folder, catalogue_dir=catalogue_dir, store_url=store_url)
    gateway = Gateway.from_settings(settings, clock=FixedClock(now))
    try:
        build_demo(gateway, folder / "pki")
    finally:
        gateway.close()
    return folder


def postgres_demo_template(
    session_pki: SessionPki, now: datetime = DEFAULT_NOW, catalogue_dir: Path = CATALOGUE
) -> str:
    """The PostgreSQL database holding the demo built at ``now``, built once per process: its name."""
    from pg_support import template_database

    return template_database(
        f"{session_pki.directory}|{now}|{catalogue_fingerprint(catalogue_dir)}",
        lambda url: _build_demo(session_pki, now, catalogue_dir, url),
    )


def postgres_demo(session_pki: SessionPki, now: datetime, catalogue_dir: Path) -> str:
    """A new PostgreSQL database holding the demo built at ``now`` (copied from one built once)."""
    from pg_support import fresh_database

    return fresh_database(postgres_demo_template(session_pki, now, catalogue_dir))


def esav_demo(folder: Path, store_url: str = "") -> None:
    """Build the demo in ``folder`` as ``esav demo --donnees folder [--base store_url]`` does (its own PKI,
    the suite's clock, ``DEFAULT_NOW``): the command's steps without its output, reading no ESAV_* variable,
    so that it is safe in a thread beside tests that set some."""
    from gateway._demo_calendar import apply_demo_calendar, ensure_demo_calendar
    from gateway.cli._common import open_gateway
    from gateway.config import load_settings

    offset = SUITE_CLOCK.shift.total_seconds()
    settings = load_settings(environ={}, data_dir=folder, store_url=store_url or None, clock_offset_s=offset)
    settings = ensure_demo_calendar(apply_demo_calendar(settings), settings.clock().now())
    with open_gateway(settings, create=True) as gateway:
        build_demo(gateway, settings.pki_dir)


_esav_demos: dict[str, tuple[Path, str]] = {}
_esav_demos_locks = {"sqlite": threading.Lock(), "postgresql": threading.Lock()}  # one engine never waits on the other


def esav_demo_folder(engine: str = "sqlite") -> tuple[Path, str]:
    """The demo as ``esav demo`` builds it for ``engine``, built once per test process (a background thread
    may be building it: tests/conftest.py): its folder, and on PostgreSQL its template database. Never
    change them: copy them (``esav_demo_copy``)."""
    with _esav_demos_locks[engine]:
        if engine not in _esav_demos:
            parent = Path(tempfile.mkdtemp(prefix=f"esav-demo-{engine}-"))
            atexit.register(shutil.rmtree, parent, ignore_errors=True)
            folder = parent / "data"
            if engine == "postgresql":
                from pg_support import template_database

                template = template_database(f"esav demo|{folder}", lambda url: esav_demo(folder, url))
            else:
                esav_demo(folder)
                template = ""
            _esav_demos[engine] = (folder, template)
        return _esav_demos[engine]


def esav_demo_copy(target: Path, engine: str = "sqlite") -> str:
    """Copy into ``target`` the demo as ``esav demo`` builds it (``esav_demo_folder``); the ``--base`` URL of
    the copy: empty on SQLite (the copy's file), a new copy of the demo's database on PostgreSQL."""
    folder, template = esav_demo_folder(engine)
    shutil.copytree(folder, target)
    if not template:
        return ""
    from pg_support import fresh_database

    return fresh_database(template)


#: The checkout's command line, as ``esav`` would run it.
ESAV = (sys.executable, "-m", "gateway")
#: How long a server process may take to accept its first mutual-TLS handshake.
START_TIMEOUT_S = 60.0


def clean_env() -> dict[str, str]:
    """The suite's environment, with the portal and the operations port on ports the OS chooses (never a
    fixed one another server may hold)."""
    return {
        **os.environ,
        "ESAV_WEB_PORT": "0",
        "ESAV_METRICS_PORT": "0",
    }


def tls_context(pki: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    context.load_cert_chain(str(pki / "OPE001.pem"), str(pki / "OPE001.key"))
    return context


def wait_until_serving(process: subprocess.Popen, port: int, pki: Path, log: Path) -> None:
    """Return once the server completes a mutual-TLS handshake on ``port``; fail if it dies or hangs."""
    context = tls_context(pki)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=1) as raw,
                context.wrap_socket(raw, server_hostname="localhost"),
            ):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"the server did not accept TLS on port {port} within {START_TIMEOUT_S} s:\n{log.read_text()}")


def client_for(port: int, pki: Path) -> zeep.Client:
    session = requests.Session()
    session.trust_env = False
    session.verify = str(pki / "ca.pem")
    session.cert = (str(pki / "OPE001.pem"), str(pki / "OPE001.key"))
    transport = zeep.Transport(session=session, timeout=10, operation_timeout=10)
    return zeep.Client(f"https://localhost:{port}/esav/v2/signalisation?wsdl", transport=transport)


@contextmanager
def running(
    command: Sequence[str],
    log: Path,
    *,
    env: dict[str, str] | None = None,
    cwd: Path = REPO,
    stdout: bool = True,
    stop_timeout_s: float = 30,
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` running (a server: ``[*ESAV, "servir", …]``), its stderr, and its stdout unless
    ``stdout=False``, appended to ``log``; ``env`` defaults to ``clean_env()``. On leaving, a process
    still running is asked to stop (SIGTERM); one still running ``stop_timeout_s`` later is killed
    and fails the test."""
    with log.open("ab") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=clean_env() if env is None else env,
            stdout=out if stdout else subprocess.DEVNULL,
            stderr=out,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(stop_timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"{command} still ran {stop_timeout_s} s after SIGTERM: killed") from None


def gateway_settings(data_dir: Path, catalogue_dir: Path = CATALOGUE, **more: Any) -> Settings:
    """A test gateway's settings: ports chosen by the system, no sweep during a test, line-test results
    looked for every 0.2 s (1 s in service: a test waiting for one waits less); ``more`` on top."""
    values: dict[str, Any] = {"port": 0, "metrics_port": 0, "sweep_interval_s": 3600, "line_test_poll_s": 0.2, **more}
    return Settings(data_dir=data_dir, catalogue_dir=catalogue_dir, **values)


def start_gateway(
    data_dir: Path,
    session_pki: SessionPki,
    now: datetime = DEFAULT_NOW,
    *,
    catalogue_dir: Path = CATALOGUE,
    observers: Sequence[Any] = (),
    settings_overrides: dict[str, Any] | None = None,
    web: bool = False,
    backend: str | None = None,
) -> LiveGateway:
    """Copy the session's demo folder (PKI and data) in, and listen on an OS-chosen loopback port.

    ``backend="postgresql"``: the demo data in a new PostgreSQL database, a copy of one built once."""
    pki_dir = data_dir / "pki"
    shutil.copytree(demo_template(session_pki, now, catalogue_dir), data_dir, dirs_exist_ok=True)
    clock = FixedClock(now)
    settings = gateway_settings(data_dir, catalogue_dir)
    if (backend or suite_store()) == "postgresql":
        settings = dataclasses.replace(settings, store_url=postgres_demo(session_pki, now, catalogue_dir))
    settings = dataclasses.replace(settings, **(settings_overrides or {}))
    gateway = Gateway.from_settings(settings, clock=clock)
    running = in_reactor(start, gateway, settings, PkiFiles.in_dir(pki_dir), reactor, observers)
    portal = None
    if web:  # the portal on its own OS-chosen port
        from gateway.web import start_web

        web_settings = dataclasses.replace(settings, web_port=0)
        portal = in_reactor(start_web, gateway, web_settings, PkiFiles.in_dir(pki_dir), reactor)
    return LiveGateway(running, clock, data_dir, session_pki, portal)


def example_form(code: str, version: str = "1.0") -> etree._Element:
    return etree.parse(str(CATALOGUE / "forms" / code / f"{version}.example.xml")).getroot()


#: A valid deposit for each demo offer of OPE001: (prestation, offer, form code).
OPE001_DEPOSITS = {
    "CUIVRE_DEGROUPAGE": ("0140000001", "SIG_CUIVRE"),
    "FTTH_ACCES": ("FI-0001-0001", "SIG_FTTH"),
    "DSL_BITSTREAM": ("DSL0000001", "SIG_DSL"),
    "FIBRE_LFO": ("LFO-000001", "SIG_LFO"),
    "ETHERNET_CE2O": ("ETH-000001", "SIG_ETHERNET"),
}


def deposit(client: zeep.Client, offer: str = "CUIVRE_DEGROUPAGE", *, version: str = "1.0", **overrides: Any) -> Any:
    """Deposit OPE001's standard ticket for ``offer`` (arguments overridable)."""
    prestation, form_code = OPE001_DEPOSITS[offer]
    form = overrides.pop("form", None)
    arguments = {
        "identifiantPrestation": prestation,
        "codeOffre": offer,
        "gravite": "MAJEURE",
        "formulaire": {
            "code": form_code,
            "version": version,
            "_value_1": form if form is not None else example_form(form_code, version),
        },
        **overrides,
    }
    return client.service.deposerSignalisation(**arguments)


def fault_code(fault: zeep.exceptions.Fault) -> str:
    """The ``erreurEsav/code`` of a SOAP fault, read from its typed detail."""
    ns = {"e": "urn:esav:signalisation:v2"}
    codes = fault.detail.xpath(".//*[local-name()='erreurEsav']/*[local-name()='code']/text()", namespaces=ns)
    assert codes, f"no erreurEsav/code in fault detail: {etree.tostring(fault.detail)!r}"
    return str(codes[0])


def fault_details(fault: zeep.exceptions.Fault) -> list[str]:
    """The ``chemin`` of every ``details`` entry of a fault."""
    return [str(p) for p in fault.detail.xpath(".//*[local-name()='details']/*[local-name()='chemin']/text()")]
