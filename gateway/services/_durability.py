"""Answer only after a durable commit: the one seam every door goes through.

*Durable* means committed to the SQLite file in WAL mode with ``synchronous=FULL``: the COMMIT
returns once the write-ahead log is on disk, so that neither a crash of the process nor a power
cut can take back what was committed. A reference number, a "done" page, a CLI line saying what
changed is a receipt: no answer that depends on a write (or on a read of data not yet committed)
leaves before that commit has succeeded. When the commit fails, nothing of the transaction is
stored, and the answer is an error: ``NotRecordedError`` (``ERREUR_INTERNE``, "Votre demande n'a
pas pu être enregistrée…", with the incident id the store logged with the cause).

How the writes reach the disk depends on the thread, and this seam hides which way is in force:

- in the server's reactor thread with group commit on (the default), each write block of one
  reactor tick is a savepoint of one shared transaction, committed once (``group_per_tick``);
- anywhere else (the CLI, other threads, group commit off), each ``store.write()`` block commits
  on its own exit, and a failed commit raises ``NotRecordedError`` right there.

The doors use it in one of two ways:

- ``committed()`` around the work of one answer: a portal request (``gateway.web``), a command of
  the ``esav`` CLI, a step of the integration platform's robot, a batch of its call journal, a
  sandbox reset. When the block ends, whatever is pending is committed at once; the answer is built
  or sent only after the block. Nested in another ``committed()`` block or in the SOAP host's
  batch, it joins the outer commit instead.
- the SOAP host's ``CallBatch`` (``gateway.server``), which commits the calls of a reactor turn
  together, uses the same gate at a finer grain (``commit_pending``, ``after_commit``,
  ``commit_now``, ``before_group_opens``): each answer is serialised once the commit it depends on
  succeeded, and a failed commit answers ``ERREUR_INTERNE`` to the calls that depended on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from gateway.store import Store

__all__ = ["Durability"]

#: Called once the pending commit is over: with None once durable, else with the ``NotRecordedError``.
CommitWaiter = Callable[[BaseException | None], None]


class Durability:
    """The gate between what the store has written and what the doors may answer."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._local = threading.local()  # per thread: how deep in committed() blocks, inside a batch

    def group_per_tick(self, schedule: Callable[[Callable[[], None]], None]) -> None:
        """Group the calling thread's writes per tick of its event loop (the server's reactor):
        ``schedule(fn)`` runs ``fn`` once the current batch of events is handled."""
        self._store.enable_group_commit(schedule)

    @contextmanager
    def committed(self) -> Iterator[None]:
        """What the block writes (or reads uncommitted) is durable once the block exits normally.

        A failed commit raises ``NotRecordedError`` and nothing of it is stored. An exception from the
        block goes through untouched (its own writes were undone with it). Nested in another such
        block, or inside the SOAP host's batch, the block joins the outer commit.
        """
        local = self._local
        depth = getattr(local, "depth", 0)
        local.depth = depth + 1
        try:
            yield
        finally:
            local.depth = depth
        if depth == 0 and not getattr(local, "in_batch", False) and self._store.commit_pending():
            self._commit_now_or_raise()

    def _commit_now_or_raise(self) -> None:
        outcome: list[BaseException | None] = []
        self._store.after_commit(outcome.append)
        self._store.commit_now()
        failure = outcome[0] if outcome else None
        if failure is not None:
            raise failure

    # The SOAP host's batch (gateway.server.CallBatch) -----------------------------------------------

    def commit_pending(self) -> bool:
        """True when the calling thread wrote (or read) inside a group not committed yet."""
        return self._store.commit_pending()

    def after_commit(self, waiter: CommitWaiter) -> None:
        """Call ``waiter`` once the pending group is committed (None) or failed (``NotRecordedError``);
        at once with None when nothing is pending."""
        self._store.after_commit(waiter)

    def commit_now(self) -> None:
        """Commit the calling thread's pending group now; its waiters are called."""
        self._store.commit_now()

    def before_group_opens(self, hook: Callable[[], None] | None) -> None:
        """While ``hook`` is set, a batch is running in this thread: ``hook`` runs before a write opens
        the group, and ``committed()`` blocks inside the batch join its commit."""
        self._local.in_batch = hook is not None
        self._store.before_group_opens(hook)
