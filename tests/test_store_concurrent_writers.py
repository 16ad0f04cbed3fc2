"""PostgreSQL's writers side by side: no lock shared by every write, and every rule still kept by row
locks, per-key locks, constraints and the commit-order lock of the event feed.

Two ``Store`` objects on one database stand for two gateway processes (each its own connections). A
grouped store keeps its transaction open until the test runs its scheduled commit: a transaction held
open as long as the test needs. Where the code before these rules would have waited forever, the other
store's connection has a ``lock_timeout`` so that the test fails instead of hanging.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from gateway.errors import NotRecordedError
from gateway.store import MIGRATIONS, PrestationRecord, Store, TicketRecord

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PRESTATION = PrestationRecord("P1", "OPE1", "OFFRE", "4H", "A", "B", "75056", "étage 2")


@pytest.fixture
def url() -> str:
    from pg_support import fresh_database

    url = fresh_database()
    store = Store(url)
    try:
        with store.write() as tx:
            tx.operators.insert("OPE1", "Un", esav_en_ligne=True, esav_integre=True, domains=[], at=AT)
            tx.prestations.upsert_all([PRESTATION])
            tx.appointments.set_capacity("75", "SAV", "08:00", 3, at=AT, author="t")
    finally:
        store.close()
    return url


@pytest.fixture
def grouped(url) -> Iterator[tuple[Store, list[Callable[[], None]]]]:
    """A store whose writes stay in one open transaction until the test calls the scheduled commit."""
    store = Store(url)
    scheduled: list[Callable[[], None]] = []
    store.enable_group_commit(scheduled.append)
    yield store, scheduled
    store.close()


@pytest.fixture
def other(url) -> Iterator[Store]:
    """Another process's store; a lock wait on its test-thread connection fails after a while instead of hanging."""
    store = Store(url)
    store._connections.conn.execute("SET lock_timeout = '20s'")
    yield store
    store.close()


def _fields(reference_operateur: str | None = None) -> dict[str, object]:
    return {"operator_code": "OPE1", "reference_operateur": reference_operateur, "content_hash": "",
            "prestation": "P1", "code_offre": "OFFRE", "gravite": "MAJEURE", "form_code": "F", "form_version": "1.0",
            "form_xml": "<f/>", "commentaire": None, "gtr": "4H", "state": "EN_DEPOT", "state_at": AT,
            "deposited_at": AT, "api_version": "v2"}  # fmt: skip


def _deposit(tx, reference_operateur: str | None = None) -> TicketRecord:
    """A deposit as the service writes it: the ticket and its DEPOSER event."""
    ticket = tx.tickets.deposit(_fields(reference_operateur), "SIG", PRESTATION, action="DEPOSER",
                                to_state="EN_DEPOT", actor="OPERATEUR", author="OPE1/ws")  # fmt: skip
    tx.events.add(operator_code="OPE1", kind="CHANGEMENT_ETAT", subject=ticket.reference, domain="signalisation",
                  at=AT, payload={"etat": "EN_DEPOT"})  # fmt: skip
    return ticket


def _until_someone_waits_for_a_lock(url: str, unless: threading.Thread | None = None) -> None:
    """Return once a session of the database waits for a lock (a row's, a key's, a transaction's), or
    once ``unless`` has ended (it did not wait: the test's assertions then say what it found)."""
    with psycopg.connect(url, autocommit=True) as watcher:
        while not watcher.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database OR l.database IS NULL "
            "WHERE NOT l.granted AND d.datname = current_database()"
        ).fetchone()[0]:
            if unless is not None and not unless.is_alive():
                return
            watcher.execute("SELECT pg_sleep(0.01)")


