"""The network server: Twisted over mutual TLS, hosting the wire layer."""

from ._site import ENDPOINTS, PkiFiles, RunningGateway, build_site, start

__all__ = ["ENDPOINTS", "PkiFiles", "RunningGateway", "build_site", "start"]
