"""PostgreSQL drops the store's connection in the middle of a write transaction (a failover, a server
crash): nothing of that transaction is acknowledged, even though the next connection works."""

from __future__ import annotations

import psycopg
import pytest
from pg_support import fresh_database
from test_store_group_commit import _add_operator

from gateway.errors import NotRecordedError
from gateway.store import Store

pytestmark = pytest.mark.e2e  # a PostgreSQL server of its own


def _drop_connections_of(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 10000)", [pid])  # and wait until it has ended


def _codes(url: str) -> set[str]:
    with psycopg.connect(url) as other:
        return {row[0] for row in other.execute("SELECT code FROM operators")}


@pytest.fixture
def pg_store():
    url = fresh_database()
    store = Store(url)
    yield store, url
    store.close()


def _group_written_then_dropped(store, url):
    """A tick's group that wrote PERDU, then the server dropped its connection: the group's scheduled
    commits and the outcomes its waiter will receive."""
    scheduled: list = []
    store.enable_group_commit(scheduled.append)
    with store.write() as db:
        _add_operator(db, "PERDU")
        pid = db.low_level.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    outcomes: list = []
    store.after_commit(outcomes.append)
    _drop_connections_of(url, pid)
    return scheduled, outcomes


def test_a_group_whose_connection_was_dropped_is_not_acknowledged(pg_store):
    """A tick's group wrote on a connection the server then dropped: its commit fails every waiter
    (NotRecordedError), and nothing is stored, though a fresh connection would have answered COMMIT."""
    store, url = pg_store
    scheduled, outcomes = _group_written_then_dropped(store, url)
    [commit] = scheduled
    commit()
    assert len(outcomes) == 1 and isinstance(outcomes[0], NotRecordedError), outcomes
    assert "PERDU" not in _codes(url)
    with store.write() as db:  # the store goes on with a new connection
        _add_operator(db, "APRES")
    scheduled[-1]()
    assert "APRES" in _codes(url)


def test_a_group_whose_later_write_met_the_dropped_connection_is_not_acknowledged(pg_store):
    """One request of the tick wrote, the server dropped the connection, the next request's write failed on
    it: the first request is not acknowledged either (its writes died with the connection), though the
    store has meanwhile taken a fresh connection on which COMMIT would succeed."""
    store, url = pg_store
    scheduled, outcomes = _group_written_then_dropped(store, url)
    with pytest.raises(psycopg.OperationalError), store.write() as db:
        _add_operator(db, "SUIVANT")
    [commit] = scheduled
    commit()
    assert len(outcomes) == 1 and isinstance(outcomes[0], NotRecordedError), outcomes
    assert _codes(url).isdisjoint({"PERDU", "SUIVANT"})


def test_a_write_block_whose_connection_was_dropped_is_not_acknowledged(pg_store):
    """Without group commit: a block whose connection the server dropped before its COMMIT raises, and
    nothing is stored."""
    store, url = pg_store
    with pytest.raises((NotRecordedError, psycopg.OperationalError)), store.write() as db:
        _add_operator(db, "PERDU")
        pid = db.low_level.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        _drop_connections_of(url, pid)
    assert "PERDU" not in _codes(url)
