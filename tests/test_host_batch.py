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

    def __init__(self, name, path, log, work=None, connection=None, may_write=True):
        self.name, self.path, self.log, self.work = name, path, log, work
        self.connection, self.may_write = connection, may_write
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


class Waits:
    """A batch with ``wait_s`` on a clock the test sets: its scheduled runs and its delayed ones."""

    def __init__(self, store, wait_s=0.002):
        self.now = 0.0
        self.scheduled: list = []
        self.delayed: list = []  # [delay, fn, cancelled]
        self.batch = CallBatch(store, schedule=self.scheduled.append, wait_s=wait_s,
                               call_later=self._later, clock=lambda: self.now)  # fmt: skip

    def _later(self, delay, fn):
        entry = [delay, fn, False]
        self.delayed.append(entry)

        class Delayed:
            def cancel(self):
                entry[2] = True

        return Delayed()

    def add(self, call, at):
        self.now = at
        self.batch.add(call)

    def run_scheduled(self):
        while self.scheduled:
            self.scheduled.pop(0)()


def _finishes(log):
    return {entry[1]: entry[2] for entry in log if entry[0] == "finish"}


def test_a_call_waits_for_a_connection_just_answered_and_shares_its_commit(grouped):
    """A call arriving just after another connection's answer waits for that connection's next call;
    once it is in, both run at once and share one commit (each answer sees both writes)."""
    store, path = grouped
    log: list = []
    waits = Waits(store)
    waits.add(Call("A1", path, log, _writer(store, "OPA1"), connection="a"), at=0.0)
    waits.run_scheduled()  # nobody answered yet: A1 runs at once
    assert _finishes(log) == {"A1": frozenset({"OPA1"})} and waits.delayed == []
    waits.add(Call("B1", path, log, _writer(store, "OPB1"), connection="b"), at=0.0001)
    waits.run_scheduled()
    assert ("handle", "B1") not in log  # waiting for connection a, at most 2 ms after its answer
    assert waits.delayed[0][0] == pytest.approx(0.0019)
    waits.add(Call("A2", path, log, _writer(store, "OPA2"), connection="a"), at=0.0003)
    assert waits.delayed[0][2]  # connection a is back: the wait is over
    waits.run_scheduled()
    both = frozenset({"OPA1", "OPB1", "OPA2"})
    assert {k: v for k, v in _finishes(log).items() if k != "A1"} == {"B1": both, "A2": both}


def test_a_wait_ends_at_its_limit_and_forgets_connections_answered_longer_ago(grouped):
    """A connection that does not come back holds a call ``wait_s`` at most; one answered longer ago than
    that holds nothing; nor does a batch already holding enough calls."""
    store, path = grouped
    log: list = []
    waits = Waits(store)
    waits.add(Call("A1", path, log, _writer(store, "OPA1"), connection="a"), at=0.0)
    waits.run_scheduled()
    waits.add(Call("B1", path, log, _writer(store, "OPB1"), connection="b"), at=0.0005)
    waits.run_scheduled()
    (delay, fn, cancelled) = waits.delayed[0]
    assert delay == pytest.approx(0.0015) and not cancelled
    waits.now = 0.002
    fn()  # the limit: B1 runs alone
    assert _finishes(log)["B1"] == frozenset({"OPA1", "OPB1"})
    waits.add(Call("C1", path, log, _writer(store, "OPC1"), connection="c"), at=0.0045)
    waits.run_scheduled()  # a answered 4.5 ms ago, b 2.5 ms ago: nobody expected
    assert "C1" in _finishes(log) and len(waits.delayed) == 1
    waits.add(Call("A2", path, log, _writer(store, "OPA2"), connection="a"), at=0.0046)
    for name in ("D1", "E1", "F1"):  # c was just answered, but four calls are enough to run
        waits.add(Call(name, path, log, _writer(store, f"OP{name}"), connection=name), at=0.0046)
    waits.run_scheduled()
    assert {"A2", "D1", "E1", "F1"} <= _finishes(log).keys() and len(waits.delayed) == 1
    for name in ("G1", "H1", "I1", "J1"):  # a batch of four, 5.4 ms later: no wait, and nothing kept of
        waits.add(Call(name, path, log, _writer(store, f"OP{name}"), connection=name), at=0.0100)
    waits.run_scheduled()  # the connections answered before (closed ones are not held for ever)
    assert set(waits.batch._answered) == {"G1", "H1", "I1", "J1"}


