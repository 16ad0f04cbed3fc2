"""Group commit on both engines: one transaction per tick, a savepoint per write block."""

from __future__ import annotations

import pytest
from test_store_group_commit import _add_operator

from gateway.store import Store


@pytest.fixture
def grouped(store_url):
    store = Store(store_url)
    other = Store(store_url)  # another connection sees only what is committed
    scheduled: list = []
    store.enable_group_commit(scheduled.append)
    yield store, scheduled, lambda: {operator.code for operator in other.list_operators()}
    store.close()
    other.close()


def test_blocks_of_one_tick_commit_together_and_a_failed_one_undoes_only_its_writes(grouped):
    """Four blocks in one tick, the third failing half-way: the others commit at the tick's end, it does not."""
    store, scheduled, committed = grouped
    with store.write() as db:
        _add_operator(db, "OPA")
    with store.write() as db:
        _add_operator(db, "OPB")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), store.write() as db:
        _add_operator(db, "OPC")
        _add_operator(db, "OPA")  # duplicate key
    with store.write() as db:
        _add_operator(db, "OPD")
    assert len(scheduled) == 1 and committed() == set()
    scheduled.pop()()
    assert committed() == {"OPA", "OPB", "OPD"}
    assert not store.commit_pending()


def test_a_failed_inner_block_undoes_its_writes_and_later_blocks_still_commit(grouped):
    """Nested blocks: the inner error undoes the inner writes only; the next top-level block commits too."""
    store, scheduled, committed = grouped
    with store.write() as db:
        _add_operator(db, "OPA")
        with pytest.raises(Exception, match=r"(?i)unique|duplicate"), store.write() as inner:
            _add_operator(inner, "OPB")
            _add_operator(inner, "OPA")
        _add_operator(db, "OPC")
    with store.write() as db:
        _add_operator(db, "OPD")
    scheduled.pop()()
    assert committed() == {"OPA", "OPC", "OPD"}


def test_the_next_tick_opens_a_new_transaction(grouped):
    """After a tick's commit, the next write opens a new group, committed on its own."""
    store, scheduled, committed = grouped
    with store.write() as db:
        _add_operator(db, "OPA")
    scheduled.pop()()
    with store.write() as db:
        _add_operator(db, "OPB")
    assert committed() == {"OPA"}
    scheduled.pop()()
    assert committed() == {"OPA", "OPB"}
