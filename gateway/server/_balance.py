"""Worker processes sharing one listening socket, each taking its turn to accept by its number of
open connections, so that connections spread evenly over the workers.

Why not one ``SO_REUSEPORT`` socket per worker: the kernel then picks a worker by a hash of the
connection's addresses, which is even only on average. Thirty-two connections measured here split
9/23, 10/22, 12/20 as often as 16/16, and eight split 1/7 or 2/6 one time in three. Operators'
information systems keep their connections for hours, so an uneven split lasts: one worker does
twice the other's work while its callers wait twice as long, and on a two-core machine the other
core idles.

How: the parent process makes one listening socket and a small table in memory shared with the
workers (one slot a worker: its number of open connections, or ``ABSENT``). Every worker watches
the socket; when a connection comes, a worker accepts it only if no other live worker has fewer
open connections. The others step back for a few milliseconds and look again. A worker that waited
``MAX_HOLD_S`` for a busy, stuck or dead sibling accepts anyway, so no connection waits for long.
"""

from __future__ import annotations

import mmap
import os
import select
import socket
import time
from typing import Any

from twisted.internet import tcp

__all__ = ["BalancedPort", "ConnectionTable", "WorkerSlot"]

#: Seconds a worker that is not the least busy waits before it looks again at a waiting connection.
RETRY_S = 0.005
#: Seconds after which a worker accepts a waiting connection whoever is the least busy.
MAX_HOLD_S = 0.05

_SLOT = 4  # bytes: a signed 32-bit count


class ConnectionTable:
    """Open connections per worker, in memory shared by the parent and its workers (a file
    descriptor the parent creates and hands down)."""

    ABSENT = -1

    def __init__(self, fd: int) -> None:
        self.fd = fd
        size = os.fstat(fd).st_size
        if size < _SLOT or size % _SLOT:
            raise ValueError(f"connection table of {size} bytes")
        self._memory = mmap.mmap(fd, size)
        self._counts = memoryview(self._memory).cast("i")

    @classmethod
    def create(cls, workers: int) -> ConnectionTable:
        """A new table of ``workers`` slots, every one ``ABSENT`` (the parent, before the workers)."""
        fd = os.memfd_create("esav-connections")  # Linux, where the gateway runs
        os.ftruncate(fd, _SLOT * workers)
        table = cls(fd)
        for index in range(workers):
            table.clear(index)
        return table

    def __len__(self) -> int:
        return len(self._counts)

    def count(self, index: int) -> int:
        return int(self._counts[index])

    def publish(self, index: int, open_connections: int) -> None:
        self._counts[index] = open_connections

    def clear(self, index: int) -> None:
        """Worker ``index`` is gone (or not started yet): the others no longer wait for it."""
        self._counts[index] = self.ABSENT

    def fewest_besides(self, index: int) -> int | None:
        """The fewest open connections of another live worker, ``None`` when there is none."""
        counts = [c for i, c in enumerate(self._counts) if i != index and c != self.ABSENT]
        return min(counts) if counts else None


class WorkerSlot:
    """One worker's place in the table: what it publishes, what it compares itself with."""

    def __init__(self, table: ConnectionTable, index: int) -> None:
        if not 0 <= index < len(table):
            raise ValueError(f"worker {index} outside a table of {len(table)}")
        self.table = table
        self.index = index

    def publish(self, open_connections: int) -> None:
        self.table.publish(self.index, open_connections)

    def leave(self) -> None:
        self.table.clear(self.index)

    def is_least_busy(self, open_connections: int) -> bool:
        fewest = self.table.fewest_besides(self.index)
        return fewest is None or open_connections <= fewest


class _CountedServer(tcp.Server):
    """A connection that tells its port when it ends."""

    def connectionLost(self, reason: Any) -> None:  # noqa: N802 - Twisted's interface
        try:
            super().connectionLost(reason)
        finally:
            port: BalancedPort = self.server  # type: ignore[assignment]  # made by BalancedPort only
            port.released()


class BalancedPort(tcp.Port):
    """A listening socket shared with other workers, accepted from in turn (see the module's text).

    Built with ``adopt`` on the socket the parent made; Twisted's ``Port`` does the accepting,
    one connection at a time while this worker is the least busy."""

    transport = _CountedServer
    slot: WorkerSlot
    open_connections = 0
    _held_since: float | None = None
    _look_again: Any = None

    @classmethod
    def adopt(cls, reactor: Any, listening: socket.socket, factory: Any, slot: WorkerSlot) -> BalancedPort:
        port = cls._fromListeningDescriptor(reactor, listening.fileno(), listening.family, factory)
        port.slot = slot
        slot.publish(0)
        port.startListening()
        return port

    def doRead(self) -> None:  # noqa: N802 - Twisted's interface
        while self.connected:
            if not self._may_accept():
                self._step_back()
                return
            accepted_before = self.sessionno
            self.numberAccepts = 1
            super().doRead()
            if self.sessionno == accepted_before:  # nothing was waiting (a sibling took it), or an error
                return
            self._held_since = None
            self.open_connections += 1
            self.slot.publish(self.open_connections)

    def released(self) -> None:
        self.open_connections -= 1
        if self.connected:  # a worker that stopped listening has left the table for good
            self.slot.publish(self.open_connections)

    def connectionLost(self, reason: Any) -> None:  # noqa: N802 - Twisted's interface
        if self._look_again is not None and self._look_again.active():
            self._look_again.cancel()
        self.slot.leave()
        super().connectionLost(reason)

    def _may_accept(self) -> bool:
        if self.slot.is_least_busy(self.open_connections):
            return True
        return self._held_since is not None and time.monotonic() - self._held_since >= MAX_HOLD_S

    def _step_back(self) -> None:
        if self._held_since is None:
            self._held_since = time.monotonic()
        self.stopReading()
        self._look_again = self.reactor.callLater(RETRY_S, self._resume)

    def _resume(self) -> None:
        self._look_again = None
        if not self.connected:
            return
        waiting = select.poll()  # not select(): a busy worker's descriptors may pass 1024
        waiting.register(self.socket, select.POLLIN)
        if not waiting.poll(0):
            self._held_since = None  # a sibling took the connection: the next one starts a new wait
        self.startReading()
