"""A reactor loop that hands its work to a thread pool of its own (mail, push notifications).

The work (an SMTP relay, an operator's endpoint) may block for its whole timeout: it never runs in
the reactor's thread. The pool's threads are not daemons, so a stopping reactor stops them.
"""

from __future__ import annotations

import threading
from typing import Any

from twisted.internet.task import LoopingCall
from twisted.python.threadpool import ThreadPool

__all__ = ["PooledLoop"]


class PooledLoop:
    """Calls ``tick()`` every ``poll_s`` seconds in the reactor; ``tick`` hands work to ``self._pool``."""

    def __init__(self, reactor: Any, *, poll_s: float, threads: int, name: str) -> None:
        self._reactor = reactor
        self._name = name
        self._pool = ThreadPool(minthreads=0, maxthreads=threads, name=name)
        self._loop = LoopingCall(self.tick)
        self._loop.clock = reactor
        self._poll_s = poll_s
        self._shutdown: Any = None

    def tick(self) -> None:
        raise NotImplementedError

    @property
    def running(self) -> bool:
        return bool(self._loop.running)

    def start(self) -> None:
        self._pool.start()
        self._loop.start(self._poll_s, now=True)
        # The pool's threads are not daemons: a stopping reactor must stop them, or the process never exits.
        self._shutdown = self._reactor.addSystemEventTrigger("before", "shutdown", self._stop_pool)

    def stop(self) -> None:
        """Stop the loop; work in flight ends within its own timeout, in the background."""
        if self._loop.running:
            self._loop.stop()
        if self._shutdown is not None:
            self._reactor.removeSystemEventTrigger(self._shutdown)
            self._shutdown = None
        # Joining the pool waits for work in flight (bounded by its timeout): not in the reactor thread.
        threading.Thread(target=self._pool.stop, name=f"{self._name}-stop", daemon=True).start()

    def _stop_pool(self) -> None:
        self._shutdown = None
        if self._loop.running:
            self._loop.stop()
        self._pool.stop()  # at shutdown: waits for work in flight, at most its timeout
