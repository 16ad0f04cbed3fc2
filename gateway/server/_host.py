"""The seam between Twisted and spyne: one resource that serves a spyne WsgiApplication.

spyne's WSGI application is called synchronously in the reactor thread (no thread-pool hand-off,
which costs more than the work itself: docs/decisions.md), in three phases (``_phases``): each call is read
on arrival, and the calls of one reactor turn then run their service methods and commit together
before their answers are serialised (``CallBatch``). Everything a request needs is read here, once:
its body (bounded), its hardened parse (handed to spyne), and the verified client certificate.
This is the one place to change to host spyne differently. The hottest operations skip spyne's
object mapping: an endpoint's ``FastPath`` (``gateway.ws``) reads them from the same parse and
answers them through the same phases and batch.
"""

from __future__ import annotations

import io
import logging
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

import greenlet
from twisted.internet import reactor as default_reactor
from twisted.web.http import Request
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from twisted.web.server import Request as ServerRequest

from gateway.errors import EsavError, InternalError, InvalidRequestError
from gateway.ws import (
    CALL_FAULT,
    CALL_INFO,
    CALL_OPERATION,
    CALL_OPERATOR,
    CALL_REQUEST_ID,
    CALL_RETRY_AFTER,
    CLIENT_FINGERPRINT,
    PARSED_DOCUMENT,
    FastCall,
    FastPath,
    Guard,
    check_request_xml,
    check_soap_body,
    fault_envelope,
)

from . import _phases

__all__ = [
    "BoundedRequest",
    "CallBatch",
    "CallObserver",
    "CallRecord",
    "CommitGate",
    "SoapResource",
    "bounded_request_factory",
]

log = logging.getLogger("gateway.server")

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"


class BoundedRequest(ServerRequest):
    """A request that stops storing its body past ``max_body`` bytes and remembers it did."""

    max_body = 8 * 1024 * 1024
    body_too_large = False
    _received = 0

    def gotLength(self, length: int | None) -> None:  # noqa: N802 - Twisted's interface
        if length is not None and length > self.max_body:
            self.body_too_large = True
            length = 0  # keep an in-memory buffer; the bytes are read and dropped
        super().gotLength(length)

    def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 - Twisted's interface
        if self.body_too_large:
            return
        self._received += len(data)
        if self._received > self.max_body:
            self.body_too_large = True
            if self.content is not None:
                self.content.close()  # Twisted's temporary file for a body of unknown length
            self.content = io.BytesIO()
            return
        super().handleContentChunk(data)


def bounded_request_factory(max_body: int) -> Callable[..., Request]:
    return type("BoundedRequestWithLimit", (BoundedRequest,), {"max_body": max_body})


@dataclass(frozen=True)
class CallRecord:
    """One SOAP call as the host saw it, handed to every observer once its answer is ready.

    ``operator`` is None when the caller was not authenticated; ``fault_code`` is the
    ``erreurEsav/code`` of a fault answer (None for a success).
    """

    request_id: str
    version: str
    service: str
    operation: str | None
    operator: str | None
    fingerprint: str | None
    started_at: float  # time.time()
    duration_s: float
    http_status: int
    fault_code: str | None
    request: bytes
    response: bytes
    #: The client's address (behind a load balancer with ``proxy_protocol``: the one it names).
    client: str | None = None


def _client_host(request: Request) -> str | None:
    host = getattr(request.getClientAddress(), "host", None)
    return None if host is None else str(host)


class CommitGate(Protocol):
    """What the host needs to hold answers until their writes are durable: the gateway's one seam for
    that, ``gateway.services.Durability`` (``Gateway.durable``)."""

    def commit_pending(self) -> bool: ...

    def after_commit(self, waiter: Callable[[BaseException | None], None]) -> None: ...

    def commit_now(self) -> None: ...

    def before_group_opens(self, hook: Callable[[], None] | None) -> None: ...


#: Observers see every POSTed call (logs, volumetry, metrics, the integration platform's journal).
#: They run after the answer is built; an observer that fails is logged and never changes the answer.
CallObserver = Callable[[CallRecord], None]