def test_a_lone_client_never_waits(grouped):
    """One connection: its next call finds nobody else answered, and runs at once."""
    store, path = grouped
    log: list = []
    waits = Waits(store)
    for number in range(3):
        waits.add(Call(f"A{number}", path, log, _writer(store, f"OPA{number}"), connection="a"), at=number * 0.0001)
        waits.run_scheduled()
    assert len(_finishes(log)) == 3 and waits.delayed == []


def test_a_connection_closed_after_its_answer_is_not_waited_for(grouped):
    """A client that closes its connection once answered (no keep-alive) sends nothing more on it: the
    next call, on another connection, runs at once."""

    class Connection:
        closed = False

    store, path = grouped
    log: list = []
    waits = Waits(store)
    first = Connection()
    waits.add(Call("A1", path, log, _writer(store, "OPA1"), connection=first), at=0.0)
    waits.run_scheduled()
    first.closed = True
    waits.add(Call("B1", path, log, _writer(store, "OPB1"), connection=Connection()), at=0.0001)
    waits.run_scheduled()
    assert "B1" in _finishes(log) and waits.delayed == []


def test_the_servers_channels_say_when_their_connection_is_closed():
    """What the batch reads to stop waiting for a connection: ``closed``, set when it is lost."""
    from gateway.server._timeouts import TimedChannel

    class Transport:  # what a channel asks of its connection when it starts and stops
        def registerProducer(self, producer, streaming):  # noqa: N802 - Twisted's interface
            pass

        def unregisterProducer(self):  # noqa: N802 - Twisted's interface
            pass

    channel = TimedChannel()
    channel.makeConnection(Transport())
    assert channel.closed is False
    channel.connectionLost()
    assert channel.closed is True


def test_calls_that_only_read_never_wait(grouped):
    """A batch of calls that only read (a state query) has no commit to share: it runs at once, even just
    after another connection's answer; one that may write then waits as usual."""
    store, path = grouped
    log: list = []
    waits = Waits(store)
    waits.add(Call("A1", path, log, _writer(store, "OPA1"), connection="a"), at=0.0)
    waits.run_scheduled()
    waits.add(Call("B1", path, log, connection="b", may_write=False), at=0.0001)
    waits.run_scheduled()
    assert "B1" in _finishes(log) and waits.delayed == []
    waits.add(Call("C1", path, log, _writer(store, "OPC1"), connection="c"), at=0.0002)
    waits.run_scheduled()
    assert "C1" not in _finishes(log) and len(waits.delayed) == 1


def test_the_methods_greenlets_serve_the_next_batches(grouped):
    """A method runs in a greenlet of its own, paused at its first write while the others run; the
    greenlets then serve the next batch's methods, paused or not, rather than new ones each time."""
    import greenlet

    store, path = grouped
    batch = CallBatch(store, schedule=lambda fn: None)
    ran_in: list[list] = []

    def noting(work=None):
        def method():
            ran_in[-1].append(greenlet.getcurrent())
            if work is not None:
                work()

        return method

    for round_ in range(3):
        ran_in.append([])
        log: list = []
        batch.add(Call("W1", path, log, noting(_writer(store, f"OW{round_}1"))))
        batch.add(Call("R", path, log, noting()))  # returns without writing: its greenlet is free at once
        batch.add(Call("W2", path, log, noting(_writer(store, f"OW{round_}2"))))
        batch.run()
        assert [entry[1] for entry in log if entry[0] == "finish"].count("W1") == 1
    main = greenlet.getcurrent()
    assert all(g is not main for g in ran_in[0])
    # W1 pauses at its write in one greenlet; R returns in a second, which then serves W2.
    assert ran_in[0][1] is ran_in[0][2] and ran_in[0][0] is not ran_in[0][1]
    assert set(ran_in[1]) == set(ran_in[2]) == set(ran_in[0])  # the same two, batch after batch
    assert _committed_codes(path) >= {"OW01", "OW02", "OW11", "OW12", "OW21", "OW22"}


def test_a_method_that_ends_its_greenlet_leaves_the_others_serving(grouped):
    """A method that stops its greenlet with an exception the batch does not catch (a greenlet's end)
    loses that greenlet only: the next batch's methods run."""
    import greenlet

    store, path = grouped
    batch = CallBatch(store, schedule=lambda fn: None)

    def leave():
        raise greenlet.GreenletExit  # ends the greenlet quietly: its switch returns to the batch

    log: list = []
    batch.add(Call("gone", path, log, leave))
    batch.run()
    batch.add(Call("next", path, log, _writer(store, "ONX")))
    batch.run()
    assert ("handle", "next") in log and "ONX" in _committed_codes(path)
