"""Interrupts held back while a process is being started and recorded, so that stopping finds it."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

__all__ = ["deferred_interrupts"]

_STOPPING = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[None]:
    """SIGINT and SIGTERM received inside the block are delivered on the way out.

    Ctrl-C or SIGTERM while a server starts (between ``Popen`` returning and its process being recorded,
    or while ``pg_ctl start`` waits) would otherwise leave a process nobody stops. Outside the main
    thread, where signals are not handled, the block runs as is; an ignored signal stays ignored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    held = {number: signal.getsignal(number) for number in _STOPPING}
    held = {number: handler for number, handler in held.items() if handler not in (None, signal.SIG_IGN)}
    for number in held:
        signal.signal(number, lambda signum, _frame: received.append(signum))
    try:
        yield
    finally:
        for number, handler in held.items():
            signal.signal(number, handler)
        if received:
            signal.raise_signal(received[0])
