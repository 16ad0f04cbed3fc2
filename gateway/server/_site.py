"""Assembling the gateway's HTTPS site and listening on its port."""

from __future__ import annotations

import functools
import gc
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spyne import const as spyne_const
from spyne.server.wsgi import WsgiApplication
from twisted.internet import reactor as default_reactor
from twisted.internet.task import LoopingCall
from twisted.web import pages
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.config import Settings
from gateway.services import Gateway
from gateway.ws import FastPath, Guard, published_versions
from gateway.ws.v1 import signalisation as v1_signalisation
from gateway.ws.v2 import catalogue as v2_catalogue
from gateway.ws.v2 import rendezvous as v2_rendezvous
from gateway.ws.v2 import signalisation as v2_signalisation
from gateway.ws.v2 import test as v2_test

from ._background import Background, LeaderElection
from ._balance import BalancedPort, WorkerSlot
from ._host import CallBatch, CallObserver, SoapResource, bounded_request_factory
from ._lean_http import lean_soap
from ._operations import Operations, operation_guards, start_operations
from ._proxy import listen_tls, tls_factory
from ._timeouts import limit_connection_times
from .tls import server_tls_options

__all__ = ["ENDPOINTS", "PkiFiles", "RunningGateway", "build_site", "limited_site", "start"]

log = logging.getLogger("gateway.server")

# (version, service) → module building its spyne Application; the URL is /esav/{version}/{service}.
ENDPOINTS = {
    ("v1", "signalisation"): v1_signalisation,
    ("v2", "signalisation"): v2_signalisation,
    ("v2", "catalogue"): v2_catalogue,
    ("v2", "rendezvous"): v2_rendezvous,
    ("v2", "test"): v2_test,
}


@dataclass(frozen=True)
class PkiFiles:
    """The files the server's TLS needs."""

    ca: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def in_dir(cls, pki_dir: Path) -> PkiFiles:
        return cls(pki_dir / "ca.pem", pki_dir / "server.pem", pki_dir / "server.key")


class _Quiet(Site):
    """Twisted's per-request access log is replaced by the gateway's own logs."""

    def log(self, request: Any) -> None:
        pass


class _Folder(Resource):
    """A path segment of the site; anything below it that is not a known child is a plain 404."""

    def getChild(self, path: bytes, request: Any) -> Any:  # noqa: N802 - Twisted's interface
        return pages.notFound("Ressource inconnue", "Les web services e-SAV sont sous /esav/{version}/{service}.")


def build_site(
    gateway: Gateway,
    settings: Settings,
    observers: Sequence[CallObserver] = (),
    extra_endpoints: dict[tuple[str, str], Any] | None = None,
) -> Site:
    """The HTTPS site; ``observers`` see every SOAP call (logs, volumetry, journal).

    ``extra_endpoints``: services only this instance serves, shaped like ``ENDPOINTS`` (the
    integration platform's ``integration`` service); never part of the published WSDLs.
    """
    root: Any = _Folder()
    esav: Any = _Folder()
    root.putChild(b"esav", esav)
    versions: dict[str, Any] = {}
    soap_paths: dict[bytes, SoapResource] = {}
    # The settings' version registry says which versions are published and guards the retiring one.
    published = published_versions(settings.versions, {v for v, _ in ENDPOINTS}, gateway.clock)
    # Every version: maintenance first (before authentication), rate limits last.
    first, last = operation_guards(gateway, settings)
    # One batch for the whole site: the calls of one reactor turn share one group commit.
    batch = CallBatch(
        gateway.durable if settings.group_commit else None,
        read_ahead=gateway.batch_reads,
        wait_s=settings.batch_wait_ms / 1000.0,
    )
    for (version, service), module in {**ENDPOINTS, **(extra_endpoints or {})}.items():
        if version not in published:
            continue
        if version not in versions:
            versions[version] = _Folder()
            esav.putChild(version.encode(), versions[version])
        resource = soap_paths[f"/esav/{version}/{service}".encode()] = SoapResource(
            None,
            module.NAMESPACE,
            max_depth=settings.max_xml_depth,
            version=version,
            service=service,
            observers=observers,
            batch=batch,
            guards=first + published[version],
            authenticate=gateway.access.authenticate_certificate,  # the WSDL too (contract §8)
            build=functools.partial(_service, module, gateway, last, settings.fast_path),
        )
        versions[version].putChild(service.encode(), resource)
    on_timeout = functools.partial(gateway.volumetry.record_request_timeout, "web_services")
    return limited_site(root, settings, soap_paths=soap_paths, on_request_timeout=on_timeout)


def limited_site(
    root: Resource,
    settings: Settings,
    *,
    soap_paths: dict[bytes, SoapResource] | None = None,
    html_forms: bool = False,
    on_request_timeout: Callable[[], None] | None = None,
) -> Site:
    """A site serving ``root`` with the settings' body limit and time limits, without Twisted's access
    log (the gateway's own logs replace it): the web services', the portal's, the receiver's.

    The calls to ``soap_paths`` (exact request paths) are read without twisted.web's request
    machinery (its cost: ``_lean_http``); every other request goes through Twisted's own channel.
    ``html_forms``: Twisted parses a POSTed form into ``request.args`` (SOAP bodies never are one).
    """
    site = _Quiet(root, parsePOSTFormSubmission=html_forms)
    site.requestFactory = bounded_request_factory(settings.max_body_bytes)  # type: ignore[assignment]
    site.displayTracebacks = False
    limit_connection_times(site, settings.request_timeout_s, settings.idle_timeout_s, on_request_timeout)
    if soap_paths is not None:
        lean_soap(site, soap_paths, settings.max_body_bytes)
    return site


