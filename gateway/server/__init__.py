"""The network server: Twisted over mutual TLS, hosting the wire layer."""

from ._host import BoundedRequest, CallBatch, CallObserver, CallRecord, SoapResource, bounded_request_factory
from ._lean_http import LeanChannel, lean_soap
from ._operations import TEXT_LOG_FORMAT, JsonLogFormatter, LinesEachTurn, Operations, lean_log_records
from ._proxy import listen_tls
from ._receiver import EventLog, start_receiver
from ._site import ENDPOINTS, PkiFiles, RunningGateway, build_site, limited_site, start
from ._timeouts import TimedChannel, limit_connection_times
from ._workers import (
    listening_socket,
    pin_worker,
    stop_when_orphaned,
    supervise_workers,
    worker_count,
    worker_listener,
)

__all__ = [
    "ENDPOINTS",
    "TEXT_LOG_FORMAT",
    "BoundedRequest",
    "CallBatch",
    "CallObserver",
    "CallRecord",
    "EventLog",
    "JsonLogFormatter",
    "LeanChannel",
    "LinesEachTurn",
    "Operations",
    "PkiFiles",
    "RunningGateway",
    "SoapResource",
    "TimedChannel",
    "bounded_request_factory",
    "build_site",
    "lean_log_records",
    "lean_soap",
    "limit_connection_times",
    "limited_site",
    "listen_tls",
    "listening_socket",
    "pin_worker",
    "start",
    "start_receiver",
    "stop_when_orphaned",
    "supervise_workers",
    "worker_count",
    "worker_listener",
]
