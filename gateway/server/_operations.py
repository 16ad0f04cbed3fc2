"""What the server adds to run the service for real: maintenance and rate-limit guards,
volumetry and call logs as call observers, the periodic flush and certificate check, the operations
port (``/metrics``, ``/health/live``, ``/health/ready``).

``start()`` (``_site.py``) builds one ``Operations`` per process and stops it with the server.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from twisted.internet import threads
from twisted.internet.defer import Deferred
from twisted.internet.error import CannotListenError
from twisted.internet.task import LoopingCall
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.config import Settings
from gateway.domain.maintenance import NightlyWindow
from gateway.errors import ConfigError
from gateway.services import Caller, Gateway
from gateway.ws import Guard

from ._health import health_resource
from ._host import CallObserver, CallRecord
from ._metrics import MetricsResource

__all__ = [
    "TEXT_LOG_FORMAT",
    "JsonLogFormatter",
    "LinesEachTurn",
    "Operations",
    "call_log_observer",
    "form_previews_task",
    "guarded",
    "in_thread",
    "lean_log_records",
    "operation_guards",
    "start_operations",
    "volumetry_observer",
]

log = logging.getLogger("gateway.server")
call_log = logging.getLogger("gateway.calls")

#: Seconds between two looks for certificates entering their expiry window (daily check; the
#: reminder itself is given once per certificate, whichever process sees it first).
CERTIFICATE_CHECK_S = 24 * 3600.0
#: Seconds between two looks for the day's form previews to compute and the reminders to send.
FORM_PREVIEW_CHECK_S = 3600.0


def nightly_window(settings: Settings) -> NightlyWindow | None:
    if settings.maintenance_minutes == 0:
        return None
    return NightlyWindow(settings.maintenance_start, timedelta(minutes=settings.maintenance_minutes))


def operation_guards(gateway: Gateway, settings: Settings) -> tuple[tuple[Guard, ...], tuple[Guard, ...]]:
    """The guards of every operation of every version: first maintenance (run by the host, before the
    envelope is validated, with no caller), last rate limits (run by the service base, with the
    authenticated caller)."""
    nightly = nightly_window(settings)

    def maintenance(caller: Caller | None, operation: str) -> None:
        if caller is None:
            gateway.maintenance.check(nightly)

    def rate_limit(caller: Caller | None, operation: str) -> None:
        if caller is not None:
            gateway.rate_limits.check(caller.operator_code)

    return (maintenance,), (rate_limit,)


def volumetry_observer(gateway: Gateway) -> CallObserver:
    """Counts every call in memory (``gateway.volumetry``); the flush writes them."""
    record = gateway.volumetry.record

    def observe(call: CallRecord) -> None:
        record(
            operator=call.operator,
            version=call.version,
            service=call.service,
            operation=call.operation,
            fault_code=call.fault_code,
            duration_s=call.duration_s,
        )

    return observe


def call_log_observer() -> CallObserver:
    """One log record per SOAP call, with its fields as ``extra`` (``esav_call``): the JSON formatter
    writes them as one object; never the body, personal data or keys."""

    def observe(call: CallRecord) -> None:
        if not call_log.isEnabledFor(logging.INFO):
            return
        fields = {
            "ts": datetime.fromtimestamp(call.started_at, UTC).isoformat(timespec="milliseconds"),
            "request_id": call.request_id,
            "operator": call.operator,
            "client": call.client,
            "version": call.version,
            "service": call.service,
            "operation": call.operation,
            "outcome": "OK" if call.fault_code is None else "FAULT",
            "fault_code": call.fault_code,
            "http_status": call.http_status,
            "duration_ms": round(call.duration_s * 1000.0, 3),
        }
        call_log.info(
            "%s %s/%s %s %s %.1f ms",
            call.request_id,
            call.version,
            call.service,
            call.operation or "-",
            call.fault_code or "OK",
            fields["duration_ms"],
            extra={"esav_call": fields},
        )

    return observe


#: The server's log lines in text (``--format-journal text``, the default): time, level, logger, message.
TEXT_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def lean_log_records() -> None:
    """Log records without what neither of the server's formats writes (text: time, level, logger,
    message; JSON: the same, or a call's fields): the calling function, file and line (found by walking
    the stack), the thread's and the process's names and the process id. About 10 µs of CPU a SOAP
    call less, for its call log line (bench/README.md); the switches the logging documentation gives
    for that ("Optimization"). For the server processes only, once they start serving: a command stopped
    by its checks leaves logging as it was."""
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no caller's file, function and line


class JsonLogFormatter(logging.Formatter):
    """JSON lines: a call's (``esav_call``) or a portal event's (``esav_event``) fields as they are, any
    other record as ts, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "esav_call", None) or getattr(record, "esav_event", None)
        if fields is None:
            fields = {
                "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
            }
            if record.exc_info:
                fields["exception"] = self.formatException(record.exc_info)
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


