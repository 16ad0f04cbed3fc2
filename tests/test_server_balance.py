"""The table by which worker processes take turns to accept connections (gateway/server/_balance.py).

The workers themselves, splitting real connections evenly and not waiting for a stalled sibling, are
tested end to end in test_server_workers.py."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

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