def _service(module: Any, gateway: Gateway, last: tuple[Guard, ...], fast: bool) -> tuple[Any, FastPath | None]:
    """One endpoint's spyne application (WSGI) and fast path. Guards without a caller run in the host,
    before the envelope is validated; the others in the service base, once the caller is
    authenticated (see ``gateway.ws.Guard``)."""
    application = module.build_application(gateway, last)
    build_fast_path = getattr(module, "build_fast_path", None)
    fast_path = build_fast_path(gateway, application, last) if build_fast_path and fast else None
    return WsgiApplication(application), fast_path


@dataclass
class RunningGateway:
    """A gateway listening on its port; ``stop()`` closes the port and its periodic tasks."""

    port: Any
    gateway: Gateway
    catalogue_poll: LoopingCall | None = None
    operations: Operations | None = None
    background: Background | None = None
    election: LeaderElection | None = None

    @property
    def port_number(self) -> int:
        return int(self.port.getHost().port)

    @property
    def leading(self) -> bool:
        """True while this process runs the background work (sweeps, pushes, reminders)."""
        return self.election is not None and self.election.leading

    def stop(self) -> Any:
        if self.catalogue_poll is not None and self.catalogue_poll.running:
            self.catalogue_poll.stop()
        if self.election is not None:
            self.election.stop()  # the background work stops; another process may take it
        if self.operations is not None:
            self.operations.stop()  # flushes the last counts
        return self.port.stopListening()


def _refresh_catalogue(gateway: Gateway) -> None:
    try:
        gateway.refresh_catalogue()
    except Exception:  # a store hiccup must not stop the polling
        log.exception("catalogue refresh failed")


def _tame_garbage_collection() -> None:
    """spyne runs a full ``gc.collect()`` up to once a second in the serving thread (100-200 ms with
    the gateway loaded: every connection stalls). Leave collection to Python's generational GC, and
    freeze what start-up allocated so the collector stops rescanning it."""
    spyne_const.MIN_GC_INTERVAL = float("inf")
    gc.collect()
    gc.freeze()


def start(
    gateway: Gateway,
    settings: Settings,
    pki: PkiFiles,
    reactor: Any = default_reactor,
    observers: Sequence[CallObserver] = (),
    *,
    listen_socket: socket.socket | None = None,
    worker: WorkerSlot | None = None,
    leader: bool = True,
    extra_endpoints: dict[tuple[str, str], Any] | None = None,
) -> RunningGateway:
    """Listen with mutual TLS and start the periodic tasks (call in the reactor thread).

    ``listen_socket``: an already listening socket to serve on instead of ``settings.port``; with
    ``worker``, the socket is shared with the other worker processes, and this one accepts in turn
    (``_balance``). ``leader``: this process is its machine's first (the
    operations port); on SQLite it also runs the jobs that must run once per instance (automatic
    transitions, line-test results...), on PostgreSQL whichever process holds the store's leadership
    does (``_background``). Every process serves.
    """
    trusted = [pki.ca.read_bytes(), *(path.read_bytes() for path in settings.recognised_cas)]
    options = server_tls_options(pki.server_cert.read_bytes(), pki.server_key.read_bytes(), trusted)
    _tame_garbage_collection()
    if settings.group_commit:
        gateway.durable.group_per_tick(lambda commit: reactor.callLater(0, commit))
    # Volumetry and call logs observe every call; flush, certificate reminders, /metrics.
    operations = start_operations(gateway, settings, reactor, observers, leader=leader)
    try:  # a refused start-up (versions, a port in use) leaves no operations port nor task behind
        site = build_site(gateway, settings, operations.observers, extra_endpoints)
        if listen_socket is None:
            port = listen_tls(
                reactor, settings.port, site, options, settings.host, proxy_protocol=settings.proxy_protocol
            )
        else:
            factory = tls_factory(options, site, proxy_protocol=settings.proxy_protocol)
            if worker is None:
                port = reactor.adoptStreamPort(listen_socket.fileno(), listen_socket.family, factory)
            else:
                port = BalancedPort.adopt(reactor, listen_socket, factory, worker)
            listen_socket.close()  # the reactor holds its own duplicate
    except BaseException:
        operations.stop()
        raise
    if leader:  # the catalogue served is the last published one: say so, and whether the folder differs
        origin = gateway.catalogue_origin()
        (log.warning if origin.folder_differs else log.info)("%s", origin.describe())
    poll = LoopingCall(_refresh_catalogue, gateway)
    poll.clock = reactor
    poll.start(settings.catalogue_poll_s, now=False)
    # The work run once for all the processes sharing the store: here while this process leads.
    background = Background(gateway, settings, reactor)
    election = LeaderElection(gateway.leadership(leader=leader), background, reactor, settings.leader_retry_s)
    operations.leading = lambda: election.leading
    election.start()
    return RunningGateway(port, gateway, poll, operations, background, election)
