"""A closed-loop HTTPS load generator: keep-alive HTTP/1.1 connections with a client certificate.

Why not Apache Bench: ``ab`` speaks HTTP/1.0 only, and Twisted never keeps an HTTP/1.0 connection
alive (``HTTPChannel.checkPersistence``), so every ``ab`` request pays a full TLS handshake with a
client certificate (about 100 requests/s here, whatever the server does). This generator is one
non-blocking ``selectors`` loop per process, no asyncio, a few tens of microseconds of CPU per
request; its own CPU use is measured and reported so that a saturated client shows.

Each connection sends its next request as soon as the previous answer is in. A request counts as
a success only if the answer is HTTP 200 *and* its body holds the expected element (a SOAP fault
is HTTP 500, but the check does not rely on that alone).

Run as ``python -m bench.loadgen SPEC_JSON``: it prints one JSON object (see ``run``).
"""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import ssl
import sys
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LoadSpec", "body_of", "http_request", "run"]

_MAX_ERROR_SAMPLES = 3


@dataclass(frozen=True)
class LoadSpec:
    """One load run against one URL path, as passed (in JSON) to a generator process."""

    port: int
    path: str
    body: str  # the request body (UTF-8 XML)
    soap_action: str
    marker: str  # a success's body contains this
    connections: int
    max_requests: int  # for this process
    duration_s: float
    start_at: float  # time.time() at which to start sending (all processes start together)
    cert: str
    key: str
    ca: str
    host: str = "127.0.0.1"
    server_name: str = "localhost"

    def to_json(self) -> str:
        return json.dumps(self.__dict__)


def http_request(spec: LoadSpec) -> bytes:
    body = spec.body.encode()
    head = (
        f"POST {spec.path} HTTP/1.1\r\n"
        f"Host: {spec.server_name}:{spec.port}\r\n"
        "Content-Type: text/xml; charset=utf-8\r\n"
        f'SOAPAction: "{spec.soap_action}"\r\n'
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


@dataclass
class _Connection:
    sock: ssl.SSLSocket
    pending: bytes = b""  # request bytes not yet sent
    buffer: bytearray = field(default_factory=bytearray)
    sent_at: float = 0.0
    busy: bool = False


def _connect(spec: LoadSpec, context: ssl.SSLContext) -> ssl.SSLSocket:
    raw = socket.create_connection((spec.host, spec.port), timeout=10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock = context.wrap_socket(raw, server_hostname=spec.server_name)
    sock.setblocking(False)
    return sock


def _response_length(buffer: bytearray) -> tuple[int, int] | None:
    """(status, total length) once the length is known, else None; total -1 if the answer has no length.

    With ``Content-Length`` the length is known from the head; with ``Transfer-Encoding: chunked``
    (the JDK's HTTP server under JAX-WS streams its answers so) only once the last chunk is in.
    """
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end]).lower()
    status = int(head[9:12])
    at = head.find(b"\r\ncontent-length:")
    if at < 0:
        if b"\r\ntransfer-encoding: chunked" in head:
            total = _chunked_end(buffer, end + 4)
            return None if total is None else (status, total)
        return status, -1
    stop = head.find(b"\r\n", at + 2)
    length = int(head[at + 17 : stop if stop > 0 else len(head)])
    return status, end + 4 + length


def _chunked_end(buffer: bytearray, start: int) -> int | None:
    """The end of a chunked body that begins at ``start``, once its last chunk (and trailer) is in."""
    position = start
    while True:
        line_end = buffer.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(bytes(buffer[position:line_end]).split(b";", 1)[0], 16)
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", line_end)  # an empty line ends the (usually empty) trailer
            return None if trailer_end < 0 else trailer_end + 4
        position = line_end + 2 + size + 2
        if position > len(buffer):
            return None


def body_of(answer: bytes) -> bytes:
    """The body of a complete answer, its chunks joined if it was chunked."""
    head, _, body = answer.partition(b"\r\n\r\n")
    if b"\r\ntransfer-encoding: chunked" not in head.lower():
        return body
    parts: list[bytes] = []
    position = 0
    while True:
        line_end = body.find(b"\r\n", position)
        size = int(body[position:line_end].split(b";", 1)[0], 16)
        if size == 0:
            return b"".join(parts)
        parts.append(body[line_end + 2 : line_end + 2 + size])
        position = line_end + 2 + size + 2