class _PendingCall:
    """A POSTed call read and validated, waiting for its batch: its service method, then its answer."""

    def __init__(
        self, resource: SoapResource, request: Request, call: dict[str, Any], body: bytes, started: float, clock: float
    ) -> None:
        self.resource, self.request, self.call, self.body = resource, request, call, body
        self.started, self.clock = started, clock
        self.spyne: _phases.SpyneCall | None = None
        self.fast: FastCall | None = None  # instead of spyne, for the hottest operations
        self.answer: bytes | None = None  # set when a phase failed outright
        # The connection the call came on (Twisted's request forgets it once answered, or closed).
        self.connection: Any = getattr(request, "channel", None)

    @property
    def may_write(self) -> bool:
        """Whether the call's method may write: not one answered already, nor a fast call that only
        reads (spyne's calls are not known in advance: they may)."""
        if self.answer is not None:
            return False
        return self.fast.writes if self.fast is not None else True

    def handle(self) -> None:
        if self.answer is not None:
            return
        try:
            if self.fast is not None:
                self.fast.handle()
            elif self.spyne is not None:
                _phases.handle(self.spyne)
        except Exception:
            self.answer = self.resource._incident(self.request, self.call)

    def finish(self, failure: BaseException | None = None) -> None:
        resource, request = self.resource, self.request
        answer = self.answer
        if failure is not None:  # the commit this answer depends on failed: an error, never a receipt
            error = failure if isinstance(failure, InternalError) else None  # the store logged it
            if error is None:
                error = InternalError(uuid.uuid4().hex[:12])
                log.error("incident %s: group commit failed", error.incident_id, exc_info=failure)
            self.call[CALL_FAULT] = "ERREUR_INTERNE"
            answer = resource._fault(request, error)
        elif answer is None and self.fast is not None:
            answer = resource._render_fast(request, self.fast, self.call)
        elif answer is None and self.spyne is not None:
            answer = resource._render(request, self.spyne, self.call)
        assert answer is not None
        if not request.finished and not getattr(request, "_disconnected", False):
            request.setHeader("Content-Length", str(len(answer)))
            request.write(answer)
            request.finish()
        if resource.observers:
            resource._notify(request, self.call, self.body, answer, self.started, time.perf_counter() - self.clock)


#: A batch holding this many calls runs without waiting for more: its fixed cost (BEGIN, COMMIT and
#: the disk's flush, about 0.4 ms of CPU) is then at most about a third of its calls' own.
ENOUGH_TO_RUN = 4


