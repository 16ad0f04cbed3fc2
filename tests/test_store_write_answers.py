"""A write block's statements answer as if each had waited, on both engines.

On PostgreSQL the store sends a block's plain writes without waiting for each answer (one round trip
for all of them): what a block reads, counts and fails on must not change for it."""

from __future__ import annotations

import pytest
from test_store_group_commit import _add_operator

from gateway.store import Store


@pytest.fixture(params=["grouped", "alone"])
def store(request, store_url):
    """The store, its writes grouped per tick (committed by the test) or each block on its own."""
    store = Store(store_url)
    scheduled: list = []
    if request.param == "grouped":
        store.enable_group_commit(scheduled.append)
    yield store
    if scheduled:
        scheduled.pop()()
    store.close()


def _codes(store_url: str) -> set[str]:
    other = Store(store_url)  # another connection: what is committed
    try:
        return {operator.code for operator in other.list_operators()}
    finally:
        other.close()


def test_an_update_counts_the_rows_it_changed(store):
    """An UPDATE's row count, read right after it in the block, is the number of rows it matched."""
    with store.write() as db:
        for code in ("OPA", "OPB", "OPC"):
            _add_operator(db, code)
        changed = db.low_level.conn.execute("UPDATE operators SET name = ? WHERE code IN (?, ?)", ["x", "OPA", "OPC"])
        none = db.low_level.conn.execute("UPDATE operators SET name = ? WHERE code = ?", ["y", "NONE"])
        assert (changed.rowcount, none.rowcount) == (2, 0)


def test_a_read_in_the_block_sees_the_writes_before_it(store):
    """Rows inserted earlier in the block are read back by the same block."""
    with store.write() as db:
        _add_operator(db, "OPA")
        _add_operator(db, "OPB")
        rows = db.low_level.conn.execute(
            "SELECT code FROM operators WHERE code IN (?, ?) ORDER BY code", ["OPA", "OPB"]
        )
        assert [row[0] for row in rows.fetchall()] == ["OPA", "OPB"]


def test_a_write_that_breaks_a_key_fails_its_own_block(store, store_url):
    """A duplicate key is raised by the block that wrote it, which stores nothing; the next block works."""
    with store.write() as db:
        _add_operator(db, "OPA")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), store.write() as db:
        _add_operator(db, "OPB")
        _add_operator(db, "OPA")
    with store.write() as db:
        _add_operator(db, "OPC")
    store.commit_now()
    assert _codes(store_url) == {"OPA", "OPC"}


def test_a_block_failing_after_a_write_that_breaks_a_key_leaves_the_store_usable(store, store_url):
    """A block that raises after a write that breaks a key stores nothing of it, and the next block
    commits (on PostgreSQL, the failed write's answer is still waiting when the block raises)."""
    with store.write() as db:
        _add_operator(db, "OPA")
    with pytest.raises(Exception, match=r"(?i)the service's own|unique|duplicate"), store.write() as db:
        _add_operator(db, "OPB")
        _add_operator(db, "OPA")
        raise LookupError("the service's own")
    with store.write() as db:
        _add_operator(db, "OPC")
    store.commit_now()
    assert _codes(store_url) == {"OPA", "OPC"}


@pytest.mark.e2e  # the throwaway PostgreSQL server
@pytest.mark.parametrize("grouped", [True, False])
def test_on_postgresql_the_services_error_is_the_one_that_leaves_the_block(grouped):
    """The service's own error, raised after a write whose answer has not come back, is not replaced by
    that write's error."""
    from pg_support import fresh_database

    url = fresh_database()
    store = Store(url)
    if grouped:
        store.enable_group_commit(lambda _commit: None)
    try:
        with store.write() as db:
            _add_operator(db, "OPA")
        with pytest.raises(LookupError, match="the service's own"), store.write() as db:
            _add_operator(db, "OPA")
            raise LookupError("the service's own")
        store.commit_now()
        assert _codes(url) == {"OPA"}
    finally:
        store.close()
