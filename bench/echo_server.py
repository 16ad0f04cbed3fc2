"""The yardstick: a bare spyne echo served exactly as the gateway serves its endpoints.

Same ``SoapResource`` (hardened parse, spyne's ``WsgiApplication`` called in the reactor thread),
same channel (``LeanChannel``: the calls read without twisted.web's requests), same request factory,
same mutual-TLS options, same Twisted reactor; only the application differs:
one ``echo`` operation with no business work. The gateway's figures divided by this one's say what
the gateway's own work costs, independently of how fast the machine is today.

Run as ``python -m bench.echo_server --port P --pki DIR`` (``DIR`` holds ca.pem, server.pem,
server.key, as ``esav servir --demo`` leaves them).
"""

from __future__ import annotations

import argparse
import logging
import signal
from pathlib import Path
from typing import Any

from spyne import Application, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication
from twisted.web.resource import Resource
from twisted.web.server import Site

from gateway.config import Settings

# The seam being measured: the gateway's own resource and site assembly (build_site needs a Gateway).
from gateway.server import SoapResource, limited_site
from gateway.server.tls import server_tls_options

__all__ = ["ECHO_NAMESPACE", "ECHO_PATH", "build_echo_site", "echo_application"]

ECHO_NAMESPACE = "urn:esav:bench:echo"
ECHO_PATH = "/bench/echo"


def echo_application() -> Application:
    """One operation, ``echo(texte) -> texte``, validated by lxml like the gateway's requests."""

    class EchoService(ServiceBase):
        @rpc(Unicode, _returns=Unicode)
        def echo(ctx, texte):  # noqa: N805 - spyne's @rpc passes the context first
            return texte

    return Application(
        [EchoService],
        tns=ECHO_NAMESPACE,
        name="BenchEcho",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )


def build_echo_site(settings: Settings | None = None, *, http: str = "lean") -> Site:
    """The echo's site, assembled as the gateway's; ``http="lean"`` reads the calls as the gateway
    does (``LeanChannel``), ``"twisted"`` through twisted.web's own channel and requests (the host
    before that channel)."""
    settings = settings or Settings()
    root: Any = Resource()
    bench: Any = Resource()
    root.putChild(b"bench", bench)
    echo = SoapResource(WsgiApplication(echo_application()), ECHO_NAMESPACE, max_depth=settings.max_xml_depth)
    bench.putChild(b"echo", echo)
    return limited_site(root, settings, soap_paths={ECHO_PATH.encode(): echo} if http == "lean" else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pki", type=Path, required=True, help="folder with ca.pem, server.pem, server.key")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--http", choices=("lean", "twisted"), default="lean", help="read the calls as the gateway does (lean)"
    )
    args = parser.parse_args(argv)

    from twisted.internet import reactor as _reactor

    reactor: Any = _reactor
    logging.getLogger("spyne").setLevel(logging.CRITICAL)
    options = server_tls_options(
        (args.pki / "server.pem").read_bytes(),
        (args.pki / "server.key").read_bytes(),
        [(args.pki / "ca.pem").read_bytes()],
    )
    reactor.listenSSL(args.port, build_echo_site(http=args.http), options, interface=args.host)
    signal.signal(signal.SIGTERM, lambda *_: reactor.callFromThread(reactor.stop))
    reactor.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