class CallBatch:
    """The calls that arrived in one turn of the reactor, run together once it has read them all.

    Each call is read and validated on arrival. The batch then runs the service methods, each in
    its own greenlet: a method that reaches its first write is suspended there, before the write
    opens the tick's group transaction (SQLite: and takes the writer lock shared with the other
    worker processes; PostgreSQL: whose row locks the others may wait for), while the next methods
    run their reads and checks. Once every method has finished or is waiting to write, the waiting
    ones resume in arrival order, the transaction opens for their writes only, and it is committed
    as soon as the last one is done; only then are the answers serialised and sent. The locks are
    thus held for the writes and the commit, not for TLS, HTTP, parsing, checks and serialisation:
    the other process does that work meanwhile.
    An answer that read or wrote inside the transaction leaves only after the commit; a
    failed commit turns those answers into ERREUR_INTERNE faults.

    With ``wait_s`` (``batch_wait_ms``), a batch of fewer than ``ENOUGH_TO_RUN`` calls, one of which may
    write, first waits for the connections answered within the last ``wait_s`` (and still open) to send
    their next request, at most ``wait_s``: clients that send again as soon as they have their answer
    then share a commit, instead of splitting into batches of one and three that each pay theirs. A
    connection that does not come back costs the waiting calls ``wait_s`` at most; with no connection
    answered that recently (a lone client, a quiet worker), nothing waits.
    """

    def __init__(
        self,
        gate: CommitGate | None,
        schedule: Callable[[Callable[[], None]], Any] | None = None,
        read_ahead: Callable[[Collection[str], Collection[str]], AbstractContextManager[None]] | None = None,
        *,
        wait_s: float = 0.0,
        call_later: Callable[[float, Callable[[], None]], Any] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._gate = gate
        self._schedule = schedule or _call_soon
        self._wait_s = wait_s if gate is not None else 0.0  # without a commit to share, nothing to wait for
        self._call_later = call_later or _call_later
        self._clock = clock
        self._answered: dict[Any, float] = {}  # connection: when its last answer left (with ``wait_s``)
        self._waiting_since: float | None = None  # when the pending calls started to wait
        self._delayed: Any = None  # the run that ends their wait
        # The certificates and prestations the batch's calls will read, read together before any method
        # runs (``Gateway.batch_reads``: one statement each instead of one a call; None: nothing to read).
        self._read_ahead = read_ahead
        self._pending: list[_PendingCall] = []
        self._runner: greenlet.greenlet | None = None  # the batch's own greenlet while it runs methods
        # The greenlets the methods ran in, kept for the next batches (``_run_methods``). A batch runs in
        # one thread, the reactor's: a greenlet can be switched to from the thread that made it only.
        self._idle: list[greenlet.greenlet] = []

    def add(self, pending: _PendingCall) -> None:
        if self._wait_s:
            self._answered.pop(pending.connection, None)  # back: no longer expected
        self._pending.append(pending)
        if len(self._pending) == 1:
            self._schedule(self.run)
        elif self._delayed is not None and (len(self._pending) >= ENOUGH_TO_RUN or not self._expected(self._clock())):
            self._delayed.cancel()
            self._delayed = None
            self._schedule(self.run)

    def _expected(self, now: float) -> dict[Any, float]:
        """The connections answered within the last ``wait_s`` that have not sent again and are still
        open (the others are forgotten)."""
        self._answered = {
            c: at for c, at in self._answered.items() if now - at < self._wait_s and not getattr(c, "closed", False)
        }
        return self._answered

    def run(self) -> None:
        self._delayed = None
        if self._wait_s and len(self._pending) < ENOUGH_TO_RUN and any(p.may_write for p in self._pending):
            # (calls that only read have no commit to share)
            now = self._clock()
            expected = self._expected(now)
            if expected:
                if self._waiting_since is None:
                    self._waiting_since = now
                until = min(max(expected.values()), self._waiting_since) + self._wait_s
                if until > now:
                    self._delayed = self._call_later(until - now, self.run)
                    return
        self._waiting_since = None
        calls, self._pending = self._pending, []
        try:
            self._start(calls)
        finally:
            if self._wait_s:
                now = self._clock()
                answered = self._expected(now)  # the older ones forgotten: closed connections are not kept
                for pending in calls:
                    if pending.connection is not None:
                        answered[pending.connection] = now

    def _start(self, calls: list[_PendingCall]) -> None:
        """The batch's reads ahead, then its methods, commit and answers."""
        if self._read_ahead is None:
            self._run(calls)
            return
        live = [p for p in calls if p.answer is None]  # the calls not refused before their method
        # One key per call that will read it: calls of one operator's system share its certificate.
        fingerprints = [f for p in live if (f := p.call.get(CLIENT_FINGERPRINT))]
        prestations = [r for p in live if p.fast is not None and (r := p.fast.prestation())]
        with self._read_ahead(fingerprints, prestations):
            self._run(calls)

    def _run(self, calls: list[_PendingCall]) -> None:
        gate = self._gate
        if gate is None:  # every write commits on its own: nothing to hold, nothing to group
            for pending in calls:
                pending.handle()
                pending.finish()
            return
        held: list[_PendingCall] = []
        ready: list[_PendingCall] = []

        def settle(pending: _PendingCall) -> None:
            if gate.commit_pending():
                held.append(pending)
                gate.after_commit(pending.finish)
            else:
                ready.append(pending)

        self._runner = greenlet.getcurrent()
        gate.before_group_opens(self._wait_for_the_writes)
        try:
            waiting: list[tuple[_PendingCall, greenlet.greenlet]] = []
            idle, runner = self._idle, self._runner
            for pending in calls:
                method = idle.pop() if idle else greenlet.greenlet(_run_methods)
                if method.parent is not runner:  # it hands back to whoever runs this batch
                    method.parent = runner
                if method.switch(pending.handle) is _RETURNED:
                    idle.append(method)
                    settle(pending)
                else:  # paused before its first write
                    waiting.append((pending, method))
            self._runner = None  # from now on a write opens the transaction at once
            for pending, method in waiting:
                if method.switch() is _RETURNED:
                    idle.append(method)
                settle(pending)
        finally:
            self._runner = None
            gate.before_group_opens(None)
            del self._idle[KEEP_METHOD_GREENLETS:]
        if held:
            gate.commit_now()  # the held answers are finished by their waiters
        for pending in ready:
            pending.finish()

    def _wait_for_the_writes(self) -> None:
        """A method is about to write first: back to the batch, which resumes it once every method
        has had its turn (no-op outside the first round, or outside a method's greenlet)."""
        runner = self._runner
        if runner is not None and greenlet.getcurrent() is not runner:
            runner.switch()


# The calls' ids: 64 bits from a generator the system seeds once a process (again in a forked child),
# rather than ``uuid4`` and its system call each time: an id tells calls apart in the logs and in
# ``idErreur``, it guards nothing.
_ids = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)