class LinesEachTurn(logging.StreamHandler):
    """The server's log lines written to its stream together, once a turn of the reactor, rather than
    one write (a system call) a line: a SOAP call's log line cost twice as much CPU with its own write
    (bench/README.md). A line waits until the reactor has finished what it is doing (a batch of calls
    and their answers), a few milliseconds at most. A warning or an error, a line logged by another
    thread, and the end of logging (``logging.shutdown``, at exit) write out at once whatever waits,
    in order.

    ``call_soon`` runs a function once the reactor's current work is done (``reactor.callLater(0,
    ...)``); the thread that makes the handler is the reactor's."""

    def __init__(self, stream: Any, call_soon: Callable[[Callable[[], None]], Any]) -> None:
        super().__init__(stream)
        self._call_soon = call_soon
        self._thread = threading.get_ident()
        self._lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
        except Exception:
            self.handleError(record)
            return
        self._lines.append(line)  # under the handler's lock (``Handler.handle``), as ``flush``
        if record.levelno >= logging.WARNING or threading.get_ident() != self._thread:
            self.flush()
        elif len(self._lines) == 1:
            self._call_soon(self.flush)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # made by ``Handler.__init__``
            if self._lines:
                text, self._lines = "".join(self._lines), []
                try:
                    self.stream.write(text)
                except Exception:
                    return  # as ``StreamHandler.flush`` on a closed stream: logging never stops the server
            super().flush()


def guarded(task: Any, what: str) -> Any:
    def run() -> None:
        try:
            task()
        except Exception:  # a periodic task must never stop the server; it runs again next time
            log.exception("%s failed", what)

    return run


def form_previews_task(gateway: Gateway) -> Any:
    def run() -> None:
        gateway.form_previews.refresh_day()
        gateway.form_previews.remind()

    return run


def in_thread(reactor: Any, task: Any, what: str) -> Any:
    """``task`` run in the reactor's thread pool; a failure is logged, and the task runs again next time."""

    def run() -> None:
        done = threads.deferToThreadPool(reactor, reactor.getThreadPool(), task)
        done.addErrback(lambda failure: log.error("%s failed: %s", what, failure.getErrorMessage()))

    return run


@dataclass
class Operations:
    """The per-process running-the-service parts of a server."""

    gateway: Gateway
    observers: list[CallObserver]
    tasks: list[LoopingCall] = field(default_factory=list)
    metrics_port: Any = None
    #: Whether this process runs the background work now (``esav_leader``); the server sets it.
    leading: Callable[[], bool] = lambda: False

    @property
    def metrics_port_number(self) -> int | None:
        return None if self.metrics_port is None else int(self.metrics_port.getHost().port)

    def flush(self) -> Deferred[int]:
        """Write the counted calls now (tests, stop); fires with their number once committed (with
        group commit, the flush is part of the reactor tick's transaction)."""
        flushed = self.gateway.volumetry.flush()
        done: Deferred[int] = Deferred()
        durable = self.gateway.durable
        if durable.commit_pending():
            durable.after_commit(lambda failure: done.callback(flushed) if failure is None else done.errback(failure))
        else:
            done.callback(flushed)
        return done

    def stop(self) -> None:
        for task in self.tasks:
            if task.running:
                task.stop()
        try:
            self.gateway.volumetry.flush()
        except Exception:
            log.exception("final volumetry flush failed")
        if self.metrics_port is not None:
            self.metrics_port.stopListening()
            self.metrics_port = None


def start_operations(
    gateway: Gateway, settings: Settings, reactor: Any, observers: Sequence[CallObserver] = (), *, leader: bool = True
) -> Operations:
    """Start the flush (every process), and on the machine's first process (``leader``) the ``/metrics``
    port; the observers to give the site come first in ``observers``. The work that runs once for all
    the processes sharing the store is ``_background``'s."""
    ops = Operations(gateway, [volumetry_observer(gateway), call_log_observer(), *observers])
    loop = LoopingCall(guarded(gateway.volumetry.flush, "volumetry flush"))
    loop.clock = reactor
    loop.start(settings.volumetry_flush_s, now=False)
    ops.tasks.append(loop)
    if leader and settings.metrics_port is not None:  # the operations port: /metrics, /health/live, /health/ready
        root = Resource()
        metrics = MetricsResource(gateway, nightly_window(settings), lambda: ops.leading())
        root.putChild(b"metrics", metrics)  # type: ignore[arg-type]
        root.putChild(b"health", health_resource(gateway))  # type: ignore[arg-type]
        try:
            ops.metrics_port = reactor.listenTCP(settings.metrics_port, Site(root), interface=settings.metrics_host)
        except CannotListenError as error:
            for task in ops.tasks:
                task.stop()
            raise ConfigError(
                f"metrics_port : impossible d'écouter sur {settings.metrics_host}:{settings.metrics_port} "
                f"(port des métriques et de l'état de santé) : {error.socketError}. Choisissez un autre port "
                "(ESAV_METRICS_PORT ; 0 : choisi par le système ; vide : pas de port d'exploitation)."
            ) from None
    return ops
