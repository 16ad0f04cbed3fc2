"""Loopback ports for the servers this machine starts for a demo, a cluster or a benchmark."""

from __future__ import annotations

import socket
import threading

__all__ = ["free_port"]

#: The ports ``free_port`` has handed out in this process: never handed out twice.
_HANDED_OUT: set[int] = set()
_HANDED_OUT_LOCK = threading.Lock()


def free_port() -> int:
    """A port of 127.0.0.1 free now, never handed out before by this process. The system may give a
    port it has just released again (measured: 137 repeats in 2,000 binds), and the servers of one
    cluster, each told its ports before any of them listens, would then be told the same one."""
    with _HANDED_OUT_LOCK:
        while True:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = int(s.getsockname()[1])
            if port not in _HANDED_OUT:
                _HANDED_OUT.add(port)
                return port