def _in_thread(work: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    """``work`` started in a thread; its result, or the exception it raised, lands in the list."""
    outcome: list[object] = []

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_transaction_held_open_does_not_block_a_deposit_of_another_process(grouped, other):
    """While one process's group transaction is open (a deposit written, not committed), another deposits."""
    store, scheduled = grouped
    with store.write() as tx:
        held = _deposit(tx)
    with other.write() as tx:
        done = _deposit(tx)
    assert other.get_ticket(done.reference) is not None and other.get_ticket(held.reference) is None
    scheduled.pop()()
    assert other.get_ticket(held.reference) is not None


def test_the_event_feed_never_skips_an_event_committed_after_a_larger_one(grouped, other):
    """An event written first but committed last still comes after the reader's cursor, with the next id."""
    store, scheduled = grouped
    with store.write() as tx:
        _deposit(tx)  # its event written first, its transaction held open
    with other.write() as tx:
        _deposit(tx)  # written second, committed first
    (first,) = other.events_after("OPE1", 0)
    scheduled.pop()()
    (late,) = other.events_after("OPE1", first.id)
    assert late.id > first.id and late.subject != first.subject


def test_a_failed_block_forgets_the_event_it_kept_for_the_commit(grouped, other):
    """In a group, a block that fails after adding its event leaves no event; the others' events are stored in order."""
    store, scheduled = grouped
    with store.write() as tx:
        kept = _deposit(tx)
    with pytest.raises(RuntimeError), store.write() as tx:
        _deposit(tx)
        raise RuntimeError("boom")
    with store.write() as tx:
        last = _deposit(tx)
    scheduled.pop()()
    assert [e.subject for e in other.events_after("OPE1", 0)] == [kept.reference, last.reference]


def test_fifty_concurrent_bookings_fill_a_slot_exactly_to_its_capacity(url):
    """Fifty threads on their own connections booking each of three slots of three: each slot gets exactly three."""
    store = Store(url, pool_size=60)
    with store.write() as tx:
        ticket = _deposit(tx)
    slots = [f"75-SAV-2026030{day}T0800" for day in (2, 3, 4)]
    start = threading.Barrier(50)
    booked: list[str] = []

    def book() -> None:
        start.wait()
        for slot in slots:
            with store.write() as tx:
                capacity = tx.appointments.capacity("75", "SAV", "08:00")  # first, as the service: it locks the slot
                if tx.appointments.booked_in_slot(slot) >= capacity:
                    continue
                fields = {"ticket_id": ticket.id, "ticket_reference": ticket.reference, "operator_code": "OPE1",
                          "slot_id": slot, "zone": "75", "intervention_type": "SAV", "slot_start": AT,
                          "slot_end": AT, "contact_name": "x", "contact_phone": "0100000000", "status": "CONFIRME",
                          "created_at": AT, "updated_at": AT}  # fmt: skip
                booked.append(tx.appointments.insert(fields, "RDV").reference)

    try:
        threads = [threading.Thread(target=book) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [store.count_appointments(slot) for slot in slots] == [3, 3, 3] and len(booked) == 9
    finally:
        store.close()


def test_the_same_deposit_resent_at_once_reads_the_first_once_it_is_committed(grouped, other, url):
    """A resent deposit (same operator reference) waits for the first one's commit and finds its ticket."""
    store, scheduled = grouped
    with store.write() as tx:
        assert tx.tickets.by_operator_reference("OPE1", "REF-1") is None
        first = _deposit(tx, "REF-1")

    def resend() -> str:
        with other.write() as tx:
            found = tx.tickets.by_operator_reference("OPE1", "REF-1")
            return found.reference if found is not None else _deposit(tx, "REF-1").reference

    thread, outcome = _in_thread(resend)
    _until_someone_waits_for_a_lock(url, unless=thread)
    scheduled.pop()()
    thread.join()
    assert outcome == [first.reference]


@pytest.mark.e2e  # the throwaway PostgreSQL server
def test_two_processes_starting_together_on_an_empty_database_apply_each_migration_once():
    """Two stores opened at once on a new database both open; every migration is recorded once."""
    from pg_support import fresh_database

    url = fresh_database()
    start = threading.Barrier(2)

    def open_store() -> set[int]:
        start.wait()
        store = Store(url)
        try:
            return store.applied_migrations()
        finally:
            store.close()

    started = [_in_thread(open_store) for _ in range(2)]
    for thread, _ in started:
        thread.join()
    expected = {number for number, _, _ in MIGRATIONS}
    assert [outcome for _, outcome in started] == [[expected], [expected]]


def test_a_deadlock_undoes_only_the_victims_block_which_is_not_recorded(grouped, other, url):
    """Crossed ticket locks of two groups: the victim block alone is undone, as NotRecordedError; the rest commits."""
    store, scheduled = grouped
    with other.write() as tx:
        x, y = _deposit(tx), _deposit(tx)
    with store.write() as tx:
        assert tx.tickets.get(x.reference) is not None  # X locked by the group
        tx.tickets.update(x.id, gravite="MINEURE")
    y_locked = threading.Event()

    def crossed() -> None:
        other._connections.conn.execute("SET lock_timeout = '20s'")  # this thread's connection
        try:
            with other.write() as tx:
                assert tx.tickets.get(y.reference) is not None  # Y locked by the other process
                tx.tickets.update(y.id, gravite="MINEURE")
                y_locked.set()
                _until_someone_waits_for_a_lock(url)  # the group waits for Y
                other._connections.conn.execute("SET LOCAL lock_timeout = 0")  # the deadlock detector decides
                tx.tickets.get(x.reference)  # ... and this one for X: a cycle
                tx.tickets.update(x.id, commentaire="autre")
        finally:
            y_locked.set()

    thread, outcome = _in_thread(crossed)
    y_locked.wait()
    failures: list[BaseException] = []
    try:
        with store.write() as tx:
            tx.tickets.get(y.reference)
            tx.tickets.update(y.id, commentaire="groupe")
    except NotRecordedError as error:
        failures.append(error)
    scheduled.pop()()
    thread.join()
    failures += [o for o in outcome if isinstance(o, BaseException)]
    assert len(failures) == 1 and isinstance(failures[0], NotRecordedError)
    stored = {
        t.reference: (t.gravite, t.commentaire)
        for t in (other.get_ticket(x.reference), other.get_ticket(y.reference))
        if t
    }
    if outcome == [None]:  # the group's second block was the victim: the other process's writes all stand
        assert stored == {x.reference: ("MINEURE", "autre"), y.reference: ("MINEURE", None)}
    else:  # the other process's transaction was: the group's blocks all stand
        assert stored == {x.reference: ("MINEURE", None), y.reference: ("MAJEURE", "groupe")}


def test_a_login_taken_by_a_transaction_not_yet_committed_is_seen_taken_once_it_commits(grouped, other, url):
    """Two agents created at once with one login: the second check waits for the first's commit and finds it taken."""
    store, scheduled = grouped
    with store.write() as tx:
        assert not tx.accounts.login_taken("agent.un")
        tx.accounts.insert_agent(login="agent.un", name="Un", password_hash="x", at=AT)

    def second() -> bool:
        with other.write() as tx:
            return tx.accounts.login_taken("agent.un")

    thread, outcome = _in_thread(second)
    _until_someone_waits_for_a_lock(url, unless=thread)
    scheduled.pop()()
    thread.join()
    assert outcome == [True]
