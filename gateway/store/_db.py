"""Opening the database the way the gateway needs it (a SQLite file, or PostgreSQL through a pool),
and explicit write transactions, grouped per reactor tick when the server asks."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.domain.clock import iso_utc
from gateway.errors import NotRecordedError, StoreUnavailableError

from ._sql import POSTGRESQL, SQLITE, PgConn, StoreUrl, Transaction, pg_rows, sqlite_rows

__all__ = ["COMMIT_ORDER_LOCK_KEY", "MIGRATION_LOCK_KEY", "CommitWaiter", "Connections", "from_ts", "to_ts"]

log = logging.getLogger("gateway.store")

BUSY_TIMEOUT_MS = 10_000


def to_ts(instant: datetime) -> str:
    """An aware instant as sortable UTC text (the one format stored)."""
    return iso_utc(instant)


def from_ts(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _null(value: None) -> None:
    return None


# A None parameter is bound as NULL all the same. Without an adapter of its own, sqlite3 looks for one
# at each None it binds (it does so for every parameter that is not exactly an int, a float or a str),
# and the look raises and clears an AttributeError: about a third of a microsecond a parameter, and a
# deposit binds fourteen Nones.
sqlite3.register_adapter(type(None), _null)


def _connect(path: Path) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves, so a write transaction
    # takes the write lock up front instead of failing half-way on an upgrade from a read lock.
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    # A reference number is a receipt: FULL makes the commit durable before we answer.
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


#: Called once the group transaction is over, with None after a durable commit or the error.
CommitWaiter = Callable[[BaseException | None], None]


def _commit(conn: Any) -> None:
    """COMMIT (durable: synchronous=FULL), or roll back and raise ``NotRecordedError``.

    PostgreSQL: the writes kept for commit order (``Transaction.write_in_commit_order``) go first,
    under the commit-order lock, in the COMMIT's round trip; the lock is released by the COMMIT, so it
    is held for those inserts and the WAL flush only, never while the transaction waits for a row.

    A failed commit is logged once here, with its cause on the same line (no traceback: the cause is
    the whole story, and the CLI's stderr shows it as is), under the incident id its answers carry.
    """
    ordered = getattr(conn, "at_commit", None)
    try:
        if ordered:
            conn.at_commit = []
            conn.send(f"SELECT pg_advisory_xact_lock({COMMIT_ORDER_LOCK_KEY})")
            for sql, params in ordered:
                conn.send_write(sql, params)
            conn.send("COMMIT")
            conn.flush()
        else:
            conn.execute("COMMIT")
    except Exception as error:  # a failed commit fails its whole transaction, never half of it
        with contextlib.suppress(Exception):  # SQLite may have rolled back already
            conn.execute("ROLLBACK")
        incident = uuid.uuid4().hex[:12]
        log.error(
            "incident %s: commit failed (%s: %s), nothing of its transaction is stored",
            incident,
            type(error).__name__,
            error,
        )
        raise NotRecordedError(incident) from error


#: SQLSTATEs of a transaction PostgreSQL gave up to let another one go on: deadlock, serialization.
_GIVEN_UP = frozenset({"40P01", "40001"})


def _not_recorded_if_given_up(error: BaseException) -> None:
    """A write block that PostgreSQL chose as a deadlock's victim (undone by its savepoint or its
    rollback) raises ``NotRecordedError``: ERREUR_INTERNE, "nothing was changed, send it again";
    logged once here, as a failed commit is."""
    if getattr(error, "sqlstate", None) not in _GIVEN_UP:
        return
    incident = uuid.uuid4().hex[:12]
    log.error("incident %s: write undone (%s: %s), nothing of it is stored", incident, type(error).__name__, error)
    raise NotRecordedError(incident) from error


class _WriterLock:
    """One writer at a time on the database file: across threads (a lock) and across processes
    (``flock`` on a side file). Writers queue in the kernel instead of sleeping and retrying in
    SQLite's busy handler, which is what sends p99 up when several processes write
    (docs/decisions.md, measured facts)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._fd: int | None = None

    def acquire(self) -> None:
        self._threads.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


#: SQLite: a group transaction's statement journal (the savepoints' undo pages) in memory rather than
#: in a temporary file created, written and deleted at every commit; set outside any transaction
#: (SQLite decides where the journal goes when the transaction begins), and set back after the commit,
#: so that reads keep spilling their large temporary tables and sorts to disk (docs/decisions.md).
_GROUP_STATEMENT_JOURNAL = "PRAGMA temp_store=MEMORY"
_OTHER_TEMPORARY_FILES = "PRAGMA temp_store=DEFAULT"


