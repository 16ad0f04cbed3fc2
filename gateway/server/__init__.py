"""The network server: Twisted over mutual TLS, hosting the wire layer."""

from ._host import BoundedRequest, CallObserver, CallRecord, SoapResource, bounded_request_factory
from ._site import ENDPOINTS, PkiFiles, RunningGateway, build_site, start

__all__ = [
    "ENDPOINTS",
    "BoundedRequest",
    "CallObserver",
    "CallRecord",
    "PkiFiles",
    "RunningGateway",
    "SoapResource",
    "bounded_request_factory",
    "build_site",
    "start",
]