def _request_id() -> str:
    """A call's id: 16 hexadecimal digits."""
    return f"{_ids.getrandbits(64):016x}"


#: What a method's greenlet gives back when its method has returned (and it may run another).
_RETURNED = object()


#: Idle method greenlets a batch keeps at most.
KEEP_METHOD_GREENLETS = 64


def _run_methods(method: Callable[[], None] | None) -> None:
    """A method greenlet's life: run the method it is given, hand control back, and wait for the next.

    The greenlets live on from one batch to the next rather than one a call: Python gives a new
    greenlet's first frame 16 KiB of fresh memory, mapped, then unmapped when the greenlet ends, two
    system calls and page faults a call (bench/README.md)."""
    while method is not None:
        method()
        method = None  # nothing of the call kept while the greenlet waits
        method = greenlet.getcurrent().parent.switch(_RETURNED)


def _call_soon(fn: Callable[[], None]) -> Any:
    return _call_later(0, fn)


def _call_later(delay: float, fn: Callable[[], None]) -> Any:
    reactor: Any = default_reactor
    return reactor.callLater(delay, fn)


class _StartResponse:
    """WSGI's ``start_response``: keeps the status and headers spyne gives, for the host to set."""

    def __init__(self) -> None:
        self.status = "500 Internal Server Error"
        self.headers: list[tuple[str, str]] = []

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        self.status, self.headers = status, headers