class _Group:
    """The group transaction of one thread (the reactor's): every write block of one reactor tick
    runs in a savepoint of one transaction, committed once at the end of the tick."""

    def __init__(self, thread_id: int, schedule: Callable[[Callable[[], None]], None]) -> None:
        self.thread_id = thread_id
        self.schedule = schedule
        self.open = False
        self.waiters: list[CommitWaiter] = []
        self.depth = 0  # write blocks open inside one another (savepoints are strictly nested)
        #: PostgreSQL: the outermost savepoint of the last block, not released yet: released with the
        #: next block's SAVEPOINT in one round trip (or by the COMMIT).
        self.unreleased: str | None = None
        # The connection the transaction was begun on: it is committed there, never on a replacement
        # taken since (a dropped connection's writes are gone; COMMIT elsewhere would "succeed").
        self.conn: Any = None


class Connections:
    """One connection per thread on one database (a SQLite file, or PostgreSQL through a pool)."""

    def __init__(self, url: StoreUrl, *, pool_size: int = 20) -> None:
        self.url = url
        self.dialect = url.dialect
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._group: _Group | None = None
        self._before_open: Callable[[], None] | None = None
        self._writer: _WriterLock | None = None
        self._pool: Any = None
        if url.dialect == SQLITE:
            assert url.path is not None
            self.path = Path(url.path)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = _WriterLock(self.path.parent / (self.path.name + ".lock"))
            self.rows: Callable[[str, Iterable[Any]], list[dict[str, Any]]] = lambda sql, params: sqlite_rows(
                self.conn, sql, params
            )
        else:
            self.path = Path(url.database_name or "postgresql")
            self._pool = _pg_pool(url, pool_size)
            self.rows = lambda sql, params: pg_rows(self.conn, sql, params)

    # Beginning and ending a write transaction, per engine ---------------------------------------

    def _begin(self, conn: Any) -> None:
        """Begin a write transaction. SQLite: take the database's one writer lock (flock + BEGIN
        IMMEDIATE). PostgreSQL: ``BEGIN`` alone, sent with the transaction's first statement; writers of
        every process run side by side, the rows they decide on locked by their reads (``FOR NO KEY
        UPDATE``), constraints and, for rows not written yet, per-key locks (``Transaction.lock_key``)."""
        if self._writer is not None:
            self._writer.acquire()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                self._writer.release()
                raise
            return
        conn.at_commit = []
        conn.begin()

    def _await_answers(self, db: Transaction) -> None:
        """At the end of a block: the answers of its writes sent without waiting (PostgreSQL), so that
        their errors are the block's own."""
        if self.dialect == POSTGRESQL:
            db.conn.flush()  # type: ignore[attr-defined]

    def _drop_answers(self, db: Transaction, kept: int = 0) -> None:
        """Before undoing a block: the answers of its writes sent without waiting (PostgreSQL) are
        collected and ignored, so that the block's own error is the one raised; the writes it kept for
        the commit (``at_commit``) beyond the first ``kept`` are forgotten."""
        if self.dialect == POSTGRESQL:
            with contextlib.suppress(Exception):
                db.conn.flush()  # type: ignore[attr-defined]
            del db.conn.at_commit[kept:]  # type: ignore[attr-defined]

    def _end(self) -> None:
        if self._writer is not None:
            self._writer.release()

    # Group commit ------------------------------------------------------------------------------

    def enable_group_commit(self, schedule: Callable[[Callable[[], None]], None]) -> None:
        """From now on, writes made by the calling thread are grouped per tick of its event loop.

        ``schedule(fn)`` must run ``fn`` once the current batch of events is handled (for Twisted,
        ``lambda fn: reactor.callLater(0, fn)``). Answers that depend on those writes must wait for
        ``after_commit``: nothing written is acknowledged before it is durable.
        """
        self._group = _Group(threading.get_ident(), schedule)

    def _grouping(self) -> _Group | None:
        group = self._group
        return group if group is not None and group.thread_id == threading.get_ident() else None

    def commit_pending(self) -> bool:
        """True when the calling thread has written (or read) inside a group not yet committed."""
        group = self._grouping()
        return group is not None and group.open

    def after_commit(self, waiter: CommitWaiter) -> None:
        """Call ``waiter`` once the pending group is committed (or failed)."""
        group = self._grouping()
        if group is None or not group.open:
            waiter(None)
            return
        group.waiters.append(waiter)

    def before_group_opens(self, hook: Callable[[], None] | None) -> None:
        """``hook`` runs in the grouping thread just before a write opens the group transaction
        (SQLite: and takes the writer lock); it may suspend the caller until the group should open
        (``gateway.server.CallBatch`` does, so that locks are held for the writes only)."""
        self._before_open = hook

    def commit_now(self) -> None:
        """Commit the calling thread's pending group at once, rather than at the end of the tick
        (its waiters are called); nothing happens when none is pending."""
        if self.commit_pending():
            self._commit_group()

    def _begin_group(self, conn: Any) -> None:
        if self.dialect != SQLITE:
            self._begin(conn)
            return
        conn.execute(_GROUP_STATEMENT_JOURNAL)
        try:
            self._begin(conn)
        except BaseException:
            self._end_group(conn)
            raise

    def _end_group(self, conn: Any) -> None:
        """After a group transaction, begun or not, committed or not: reads spill to files again."""
        if self.dialect == SQLITE:
            with contextlib.suppress(sqlite3.Error):  # a failed commit or begin has reported itself
                conn.execute(_OTHER_TEMPORARY_FILES)

    def _commit_group(self) -> None:
        group = self._group
        if group is None or not group.open:
            return
        failure: BaseException | None = None
        try:
            _commit(self._committing(group.conn))
        except NotRecordedError as error:  # a failed commit fails its whole batch, never half of it
            failure = error
        finally:
            group.open = False
            group.unreleased = None
            self._end()
            self._end_group(group.conn)
        waiters, group.waiters = group.waiters, []
        for waiter in waiters:
            waiter(failure)

    def _committing(self, begun: Any) -> Any:
        """The connection to COMMIT a transaction begun on ``begun``: the thread's (as ``conn`` gives it)
        while it is still that one; else ``begun`` itself, dropped, whose COMMIT fails. Never a
        replacement taken since: it has no transaction, and would answer COMMIT with a mere warning."""
        held = getattr(self._local, "held", None)
        if held is not None and not held.broken and held.tx.conn is begun:
            return self.conn
        return begun

    @contextmanager
    def _grouped_write(self, group: _Group) -> Iterator[Transaction]:
        db = self.db
        if not group.open and self._before_open is not None:
            self._before_open()
        if not group.open:
            self._begin_group(db.conn)
            group.open = True
            group.conn = db.conn
            group.schedule(self._commit_group)
        # Each write block is a savepoint: one request's error undoes only its own writes. Named by
        # nesting depth, so that the same few statements are prepared once and stay in the driver's
        # statement cache (a fresh name per block would push the real queries out of it).
        group.depth += 1
        name = f"w{group.depth}"
        kept = 0  # PostgreSQL: the writes kept for the commit before this block's
        if self.dialect == POSTGRESQL:  # with the block's first statement that needs an answer
            released = [f"RELEASE {name}"] if group.unreleased == name else []  # the previous block's
            db.conn.send(*released, f"SAVEPOINT {name}")  # type: ignore[attr-defined]
            kept = len(db.conn.at_commit)  # type: ignore[attr-defined]
        else:
            db.conn.execute(f"SAVEPOINT {name}")
        group.unreleased = None
        try:
            yield db
            self._await_answers(db)
        except BaseException as error:
            self._drop_answers(db, kept)
            if self.dialect == POSTGRESQL:
                db.conn.execute(f"ROLLBACK TO {name}; RELEASE {name}")
            else:
                db.conn.execute(f"ROLLBACK TO {name}")
                db.conn.execute(f"RELEASE {name}")
            _not_recorded_if_given_up(error)
            raise
        finally:
            group.depth -= 1
        if self.dialect == POSTGRESQL and group.depth == 0:
            group.unreleased = name  # released by the next block's SAVEPOINT, or by the COMMIT
        else:
            db.conn.execute(f"RELEASE {name}")

    @property
    def db(self) -> Transaction:
        """The calling thread's connection (opened on first use; PostgreSQL: taken from the pool,
        replaced when the server dropped it, given back when the thread ends)."""
        held = getattr(self._local, "held", None)
        if held is not None and not held.broken:
            return held.tx
        if self._pool is None:
            conn: Any = _connect(self.path)
            with self._lock:
                self._all.append(conn)
            held = _Held(Transaction(conn, SQLITE), None)
        else:
            if held is not None:
                held.release()
            held = _Held(Transaction(PgConn(self._pool.getconn()), POSTGRESQL), self._pool)
        self._local.held = held
        return held.tx

    @property
    def conn(self) -> Any:
        return self.db.conn

    @contextmanager
    def write(self) -> Iterator[Transaction]:
        """A write transaction: committed (durably) on exit, rolled back on any exception; a commit
        that fails is rolled back too and raises ``NotRecordedError``.

        In a thread with group commit enabled, the block is a savepoint of the tick's transaction
        instead, committed by the group (see ``enable_group_commit``).
        """
        group = self._grouping()
        if group is not None:
            with self._grouped_write(group) as db:
                yield db
            return
        db = self.db
        if db.conn.in_transaction:  # nested use joins the outer transaction
            yield db
            return
        self._begin(db.conn)
        try:
            try:
                yield db
                self._await_answers(db)
            except BaseException as error:
                self._drop_answers(db)
                with contextlib.suppress(Exception):  # a dropped connection has rolled back already
                    db.conn.execute("ROLLBACK")
                _not_recorded_if_given_up(error)
                raise
            _commit(self._committing(db.conn))
        finally:
            self._end()

    def close(self) -> None:
        if self.commit_pending():
            self._commit_group()
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        held = getattr(self._local, "held", None)
        if held is not None:
            held.release()
        self._local = threading.local()
        if self._writer is not None:
            self._writer.close()
        if self._pool is not None:
            self._pool.close()


