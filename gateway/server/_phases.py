"""spyne's ``WsgiApplication.handle_rpc`` cut into its three phases, so the host can run them apart.

``handle_rpc`` reads, calls the service and serialises in one go. The host needs them separately:
the envelope is read and validated as soon as its bytes arrive, the service methods of
all the calls that arrived together run next, in one group transaction whose locks are held
for that part only, and the answers are serialised once the transaction is durable. The code below
is ``handle_rpc``'s own (spyne 2.14.0), in the same order, without the parts no gateway service
uses (MTOM attachments, HttpRpc response headers, chunked answers: every answer is sent with its
length), and an answer that fails to serialise is raised to the host rather than sent half-built;
the WSDL requests (GET) keep going through ``WsgiApplication.__call__``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from inspect import isgenerator
from itertools import chain
from typing import Any

from spyne.auxproc import process_contexts
from spyne.const.http import HTTP_200
from spyne.server.wsgi import WsgiApplication, WsgiMethodContext, _gen_http_headers

__all__ = ["SpyneCall", "handle", "read", "render"]

StartResponse = Callable[..., None]


@dataclass
class SpyneCall:
    """One POSTed call between the phases: its primary context and the auxiliary ones."""

    app: WsgiApplication
    p_ctx: Any
    others: list[Any] = field(default_factory=list)
    error: Any = None  # the in or out error to answer with, once known


def read(app: WsgiApplication, environ: dict[str, Any]) -> SpyneCall:
    """Phase 1: contexts, envelope, method and arguments (validated against the schema)."""
    initial_ctx = WsgiMethodContext(app, environ, app.app.out_protocol.mime_type)
    app.event_manager.fire_event("wsgi_call", initial_ctx)
    initial_ctx.in_string, charset = app._WsgiApplication__reconstruct_wsgi_request(environ)
    contexts = app.generate_contexts(initial_ctx, charset)
    p_ctx, others = contexts[0], contexts[1:]
    p_ctx.active = True
    call = SpyneCall(app, p_ctx, list(others))
    if p_ctx.in_error:
        call.error = p_ctx.in_error
        return call
    app.get_in_object(p_ctx)
    if p_ctx.in_error:
        call.error = p_ctx.in_error
    return call


def handle(call: SpyneCall) -> None:
    """Phase 2: the service method (where the reads and writes happen)."""
    if call.error is not None:
        return
    p_ctx = call.p_ctx
    call.app.get_out_object(p_ctx)
    if p_ctx.out_error:
        call.error = p_ctx.out_error
        return
    assert p_ctx.out_object is not None
    first = next(iter(p_ctx.out_object))
    if len(p_ctx.out_object) == 1 and isgenerator(first):
        p_ctx.out_object = (chain((next(first),), first),)


def render(call: SpyneCall, start_response: StartResponse) -> bytes:
    """Phase 3: the answer (or the fault) as bytes; ``start_response`` gets its status and headers."""
    app, p_ctx = call.app, call.p_ctx
    if call.error is None:
        if p_ctx.transport.resp_code is None:
            p_ctx.transport.resp_code = HTTP_200
        try:
            app.get_out_string(p_ctx)
        except Exception:
            # Unlike handle_rpc, which would answer a fault with the envelope it had begun (an
            # Envelope without its Body, HTTP 200): the host answers ERREUR_INTERNE with the call's
            # id and logs the traceback under it.
            p_ctx.out_document = p_ctx.out_string = None
            raise
    if call.error is not None:
        return b"".join(app.handle_error(p_ctx, call.others, call.error, start_response))
    app.event_manager.fire_event("wsgi_return", p_ctx)
    payload = b"".join(p_ctx.out_string)
    p_ctx.transport.resp_headers["Content-Length"] = str(len(payload))
    start_response(p_ctx.transport.resp_code, _gen_http_headers(p_ctx.transport.resp_headers))
    app._WsgiApplication__finalize(p_ctx)
    process_contexts(app, call.others, p_ctx, error=None)
    return payload
