"""CallBatch: the calls of one reactor turn run their service methods, commit once, then answer."""

from __future__ import annotations

import fcntl
import os
import sqlite3

import pytest
from test_store_group_commit import _add_operator, _committed_codes, fail_commits

from gateway.errors import NotRecordedError
from gateway.server import CallBatch
from gateway.store import Store


@pytest.fixture
def grouped(tmp_path):
    store = Store(tmp_path / "esav.db")
    store.enable_group_commit(lambda fn: None)  # the batch commits itself; the tick's commit never runs
    yield store, tmp_path / "esav.db"
    store.close()


class Call:
    """A pending call: its service method (``work``), and what it saw when its answer left."""

    def __init__(self, name, path, log, work=None):
        self.name, self.path, self.log, self.work = name, path, log, work
        self.finished_with = "not finished"

    def handle(self):
        self.log.append(("handle", self.name))
        if self.work is not None:
            self.work()

    def finish(self, failure=None):
        self.log.append(("finish", self.name, frozenset(_committed_codes(self.path))))
        self.finished_with = failure


def _writer(store, code):
    def work():
        with store.write() as db:
            _add_operator(db, code)

    return work


def test_methods_run_in_order_then_one_commit_then_the_answers(grouped):
    """Every method runs before any answer; the answers of writing calls leave after the one commit."""
    store, path = grouped
    log: list = []
    scheduled: list = []
    batch = CallBatch(store, schedule=scheduled.append)
    calls = [Call("A", path, log, _writer(store, "OPA")), Call("B", path, log, _writer(store, "OPB"))]
    for call in calls:
        batch.add(call)
    assert len(scheduled) == 1 and log == []  # one run per turn, nothing done on arrival
    scheduled.pop()()
    assert log[:2] == [("handle", "A"), ("handle", "B")]
    assert {entry[1:] for entry in log[2:]} == {("A", frozenset({"OPA", "OPB"})), ("B", frozenset({"OPA", "OPB"}))}
    assert [c.finished_with for c in calls] == [None, None]
    assert not store.commit_pending()


def _lock_is_free(path) -> bool:
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing the descriptor drops a lock taken through it
    return True


def test_checks_before_a_write_run_without_the_writer_lock(grouped):
    """A method's reads and checks run while no write of the batch holds the lock; the writes keep their order."""
    store, path = grouped
    seen: dict[str, bool] = {}

    def checks_then_write(code):
        def work():
            seen[code] = _lock_is_free(path)
            _writer(store, code)()

        return work

    batch = CallBatch(store, schedule=lambda fn: None)
    for code in ("OPA", "OPB", "OPC"):
        batch.add(Call(code, path, [], checks_then_write(code)))
    batch.run()
    assert seen == {"OPA": True, "OPB": True, "OPC": True}
    with sqlite3.connect(path) as other:
        assert [row[0] for row in other.execute("SELECT code FROM operators ORDER BY rowid")] == ["OPA", "OPB", "OPC"]


def test_a_call_before_any_write_answers_without_waiting(grouped):
    """A read handled before the turn's first write does not depend on the commit and is not held."""
    store, path = grouped
    log: list = []
    batch = CallBatch(store, schedule=lambda fn: None)
    reader, writer = Call("read", path, log), Call("write", path, log, _writer(store, "OPW"))
    batch.add(reader)
    batch.add(writer)
    batch.run()
    finishes = {entry[1]: entry[2] for entry in log if entry[0] == "finish"}
    assert finishes == {"read": frozenset({"OPW"}), "write": frozenset({"OPW"})}
    assert reader.finished_with is None and writer.finished_with is None


def test_the_writer_lock_is_free_once_the_batch_has_run(grouped):
    """The cross-process writer lock is held for the methods and the commit, and released after."""
    store, path = grouped
    batch = CallBatch(store, schedule=lambda fn: None)
    batch.add(Call("A", path, [], _writer(store, "OPA")))
    batch.run()
    assert _lock_is_free(path)


def test_a_failed_commit_fails_the_held_answers_only(grouped, monkeypatch):
    """When the commit fails, the calls that wrote get the failure; one answered before the write does not."""
    store, path = grouped
    log: list = []
    batch = CallBatch(store, schedule=lambda fn: None)
    reader, writer = Call("read", path, log), Call("write", path, log, _writer(store, "OPW"))
    batch.add(reader)
    batch.add(writer)
    fail_commits(store, monkeypatch)
    batch.run()
    assert isinstance(writer.finished_with, NotRecordedError)
    assert reader.finished_with is None
    assert _committed_codes(path) == set()


def test_without_group_commit_every_call_answers_in_turn(tmp_path):
    """No commit gate (group commit off): each method commits itself and its answer follows."""
    store = Store(tmp_path / "esav.db")
    try:
        log: list = []
        batch = CallBatch(None, schedule=lambda fn: None)
        batch.add(Call("A", tmp_path / "esav.db", log, _writer(store, "OPA")))
        batch.run()
        assert log == [("handle", "A"), ("finish", "A", frozenset({"OPA"}))]
    finally:
        store.close()


def test_the_batchs_certificates_are_read_ahead_once_around_its_methods(grouped):
    """With ``read_ahead``, the batch reads the certificates of its calls still to answer once, one key per
    call (two calls of one operator name its certificate twice: the store reads it once for both), and
    every method runs inside that read (the store then answers each authentication from it). Calls served
    by spyne name no prestation to read ahead."""
    from contextlib import contextmanager

    from gateway.ws import CLIENT_FINGERPRINT

    store, path = grouped
    log: list = []

    @contextmanager
    def read_ahead(fingerprints, prestations):
        log.append(("read", list(fingerprints), list(prestations)))
        yield
        log.append(("done",))

    batch = CallBatch(store, schedule=lambda fn: None, read_ahead=read_ahead)
    calls = [Call(name, path, log) for name in ("A", "B", "C", "D")]
    for call, fingerprint in zip(calls, ("aa", "bb", "aa", None), strict=True):
        call.call, call.answer, call.fast = {CLIENT_FINGERPRINT: fingerprint}, None, None
        batch.add(call)
    calls[1].answer = b"refused before its method"  # already answered: nothing to read for it
    batch.run()
    assert log[0] == ("read", ["aa", "aa"], [])
    assert [entry[:2] for entry in log[1:5]] == [("handle", n) for n in "ABCD"]
    assert ("done",) in log and log.index(("done",)) > 4
