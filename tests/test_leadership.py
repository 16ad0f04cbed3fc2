"""Which process runs the background work: the holder of a PostgreSQL advisory lock on a connection of its
own (one of all the processes sharing a database); on SQLite, the process the server was told leads."""

from __future__ import annotations

import psycopg
import pytest
import requests
from pg_support import fresh_database
from support import eventually, start_gateway

from gateway.store import parse_store_url
from gateway.store._leadership import PgLeadership, StaticLeadership


@pytest.fixture
def url() -> str:
    return fresh_database()


def test_one_holder_at_a_time_and_release_lets_another_take_it(url):
    """The first process takes the leadership, a second cannot while it holds it, and takes it once released."""
    first, second = PgLeadership(parse_store_url(url)), PgLeadership(parse_store_url(url))
    try:
        assert first.try_acquire() and first.held()
        assert not second.try_acquire() and not second.held()
        assert first.try_acquire()  # asking again while holding it keeps it
        first.release()
        assert not first.held()
        assert second.try_acquire() and second.held()
    finally:
        first.release()
        second.release()


def test_a_dropped_connection_loses_the_leadership_to_another(url):
    """When the database drops the holder's connection (a crash, a failover), it no longer holds the
    leadership, another process takes it, and the first gets it back only once that one lets go."""
    first, second = PgLeadership(parse_store_url(url)), PgLeadership(parse_store_url(url))
    try:
        assert first.try_acquire()
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "  # waits for it to end
                "WHERE application_name = 'esav-leader' AND datname = current_database()"
            )
        assert not first.held()
        assert second.try_acquire()
        assert not first.try_acquire()
        second.release()
        assert first.try_acquire()
    finally:
        first.release()
        second.release()


def test_a_released_leadership_is_free_for_another_at_once(url):
    """Once ``release`` returns, another process takes the leadership at its first try, every time."""
    first, second = PgLeadership(parse_store_url(url)), PgLeadership(parse_store_url(url))
    try:
        for _ in range(30):
            assert first.try_acquire()
            first.release()
            assert second.try_acquire()
            second.release()
    finally:
        first.release()
        second.release()


def test_leaderships_of_two_databases_do_not_contend(url):
    """Two gateways on two databases of one server each run their own background work."""
    other = fresh_database()
    mine, theirs = PgLeadership(parse_store_url(url)), PgLeadership(parse_store_url(other))
    try:
        assert mine.try_acquire() and theirs.try_acquire()
    finally:
        mine.release()
        theirs.release()


def test_an_unreachable_database_is_not_a_leadership():
    """No database answering: not the leader (no exception), and it tries again later."""
    leadership = PgLeadership(parse_store_url("postgresql://esav@127.0.0.1:1/nothing?connect_timeout=1"))
    assert not leadership.try_acquire()
    assert not leadership.held()


def test_sqlite_leadership_is_what_the_server_was_told():
    """On SQLite the first process leads and the others never do; it does not move."""
    assert StaticLeadership(True).try_acquire() and StaticLeadership(True).fixed
    assert not StaticLeadership(False).try_acquire()


def _leader_gauge(server) -> float:
    """``esav_leader`` as the server's operations port reports it."""
    text = requests.get(f"http://127.0.0.1:{server.running.operations.metrics_port_number}/metrics", timeout=10).text
    [line] = [line for line in text.splitlines() if line.startswith("esav_leader ")]
    return float(line.split()[1])


def test_two_servers_on_one_database_one_runs_the_work_then_the_other(tmp_path, session_pki):
    """Two gateways on one PostgreSQL database: only the first runs the background work; when it stops,
    the second takes it over within a few of its retries."""
    first = start_gateway(tmp_path / "a", session_pki, backend="postgresql", settings_overrides={"group_commit": False})
    shared = {"store_url": first.gateway.store.url.conninfo, "group_commit": False, "leader_retry_s": 0.05}
    second = start_gateway(tmp_path / "b", session_pki, settings_overrides=shared)
    try:
        assert first.running.leading and first.running.background.running
        assert not second.running.leading and not second.running.background.running
        assert [_leader_gauge(first), _leader_gauge(second)] == [1.0, 0.0]
        first.stop()
        assert eventually(lambda: second.running.leading, timeout=20)
        assert second.running.background.running
        assert _leader_gauge(second) == 1.0
    finally:
        second.stop()
        if first.running.election is not None and first.running.election.leading:
            first.stop()