def _sample(answer: bytearray) -> str:
    """The status line and the start of the body of a failed answer."""
    status, _, rest = bytes(answer).partition(b"\r\n")
    body = rest.partition(b"\r\n\r\n")[2]
    return (status + b" " + body[:600]).decode("utf-8", "replace") if answer else "connection closed, no answer"


def run(spec: LoadSpec) -> dict[str, Any]:
    """Drive the server; returns counts, latencies (ms) and this process's CPU over the window."""
    context = ssl.create_default_context(cafile=spec.ca)
    context.load_cert_chain(spec.cert, spec.key)
    request = http_request(spec)
    marker = spec.marker.encode()
    selector = selectors.DefaultSelector()
    connections = [_Connection(_connect(spec, context)) for _ in range(spec.connections)]
    latencies: list[float] = []
    errors = 0
    reconnects = 0
    error_samples: list[str] = []
    issued = 0

    delay = spec.start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    cpu_start = time.process_time()
    started = time.perf_counter()
    deadline = started + spec.duration_s

    def send(conn: _Connection) -> None:
        nonlocal issued
        issued += 1
        conn.busy = True
        conn.pending = request
        conn.buffer.clear()
        conn.sent_at = time.perf_counter()
        flush(conn)

    def flush(conn: _Connection) -> None:
        while conn.pending:
            try:
                sent = conn.sock.send(conn.pending)
            except (ssl.SSLWantWriteError, BlockingIOError):
                selector.modify(conn.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, conn)
                return
            conn.pending = conn.pending[sent:]
        selector.modify(conn.sock, selectors.EVENT_READ, conn)

    def may_send() -> bool:
        return issued < spec.max_requests and time.perf_counter() < deadline

    for conn in connections:
        selector.register(conn.sock, selectors.EVENT_READ, conn)
    for conn in connections:
        if may_send():
            send(conn)
    hard_stop = deadline + 30.0  # in-flight answers get 30 s, then count as errors
    while any(c.busy for c in connections):
        if time.perf_counter() > hard_stop:
            errors += sum(c.busy for c in connections)
            error_samples.append("timeout: no answer 30 s after the end of the run")
            break
        for key, events in selector.select(timeout=1.0):
            conn = key.data
            if events & selectors.EVENT_WRITE and conn.pending:
                flush(conn)
            if not events & selectors.EVENT_READ:
                continue
            closed = False
            while True:
                try:
                    chunk = conn.sock.recv(65536)
                except (ssl.SSLWantReadError, BlockingIOError):
                    break
                except (ssl.SSLError, OSError):
                    chunk = b""
                if not chunk:
                    closed = True
                    break
                conn.buffer += chunk
            parsed = _response_length(conn.buffer)
            done = parsed is not None and parsed[1] >= 0 and len(conn.buffer) >= parsed[1]
            if done or closed:
                latency = (time.perf_counter() - conn.sent_at) * 1000
                ok = (
                    done
                    and parsed is not None
                    and parsed[0] == 200
                    and (marker in conn.buffer or marker in body_of(bytes(conn.buffer)))
                )
                if ok:
                    latencies.append(latency)
                elif conn.busy:
                    errors += 1
                    if len(error_samples) < _MAX_ERROR_SAMPLES:
                        error_samples.append(_sample(conn.buffer))
                conn.busy = False
                keep = done and not closed and b"\r\nconnection: close" not in bytes(conn.buffer[:2000]).lower()
                if not keep:
                    selector.unregister(conn.sock)
                    conn.sock.close()
                    if not may_send():
                        continue
                    conn.sock = _connect(spec, context)
                    reconnects += 1
                    selector.register(conn.sock, selectors.EVENT_READ, conn)
                if may_send():
                    send(conn)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_start
    for conn in connections:
        with contextlib.suppress(OSError):
            conn.sock.close()
    return {
        "ok": len(latencies),
        "errors": errors,
        "reconnects": reconnects,
        "elapsed_s": elapsed,
        "cpu_s": cpu,
        "latencies_ms": latencies,
        "error_samples": error_samples,
    }


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    spec = LoadSpec(**json.loads(args[0]))
    json.dump(run(spec), sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