class _Held:
    """A thread's connection; a pooled one goes back to its pool when the thread ends."""

    __slots__ = ("_pool", "tx")

    def __init__(self, tx: Transaction, pool: Any) -> None:
        self.tx = tx
        self._pool = pool

    @property
    def broken(self) -> bool:
        return self._pool is not None and bool(self.tx.conn.raw.broken)  # type: ignore[attr-defined]

    def release(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):  # a closed pool has taken its connections back
                pool.putconn(self.tx.conn.raw)  # type: ignore[attr-defined]

    def __del__(self) -> None:  # the thread-local holding it is gone: the thread has ended
        self.release()


#: Longest wait for a PostgreSQL connection (a server gone: the request fails with ERREUR_INTERNE), well
#: under the requests' own timeout (``request_timeout_s``, 30 s by default).
CONNECTION_WAIT_S = 10.0

#: The key of PostgreSQL's advisory lock under which migrations run: two processes starting together
#: apply each once (the value the writers' lock of earlier versions had: a migration waits for their writes).
MIGRATION_LOCK_KEY = 0x65534156  # "eSAV"

#: The key of PostgreSQL's advisory lock taken at COMMIT by a transaction with writes kept for commit
#: order (``Transaction.write_in_commit_order``): their ids then increase in commit order.
COMMIT_ORDER_LOCK_KEY = 0x6553434F  # "eSCO"


