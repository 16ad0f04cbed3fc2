"""Group commit: the writes of one event-loop tick commit together; answers wait for the commit."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from gateway.errors import NotRecordedError
from gateway.store import Store


@pytest.fixture
def grouped(tmp_path):
    store = Store(tmp_path / "esav.db")
    scheduled = []
    store.enable_group_commit(scheduled.append)
    yield store, scheduled, tmp_path / "esav.db"
    store.close()


def _add_operator(db, code):
    db.low_level.conn.execute(
        "INSERT INTO operators (code, name, esav_en_ligne, esav_integre, domains, created_at) "
        "VALUES (?, ?, 1, 1, '[]', '2026-11-22')",
        [code, code],
    )


def _committed_codes(path):
    with sqlite3.connect(path) as other:  # another connection sees only what is committed
        return {row[0] for row in other.execute("SELECT code FROM operators")}


def fail_commits(store, monkeypatch):
    """From now on, every COMMIT of the store's kind hits a disk error: each connection as the store
    sees it (grouped or not, in any thread, a CLI's own store included) refuses COMMIT only."""
    connections = type(store._connections)
    real_conn = connections.conn

    class Failing:
        def __init__(self, conn):
            self._conn = conn

        def __getattr__(self, name):
            return getattr(self._conn, name)

        def execute(self, sql, *args):
            if sql == "COMMIT":
                raise sqlite3.OperationalError("disk I/O error")
            return self._conn.execute(sql, *args)

    monkeypatch.setattr(connections, "conn", property(lambda self: Failing(real_conn.fget(self))))


def test_writes_of_one_tick_commit_once_at_the_end(grouped):
    """Two write blocks share one transaction, invisible to others until the scheduled commit runs."""
    store, scheduled, path = grouped
    with store.write() as db:
        _add_operator(db, "OPA")
    with store.write() as db:
        _add_operator(db, "OPB")
    assert len(scheduled) == 1 and store.commit_pending()
    assert _committed_codes(path) == set()
    scheduled.pop()()
    assert _committed_codes(path) == {"OPA", "OPB"}
    assert not store.commit_pending()


def test_a_failed_block_undoes_only_its_own_writes(grouped):
    """An error inside one block rolls back its savepoint; the others' writes still commit."""
    store, scheduled, path = grouped
    with store.write() as db:
        _add_operator(db, "OPA")
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:
        _add_operator(db, "OPC")
        _add_operator(db, "OPA")  # duplicate key
    scheduled.pop()()
    assert _committed_codes(path) == {"OPA"}


def test_waiters_are_called_after_the_commit(grouped):
    """after_commit holds a callback until the group is durable, then calls it with no failure."""
    store, scheduled, path = grouped
    seen = []
    with store.write() as db:
        _add_operator(db, "OPA")
    store.after_commit(lambda failure: seen.append((failure, _committed_codes(path))))
    assert seen == []
    scheduled.pop()()
    assert seen == [(None, {"OPA"})]


def test_without_pending_writes_a_waiter_runs_at_once(grouped):
    """Nothing pending: after_commit calls back immediately."""
    store, _, _ = grouped
    seen = []
    store.after_commit(seen.append)
    assert seen == [None]


def test_other_threads_write_on_their_own(grouped):
    """A thread other than the grouping one commits its own writes at the end of its block."""
    store, scheduled, path = grouped
    done = threading.Event()

    def elsewhere():
        with store.write() as db:
            _add_operator(db, "OPT")
        done.set()

    threading.Thread(target=elsewhere).start()
    assert done.wait(10)
    assert _committed_codes(path) == {"OPT"} and scheduled == []


def test_a_failed_commit_fails_every_waiter(grouped, monkeypatch):
    """When COMMIT fails, every waiting answer gets the same NotRecordedError, and nothing is committed."""
    store, scheduled, path = grouped
    seen = []
    with store.write() as db:
        _add_operator(db, "OPA")
    store.after_commit(seen.append)
    store.after_commit(seen.append)
    fail_commits(store, monkeypatch)
    scheduled.pop()()
    assert len(seen) == 2 and seen[0] is seen[1] and isinstance(seen[0], NotRecordedError)
    assert isinstance(seen[0].__cause__, sqlite3.OperationalError)
    assert _committed_codes(path) == set()


def test_a_failed_inner_block_undoes_only_its_own_writes(grouped):
    """Nested write blocks: the inner one's error undoes its writes only; the outer one goes on and commits."""
    store, scheduled, path = grouped
    with store.write() as db:
        _add_operator(db, "OPA")
        with pytest.raises(sqlite3.IntegrityError), store.write() as inner:
            _add_operator(inner, "OPB")
            _add_operator(inner, "OPA")  # duplicate key
        _add_operator(db, "OPC")
    with store.write() as db:  # a later block of the same tick, at the same depth as the first
        _add_operator(db, "OPD")
    scheduled.pop()()
    assert _committed_codes(path) == {"OPA", "OPC", "OPD"}


def break_commits_on(path, table):
    """Make every later transaction that inserts into ``table`` fail at its COMMIT, for real: the insert
    also inserts a row breaking a deferred foreign key, which SQLite checks only at COMMIT."""
    with sqlite3.connect(path) as db:
        db.executescript(
            f"""
            CREATE TABLE commit_breaker_target (id INTEGER PRIMARY KEY);
            CREATE TABLE commit_breaker (
                target INTEGER REFERENCES commit_breaker_target (id) DEFERRABLE INITIALLY DEFERRED
            );
            CREATE TRIGGER break_commits AFTER INSERT ON {table}
            BEGIN INSERT INTO commit_breaker VALUES (1); END;
            """
        )


def test_a_failed_commit_outside_a_group_is_rolled_back_and_not_recorded(tmp_path):
    """Without group commit, a failed COMMIT raises NotRecordedError, keeps nothing, leaves no transaction open."""
    path = tmp_path / "esav.db"
    store = Store(path)
    try:
        break_commits_on(path, "operators")
        with pytest.raises(NotRecordedError), store.write() as db:
            _add_operator(db, "OPA")
        with store.write() as db:  # the next write opens a transaction of its own
            db.low_level.conn.execute("DROP TRIGGER break_commits")
            _add_operator(db, "OPB")
        assert _committed_codes(path) == {"OPB"}
    finally:
        store.close()


def _temp_store(store):
    """Where the calling thread's SQLite connection keeps temporary data: 0 default (files), 2 memory."""
    return store._connections.conn.execute("PRAGMA temp_store").fetchone()[0]


def test_a_group_keeps_its_savepoints_journal_in_memory_and_reads_spill_to_files_again(grouped):
    """The savepoints of a group transaction journal in memory (no temporary file per commit); once it
    is committed, the thread's reads are back to temporary files for their large sorts and tables."""
    store, scheduled, _path = grouped
    assert _temp_store(store) == 0
    with store.write() as db:
        _add_operator(db, "OPA")
        assert _temp_store(store) == 2
    scheduled.pop()()
    assert _temp_store(store) == 0
    with store.write() as db:  # the next group again
        _add_operator(db, "OPB")
        assert _temp_store(store) == 2
    scheduled.pop()()
    assert _temp_store(store) == 0


def test_after_a_failed_commit_reads_spill_to_files_again(grouped, monkeypatch):
    store, scheduled, _path = grouped
    with store.write() as db:
        _add_operator(db, "OPA")
    fail_commits(store, monkeypatch)
    store.after_commit(lambda failure: None)
    scheduled.pop()()
    monkeypatch.undo()
    assert _temp_store(store) == 0


def test_a_write_outside_a_group_leaves_temporary_data_in_files(tmp_path):
    store = Store(tmp_path / "esav.db")
    try:
        with store.write() as db:
            _add_operator(db, "OPA")
            assert _temp_store(store) == 0
    finally:
        store.close()


def test_a_group_that_cannot_begin_leaves_reads_spilling_to_files(grouped, monkeypatch):
    """The writers' lock refused (here: a lock file gone bad): the write fails, and the setting the group
    made for its transaction does not outlive it."""
    store, scheduled, _path = grouped
    writer = store._connections._writer

    def refuse() -> None:
        raise OSError("lock file unavailable")

    monkeypatch.setattr(writer, "acquire", refuse)
    with pytest.raises(OSError), store.write() as db:
        _add_operator(db, "OPA")
    assert _temp_store(store) == 0
    assert not store.commit_pending() and scheduled == []
