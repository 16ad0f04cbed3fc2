"""Which gateway process runs the background work (sweeps, pushes, reminders): the holder of a
PostgreSQL session-level advisory lock, on a connection of its own outside the pool.

The lock lives as long as that connection: a process that dies (or loses the database) loses it,
and PostgreSQL releases it when it sees the connection close, so another process can take it. A
SQLite store has one machine: the process the server calls first runs the work (``StaticLeadership``).
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Protocol

from ._sql import StoreUrl

__all__ = ["LEADER_LOCK_KEY", "LeaderLock", "Leadership", "PgLeadership", "StaticLeadership"]

log = logging.getLogger("gateway.store")

#: The key of the advisory lock held by the process running the background work ("eSAL").
LEADER_LOCK_KEY = 0x6553414C
#: Seconds to wait for the database when connecting for the lock (the caller retries later).
CONNECT_TIMEOUT_S = 3
#: The server notices a vanished leader machine (no FIN) after about idle + interval x count seconds.
KEEPALIVE: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}


class Leadership(Protocol):
    """Taking, checking and giving back the right to run the background work."""

    #: True when the right never moves (SQLite): nobody needs to try again.
    fixed: bool

    def try_acquire(self) -> bool:
        """True when this process holds the right now (taken now or held already)."""
        ...

    def held(self) -> bool:
        """True while the right is still this process's (PostgreSQL: its connection answers)."""
        ...

    def release(self) -> None: ...


class StaticLeadership:
    """SQLite: the right is given once, by the caller (``leader``), and never moves."""

    fixed = True

    def __init__(self, leader: bool) -> None:
        self._leader = leader

    def try_acquire(self) -> bool:
        return self._leader

    def held(self) -> bool:
        return self._leader

    def release(self) -> None:
        self._leader = False


class PgLeadership:
    """PostgreSQL: ``pg_try_advisory_lock(LEADER_LOCK_KEY)`` on a dedicated autocommit connection."""

    fixed = False

    def __init__(self, url: StoreUrl, key: int = LEADER_LOCK_KEY) -> None:
        self._url = url
        self._key = key
        self._conn: Any = None

    def _connect(self) -> Any:
        import psycopg

        conn = psycopg.connect(self._url.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S, **KEEPALIVE)
        # The server side too: it drops (and frees the lock of) a peer that stopped answering.
        conn.execute("SET tcp_keepalives_idle = 5")
        conn.execute("SET tcp_keepalives_interval = 2")
        conn.execute("SET tcp_keepalives_count = 3")
        conn.execute("SET application_name = 'esav-leader'")
        return conn

    def try_acquire(self) -> bool:
        if self._conn is not None and self.held():
            return True
        try:
            if self._conn is None:
                self._conn = self._connect()
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", [self._key]).fetchone()
        except Exception as error:  # the database is away: not the leader, try again later
            log.warning("leadership: database unreachable (%s: %s)", type(error).__name__, error)
            self._drop()
            return False
        return bool(row[0])  # false: another process holds it; the connection is kept for the next try

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            row = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND granted AND ((classid::bigint << 32) | objid::bigint) = %s",
                [self._key],
            ).fetchone()
        except Exception as error:
            log.warning("leadership: lost the database (%s: %s)", type(error).__name__, error)
            self._drop()
            return False
        return bool(row[0])

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def release(self) -> None:
        """Give the right back at once: unlocked, then the connection closed (a close alone frees the lock
        only once the server has seen it, after this returns: another process trying right then failed)."""
        if self._conn is not None:
            with contextlib.suppress(Exception):  # a lost connection has freed the lock already
                self._conn.execute("SELECT pg_advisory_unlock(%s)", [self._key])
        self._drop()


def LeaderLock(url: StoreUrl, *, leader: bool) -> Leadership:  # noqa: N802 - a factory named as its product
    """The leadership of this store: the advisory lock on PostgreSQL, ``leader`` as given on SQLite."""
    return StaticLeadership(leader) if url.is_sqlite else PgLeadership(url)