def _pg_pool(url: StoreUrl, size: int) -> Any:
    """A psycopg pool on ``url``: autocommit connections (the store begins its transactions)."""
    try:
        import psycopg
        from psycopg_pool import ConnectionPool
    except ImportError as error:  # pragma: no cover - declared dependency
        raise RuntimeError(
            "PostgreSQL demandé mais psycopg n'est pas installé (pip install psycopg psycopg-pool)"
        ) from error
    try:  # one connection first, to say at once why the server cannot be reached (the pool would retry)
        psycopg.connect(url.conninfo, connect_timeout=10, autocommit=True).close()
    except psycopg.Error as error:
        reason = " ; ".join(line.strip() for line in str(error).splitlines() if line.strip()) or type(error).__name__
        raise StoreUnavailableError(f"PostgreSQL injoignable ({url}) : {reason}") from None
    pool = ConnectionPool(
        url.conninfo,
        min_size=1,
        max_size=size,
        connection_class=psycopg.Connection,
        # The store prepares its statements itself (PgConn); psycopg's own preparing would DEALLOCATE
        # ALL of a connection's statements after any ALTER or ROLLBACK it sees.
        kwargs={"autocommit": True, "prepare_threshold": None},
        open=False,
        name="esav-store",
        timeout=CONNECTION_WAIT_S,
    )
    pool.open(wait=True, timeout=30.0)
    return pool
