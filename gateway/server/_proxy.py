"""Listening with mutual TLS, behind a TCP load balancer or not.

With ``proxy_protocol`` on, every connection must start with a PROXY protocol header (v1 or v2, as
HAProxy's ``send-proxy-v2`` sends it) before its TLS handshake: the connection's peer is then the
client the load balancer names, which the logs and the portal's throttling see. A connection
without the header is closed (twisted.protocols.haproxy).
"""

from __future__ import annotations

from typing import Any

# The wrapper ``twisted.protocols.haproxy.proxyEndpoint`` applies, taken as a factory: an adopted
# socket (one per worker process) has no endpoint of its own to wrap.
from twisted.protocols.haproxy._wrapper import HAProxyWrappingFactory
from twisted.protocols.tls import TLSMemoryBIOFactory

__all__ = ["listen_tls", "tls_factory"]


def tls_factory(options: Any, site: Any, *, proxy_protocol: bool) -> Any:
    """``site`` served with TLS (``options``), after a PROXY protocol header when asked."""
    factory: Any = TLSMemoryBIOFactory(options, False, site)
    return HAProxyWrappingFactory(factory) if proxy_protocol else factory


def listen_tls(reactor: Any, port: int, site: Any, options: Any, interface: str, *, proxy_protocol: bool) -> Any:
    """Listen on ``interface:port`` (``reactor.listenSSL`` when no PROXY header is expected)."""
    if not proxy_protocol:
        return reactor.listenSSL(port, site, options, interface=interface)
    return reactor.listenTCP(port, tls_factory(options, site, proxy_protocol=True), interface=interface)
