"""The component that finishes remote line tests in a running gateway (or a scenario robot).

It asks ``LineTestService.poll`` for results: once at start-up (tests a previous process left
``EN_COURS`` are resumed, or end in ``ECHEC`` when the network element cannot tell any more), a
test's expected delay after its launch (``callLater``), and every ``interval_s`` for the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from twisted.internet.task import LoopingCall

from gateway.services import LineTestService

__all__ = ["LineTestPoller"]

log = logging.getLogger("gateway.tests")


class LineTestPoller:
    """Polls the network elements for the results of running tests, on a Twisted reactor."""

    def __init__(self, service: LineTestService, reactor: Any, interval_s: float) -> None:
        self._service = service
        self._reactor = reactor
        self._interval_s = interval_s
        self._loop = LoopingCall(self.poll_all)
        self._loop.clock = reactor
        self._pending: dict[str, Any] = {}

    @property
    def running(self) -> bool:
        return bool(self._loop.running)

    def start(self) -> None:
        """Resume what is running now, then poll periodically; launches schedule their own look."""
        self._service.schedule = self.schedule
        self._loop.start(self._interval_s, now=True)

    def stop(self) -> None:
        if self._service.schedule == self.schedule:
            self._service.schedule = None
        if self._loop.running:
            self._loop.stop()
        for call in self._pending.values():
            if call.active():
                call.cancel()
        self._pending.clear()

    def schedule(self, reference: str, delay_s: float) -> None:
        """Look at one test after ``delay_s`` seconds (callable from any thread)."""
        self._reactor.callFromThread(self._call_later, reference, delay_s)

    def _call_later(self, reference: str, delay_s: float) -> None:
        if self._loop.running:
            self._pending[reference] = self._reactor.callLater(delay_s, self.poll_one, reference)

    def poll_one(self, reference: str) -> None:
        self._pending.pop(reference, None)
        self._poll(reference)

    def poll_all(self) -> None:
        self._poll(None)

    def _poll(self, reference: str | None) -> None:
        try:
            for test in self._service.poll(reference):
                log.info("test %s %s: %s %s", test.reference, test.test_type, test.status, test.diagnostic)
        except Exception:  # the polling must never stop the server; it tries again next interval
            log.exception("line-test polling failed")
