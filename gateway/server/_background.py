"""The background work that must run once for all the processes sharing a store, and who runs it.

The automatic transitions (72-hour validation, 30-day freeze), the line-test results, the push of
events to operators, the outgoing mail, the certificate reminders, the purge of the shared rate
counters and the day's form previews run in one process at a time: the holder of the store's
leadership (a PostgreSQL advisory lock held on a connection of its own; on SQLite, the process the
server was told is the leader). The others try to take it every ``leader_retry_s`` seconds; the
holder checks as often that it still holds it, and stops the work as soon as it does not.

The volumetry flush is not here: each process flushes the calls it counted itself.
"""

from __future__ import annotations

import logging
from typing import Any

from twisted.internet import threads
from twisted.internet.task import LoopingCall

from gateway.config import Settings
from gateway.services import Gateway
from gateway.services.records import Leadership

from ._line_tests import LineTestPoller
from ._mail import MailDispatcher, start_mail
from ._notifications import NotificationDispatcher, start_notifications
from ._operations import CERTIFICATE_CHECK_S, FORM_PREVIEW_CHECK_S, form_previews_task, guarded, in_thread

__all__ = ["Background", "LeaderElection"]

log = logging.getLogger("gateway.server")


def _run_automatic(gateway: Gateway) -> None:
    try:
        done = gateway.sav.run_automatic()
        if done:
            log.info("automatic transitions: %s", ", ".join(f"{ref} {action}" for ref, action in done))
    except Exception:  # the sweep must never stop the server; it tries again next interval
        log.exception("automatic transitions failed")


class Background:
    """The once-per-store work of one process, started and stopped as its leadership comes and goes."""

    def __init__(self, gateway: Gateway, settings: Settings, reactor: Any) -> None:
        self._gateway = gateway
        self._settings = settings
        self._reactor = reactor
        self.tasks: list[LoopingCall] = []
        self.line_tests: LineTestPoller | None = None
        self.notifications: NotificationDispatcher | None = None
        self.mail: MailDispatcher | None = None
        self.form_previews: LoopingCall | None = None
        self.running = False

    def _every(self, seconds: float, task: Any, what: str, now: bool = False) -> LoopingCall:
        loop = LoopingCall(guarded(task, what))
        loop.clock = self._reactor
        loop.start(seconds, now=now)
        self.tasks.append(loop)
        return loop

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        gateway, settings, reactor = self._gateway, self._settings, self._reactor
        self._every(settings.sweep_interval_s, lambda: _run_automatic(gateway), "automatic transitions", now=True)
        # Remote line tests: finish those a previous process left running, then poll for results.
        self.line_tests = LineTestPoller(gateway.line_tests, reactor, settings.line_test_poll_s)
        self.line_tests.start()
        # Push events to operators' callback endpoints, off the reactor thread.
        self.notifications = start_notifications(gateway.notifications, settings, reactor)
        # E-mail to operators (notices, rate limits, certificates) through the SMTP relay.
        self.mail = start_mail(gateway.mail, settings, reactor)
        self._every(CERTIFICATE_CHECK_S, gateway.certificate_watch.remind, "certificate expiry check", now=True)
        self._every(60.0, gateway.rate_limits.purge, "rate counter purge")
        # Form previews: the day's previews for the portal, then the reminders due (once per operator and
        # version), in a thread: replaying a month of deposits must not hold the reactor.
        previews = in_thread(reactor, form_previews_task(gateway), "form previews")
        self.form_previews = self._every(FORM_PREVIEW_CHECK_S, previews, "form previews")

    def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        for task in self.tasks:
            if task.running:
                task.stop()
        self.tasks.clear()
        for part in (self.line_tests, self.notifications, self.mail):
            if part is not None:
                part.stop()
        self.line_tests = self.notifications = self.mail = None


class LeaderElection:
    """Runs ``background`` while this process holds ``leadership``; retries or re-checks every ``interval_s``."""

    def __init__(self, leadership: Leadership, background: Background, reactor: Any, interval_s: float) -> None:
        self._leadership = leadership
        self._background = background
        self._reactor = reactor
        self._interval_s = interval_s
        self._loop: LoopingCall | None = None
        self._busy = False
        self.leading = False

    def start(self) -> None:
        """A first attempt at once (a lone node runs its work from the start), then one per interval."""
        if self._leadership.try_acquire():
            self._gain()
        if self._leadership.fixed:
            return
        self._loop = LoopingCall(self._tick)
        self._loop.clock = self._reactor
        self._loop.start(self._interval_s, now=False)

    def _tick(self) -> None:
        if self._busy:  # the previous look at the database is not over (it may be away)
            return
        self._busy = True
        look = self._leadership.held if self.leading else self._leadership.try_acquire
        done = threads.deferToThreadPool(self._reactor, self._reactor.getThreadPool(), look)
        done.addBoth(self._looked)

    def _looked(self, result: object) -> None:
        self._busy = False
        if self._loop is None or not self._loop.running:
            return
        if result is True and not self.leading:
            self._gain()
        elif result is not True and self.leading:
            self._lose()

    def _gain(self) -> None:
        self.leading = True
        log.info("leadership taken: this process runs the background work")
        self._background.start()

    def _lose(self) -> None:
        self.leading = False
        log.warning("leadership lost: the background work stops here (another process takes it)")
        self._background.stop()

    def stop(self) -> None:
        """Stop the work and give the leadership back (another process takes it on its next try)."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._background.stop()
        self.leading = False
        self._leadership.release()