class SoapResource(Resource):
    """Serves one SOAP endpoint (``/esav/{version}/{service}``) and its WSDL."""

    isLeaf = True  # noqa: N815 - Twisted's attribute name

    def __init__(
        self,
        wsgi_app: Any,
        namespace: str,
        *,
        max_depth: int,
        public_url: str | None = None,
        version: str = "",
        service: str = "",
        observers: Sequence[CallObserver] = (),
        batch: CallBatch | None = None,
        guards: Sequence[Guard] = (),
        authenticate: Callable[[str | None], object] | None = None,
        fast_path: FastPath | None = None,
        build: Callable[[], tuple[Any, FastPath | None]] | None = None,
    ) -> None:
        super().__init__()
        # ``build``: the spyne application and the fast path are made on the first request that
        # needs them (most of a gateway's start-up otherwise, for services a process may never serve).
        self._build = build
        self._given = (wsgi_app, fast_path)
        self._built: tuple[Any, FastPath | None, frozenset[str]] | None = None
        self._namespace = namespace
        self._max_depth = max_depth
        self._public_url = public_url
        self._version = version
        self._service = service
        self.observers: list[CallObserver] = list(observers)
        # One batch per site, so that the calls of every endpoint in one tick share one commit; a
        # resource on its own (the echo yardstick, the reference receiver) has no store to group.
        self._batch = batch if batch is not None else CallBatch(None)
        # Run without a caller before the envelope is read (maintenance, retirement): their refusal
        # is the answer even to a request the contract would refuse (contract §8: MAINTENANCE first).
        self._guards = tuple(guards)
        # Checks the client certificate's fingerprint (raising AuthenticationError) before a GET: the
        # WSDL goes to the certificates that may call the operations, no others.
        self._authenticate = authenticate

    def _endpoint(self) -> tuple[Any, FastPath | None, frozenset[str]]:
        """The WSGI application, the fast path (reads and answers the hottest operations without
        spyne's object mapping: ``gateway.ws``) and the operations' names, built once."""
        if self._built is None:
            app, fast_path = self._build() if self._build is not None else self._given
            interface = getattr(getattr(app, "app", None), "interface", None)
            operations = frozenset(getattr(interface, "service_method_map", ()))  # "{namespace}name"
            self._built = (app, fast_path, operations)
        return self._built

    @property
    def _app(self) -> Any:
        return self._endpoint()[0]

    @property
    def _fast_path(self) -> FastPath | None:
        return self._endpoint()[1]

    @property
    def _operations(self) -> frozenset[str]:
        return self._endpoint()[2]

    def render_GET(self, request: Request) -> bytes:  # noqa: N802 - Twisted's interface
        try:
            if self._authenticate is not None:
                self._authenticate(_client_fingerprint(request))
            response = _StartResponse()
            payload = b"".join(self._app(self._environ(request, b""), response))
            self._respond(request, response, {})
            return payload
        except EsavError as error:
            return self._refuse_get(request, error)
        except Exception:
            return self._incident(request, {})

    def _refuse_get(self, request: Request, error: EsavError) -> bytes:
        """A GET (the WSDL) refused, as an operation would be, but in HTTP terms: 403 and the reason
        in one line of text (a WSDL client reads no SOAP fault)."""
        log.info("%s %s refused: %s %s", request.method.decode("ascii"), request.uri, error.code, error.libelle)
        request.setResponseCode(403)
        request.setHeader("Content-Type", "text/plain; charset=utf-8")
        return f"{error.code} : {error.libelle}\n".encode()

    def render_POST(self, request: Request) -> int:  # noqa: N802 - Twisted interface; int is NOT_DONE_YET
        started, clock = time.time(), time.perf_counter()
        call: dict[str, Any] = {CALL_REQUEST_ID: _request_id()}
        body = b""
        pending = _PendingCall(self, request, call, body, started, clock)
        try:
            if getattr(request, "body_too_large", False):
                limit = getattr(request, "max_body", 0)
                raise InvalidRequestError(f"Requête trop volumineuse : au plus {limit // (1024 * 1024)} Mo.")
            content = request.content
            if content is not None:
                content.seek(0)
                body = pending.body = content.read()
            document = check_request_xml(body, max_depth=self._max_depth)
            self._run_guards(document, call)
            check_soap_body(document)  # after the guards: MAINTENANCE answers any request first
        except EsavError as error:
            call[CALL_FAULT] = error.code
            error.request_id = call[CALL_REQUEST_ID]
            pending.answer = self._fault(request, error)
            pending.finish()
            return NOT_DONE_YET
        try:
            if self._fast_path is not None and request.getHeader("content-type") is not None:
                fingerprint = call[CLIENT_FINGERPRINT] = _client_fingerprint(request)
                pending.fast = self._fast_path.read(document, call, fingerprint)
                if pending.fast is not None:
                    self._batch.add(pending)
                    return NOT_DONE_YET
            environ = self._environ(request, body)
            environ[PARSED_DOCUMENT] = document  # parsed once, here, for spyne too
            # The wire layer writes what it learns (operation, operator, fault code) into ``call``.
            environ[CALL_INFO] = call
            call[CLIENT_FINGERPRINT] = environ[CLIENT_FINGERPRINT]
            pending.spyne = _phases.read(self._app, environ)
        except Exception:
            pending.answer = self._incident(request, call)
        self._batch.add(pending)
        return NOT_DONE_YET

    def _run_guards(self, document: Any, call: dict[str, Any]) -> None:
        if not self._guards:
            return
        body = document.find(f"{{{SOAP_ENV}}}Body")
        first = next((child for child in body if isinstance(child.tag, str)), None) if body is not None else None
        operation = first.tag if first is not None else ""
        if operation in self._operations:  # only known names reach the call record (metrics labels)
            call[CALL_OPERATION] = operation.rpartition("}")[2]
        for guard in self._guards:
            guard(None, operation)

    def _render(self, request: Request, spyne: _phases.SpyneCall, call: dict[str, Any]) -> bytes:
        try:
            response = _StartResponse()
            payload = _phases.render(spyne, response)
            self._respond(request, response, call)
            return payload
        except Exception:
            return self._incident(request, call)

    def _render_fast(self, request: Request, fast: FastCall, call: dict[str, Any]) -> bytes:
        try:
            status, payload = fast.render()
        except Exception:
            return self._incident(request, call)
        request.setResponseCode(status)
        request.setHeader("Content-Type", "text/xml; charset=utf-8")
        if call.get(CALL_RETRY_AFTER) is not None:
            request.setHeader("Retry-After", str(call[CALL_RETRY_AFTER]))
        return payload

    def _respond(self, request: Request, response: _StartResponse, call: dict[str, Any]) -> None:
        code, _, message = response.status.partition(" ")
        request.setResponseCode(int(code), message.encode())
        for name, value in response.headers:
            if name.lower() != "content-length":
                request.setHeader(name, value)
        if call.get(CALL_RETRY_AFTER) is not None:
            request.setHeader("Retry-After", str(call[CALL_RETRY_AFTER]))

    def _incident(self, request: Request, call: dict[str, Any]) -> bytes:
        incident = call.get(CALL_REQUEST_ID) or uuid.uuid4().hex[:12]
        log.exception("incident %s: failure while serving %s", incident, request.uri)
        call[CALL_FAULT] = "ERREUR_INTERNE"
        return self._fault(request, InternalError(incident))

    def _notify(
        self, request: Request, call: dict[str, Any], body: bytes, answer: bytes, started: float, duration: float
    ) -> None:
        status = int(getattr(request, "code", 200) or 200)
        fault = call.get(CALL_FAULT)
        if fault is None and status >= 400:
            fault = "REQUETE_INVALIDE"  # a fault spyne raised before reaching our services
        record = CallRecord(
            request_id=call[CALL_REQUEST_ID],
            version=self._version,
            service=self._service,
            operation=call.get(CALL_OPERATION),
            operator=call.get(CALL_OPERATOR),
            fingerprint=call.get(CLIENT_FINGERPRINT),
            started_at=started,
            duration_s=duration,
            http_status=status,
            fault_code=fault,
            request=body,
            response=answer,
            client=_client_host(request),
        )
        for observer in self.observers:
            try:
                observer(record)
            except Exception:
                log.exception("call observer %r failed", observer)

    def _fault(self, request: Request, error: EsavError) -> bytes:
        request.setResponseCode(500)
        request.setHeader("Content-Type", "text/xml; charset=utf-8")
        if error.reessayer_dans is not None:
            request.setHeader("Retry-After", str(error.reessayer_dans))
        return fault_envelope(error, self._namespace)

    def _environ(self, request: Request, body: bytes) -> dict[str, Any]:
        host = request.getHost()
        path, _, query = request.uri.decode("latin-1").partition("?")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method.decode("ascii"),
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": getattr(host, "host", "localhost"),
            "SERVER_PORT": str(getattr(host, "port", 0)),
            "SERVER_PROTOCOL": request.clientproto.decode("ascii"),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if request.isSecure() else "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        for name, values in request.requestHeaders.getAllRawHeaders():
            key = name.decode("latin-1").upper().replace("-", "_")
            value = ",".join(v.decode("latin-1") for v in values)
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        # The identity comes from the TLS layer only; no header can reach this key (they are HTTP_*).
        environ[CLIENT_FINGERPRINT] = _client_fingerprint(request)
        return environ


def _client_fingerprint(request: Request) -> str | None:
    """SHA-256 of the verified client certificate of the request's TLS connection, if any."""
    channel: Any = request.channel  # TimedChannel or its subclass LeanChannel: limited_site's channels
    return channel.client_fingerprint()
