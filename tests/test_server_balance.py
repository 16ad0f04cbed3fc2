"""The table by which worker processes take turns to accept connections (gateway/server/_balance.py).

The workers themselves, splitting real connections evenly and not waiting for a stalled sibling, are
tested end to end in test_server_workers.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from support import eventually, in_reactor

from gateway.server._balance import ConnectionTable, WorkerSlot


def test_a_new_table_has_every_worker_absent():
    """Before the workers start, none counts: the first to come never waits for the others."""
    table = ConnectionTable.create(3)
    assert len(table) == 3
    assert [table.count(i) for i in range(3)] == [ConnectionTable.ABSENT] * 3
    assert table.fewest_besides(0) is None
    assert WorkerSlot(table, 0).is_least_busy(50)


def test_a_worker_accepts_only_while_no_live_sibling_has_fewer_connections():
    """Equal counts: both may accept; one more than a sibling: wait; an absent sibling does not count."""
    table = ConnectionTable.create(3)
    first, second, third = (WorkerSlot(table, i) for i in range(3))
    first.publish(4)
    second.publish(4)
    assert first.is_least_busy(4) and second.is_least_busy(4)
    first.publish(5)
    assert not first.is_least_busy(5)
    assert table.fewest_besides(0) == 4
    third.publish(2)
    assert not second.is_least_busy(4)
    third.leave()
    assert second.is_least_busy(4)


def test_the_table_is_shared_with_another_process_through_its_descriptor():
    """The parent creates the table; a child given its descriptor reads and writes the same counts."""
    table = ConnectionTable.create(2)
    table.publish(0, 7)
    child = (
        "import sys; from gateway.server._balance import ConnectionTable; t = ConnectionTable(int(sys.argv[1]));"
        "assert t.count(0) == 7, t.count(0); t.publish(1, 11)"
    )
    subprocess.run([sys.executable, "-c", child, str(table.fd)], pass_fds=(table.fd,), check=True)
    assert table.count(1) == 11
    assert table.fewest_besides(1) == 7


def test_a_descriptor_that_is_no_table_is_refused():
    """A slot is four bytes: anything else is a wrong descriptor, refused rather than misread."""
    fd = os.memfd_create("not-a-table")
    try:
        os.ftruncate(fd, 6)
        with pytest.raises(ValueError, match="6 bytes"):
            ConnectionTable(fd)
    finally:
        os.close(fd)
    with pytest.raises(ValueError, match="outside"):
        WorkerSlot(ConnectionTable.create(2), 2)


def test_a_port_counts_its_connections_waits_its_turn_and_leaves_the_table_when_it_stops(monkeypatch):
    """A worker's port (in this process's reactor) beside a sibling that accepts nothing: it takes the first
    connection (0 against 0) and holds the second while the sibling has fewer (1 against 0), taking it
    once the sibling has more; it publishes its count as connections come and go; once it stops listening
    its slot stays ABSENT, even as its last connections close."""
    from twisted.internet import reactor
    from twisted.internet.protocol import Factory, Protocol

    from gateway.server import _balance, listening_socket
    from gateway.server._balance import BalancedPort

    monkeypatch.setattr(_balance, "MAX_HOLD_S", 3600.0)  # no giving up on the sibling's turn here
    table = ConnectionTable.create(2)
    table.publish(1, 0)  # the sibling: live, no connection
    listening = listening_socket("127.0.0.1", 0)
    address = listening.getsockname()
    port = in_reactor(BalancedPort.adopt, reactor, listening, Factory.forProtocol(Protocol), WorkerSlot(table, 0))
    listening.close()
    clients = []
    try:
        clients.append(socket.create_connection(address))
        assert eventually(lambda: table.count(0) == 1)
        clients.append(socket.create_connection(address))
        assert not eventually(lambda: table.count(0) == 2, timeout=0.3, interval=0.005)  # the sibling's turn
        table.publish(1, 5)
        assert eventually(lambda: table.count(0) == 2)
        clients.pop().close()
        assert eventually(lambda: table.count(0) == 1)
    finally:
        in_reactor(port.stopListening)
    assert table.count(0) == ConnectionTable.ABSENT
    for client in clients:
        client.close()
    assert eventually(lambda: port.open_connections == 0)
    assert table.count(0) == ConnectionTable.ABSENT
