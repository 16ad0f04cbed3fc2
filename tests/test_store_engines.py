"""The store's promises on both engines (SQLite and PostgreSQL): schema, ids, durability, locks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from gateway.errors import NotRecordedError
from gateway.store import MIGRATIONS, PrestationRecord, Store, TicketRecord

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(store_url):
    opened = Store(store_url)
    try:
        yield opened
    finally:
        opened.close()


def test_a_new_store_applies_every_migration_and_reopening_applies_none(store_url):
    """Every migration is recorded once; opening the store again changes nothing."""
    first = Store(store_url)
    try:
        assert first.applied_migrations() == {number for number, _, _ in MIGRATIONS}
    finally:
        first.close()
    again = Store(store_url)
    try:
        assert again.applied_migrations() == {number for number, _, _ in MIGRATIONS}
    finally:
        again.close()


def test_operators_are_written_read_and_refused_twice(store):
    """An operator inserted once is read back; the same code again writes nothing."""
    with store.write() as tx:
        assert tx.operators.insert("OPE9", "Neuf", esav_en_ligne=True, esav_integre=False, domains=["SAV"], at=AT)
    with store.write() as tx:
        assert not tx.operators.insert("OPE9", "Autre", esav_en_ligne=False, esav_integre=True, domains=[], at=AT)
    operator = store.get_operator("OPE9")
    assert operator is not None and operator.name == "Neuf" and operator.esav_en_ligne and not operator.esav_integre


def test_a_failed_block_writes_nothing(store):
    """An exception inside a write block rolls back everything it wrote."""
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.operators.insert("OPE8", "Huit", esav_en_ligne=True, esav_integre=True, domains=[], at=AT)
        raise RuntimeError("boom")
    assert store.get_operator("OPE8") is None


def test_a_failed_commit_is_not_recorded(store, monkeypatch):
    """A COMMIT refused by the engine raises NotRecordedError and leaves nothing stored."""
    import gateway.store._db as db_module

    real = db_module._commit

    def refused(conn):
        conn.execute("ROLLBACK")
        raise NotRecordedError("test")

    monkeypatch.setattr(db_module, "_commit", refused)
    with pytest.raises(NotRecordedError), store.write() as tx:
        tx.operators.insert("OPE7", "Sept", esav_en_ligne=True, esav_integre=True, domains=[], at=AT)
    monkeypatch.setattr(db_module, "_commit", real)
    assert store.get_operator("OPE7") is None


def _in_threads(count: int, work) -> None:
    """Run ``work`` in ``count`` threads at once; the first error any of them raised fails the test."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # raised below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def test_references_from_concurrent_writers_are_distinct_and_every_row_is_kept(store):
    """Eight threads declaring network events (references from ids reserved in their transaction)
    get distinct references, and every event is stored."""
    references: list[str] = []
    fields = {"kind": "TRAVAUX", "code_commune": "75056", "start": AT, "end": None, "impact": "COUPURE",
              "description": "x", "status": "PLANIFIE", "declared_at": AT, "updated_at": AT, "author": "t"}  # fmt: skip

    def writer() -> None:
        for _ in range(10):
            with store.write() as tx:
                references.append(tx.network_events.insert(fields).reference)

    _in_threads(8, writer)
    assert len(set(references)) == 80
    assert all(store.get_network_event(reference) is not None for reference in references)


def test_a_per_minute_quota_admits_exactly_its_number_across_threads(store):
    """Forty threads asking for a slot of a 25-per-minute quota: exactly 25 are admitted."""
    admitted: list[int] = []

    def ask() -> None:
        taken = store.take_rate_slot("OPE1", "2026-03-02T09:00Z", 25)
        if taken is not None:
            admitted.append(taken)

    _in_threads(40, ask)
    assert sorted(admitted) == list(range(1, 26))


def test_read_then_write_blocks_never_lose_an_update(store):
    """Two threads each reading a count then writing count+1 inside write blocks never lose an update."""
    with store.write() as tx:
        tx.operators.insert("OPE1", "0", esav_en_ligne=True, esav_integre=True, domains=[], at=AT)

    def bump() -> None:
        for _ in range(15):
            with store.write() as tx:
                current = tx.operators.get("OPE1")
                assert current is not None
                tx.operators.update("OPE1", name=str(int(current.name) + 1), esav_en_ligne=True, esav_integre=True)

    _in_threads(4, bump)
    operator = store.get_operator("OPE1")
    assert operator is not None and operator.name == "60"


def _ticket_fields(operator: str) -> dict[str, object]:
    return {"operator_code": operator, "reference_operateur": None, "content_hash": "", "prestation": "P1",
            "code_offre": "OFFRE", "gravite": "MAJEURE", "form_code": "F", "form_version": "1.0", "form_xml": "<f/>",
            "commentaire": None, "gtr": "4H", "state": "EN_DEPOT", "state_at": AT, "deposited_at": AT,
            "api_version": "v2"}  # fmt: skip


def test_a_deposit_writes_its_ticket_prestation_and_first_transition_with_a_reference_from_its_id(store):
    """insert_deposit: SIG00000001, its prestation and DEPOSER transition; past 99,999,999 nine digits; as stored."""
    from gateway.store import PrestationRecord

    with store.write() as tx:
        tx.operators.insert("OPE9", "Neuf", esav_en_ligne=True, esav_integre=True, domains=[], at=AT)
    prestation = PrestationRecord("P1", "OPE9", "OFFRE", "4H", "A", "B", "75056", "étage 2")
    with store.write() as tx:
        tx.prestations.upsert_all([prestation])

    def deposit() -> TicketRecord:
        with store.write() as tx:
            return tx.tickets.deposit(_ticket_fields("OPE9"), "SIG", prestation, action="DEPOSER",
                                        to_state="EN_DEPOT", actor="OPERATEUR", author="OPE9/ws")  # fmt: skip

    first = deposit()
    with store.write() as tx:
        if tx.low_level.postgresql:
            tx.low_level.conn.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), 99999999)").fetchall()
        else:
            columns = ", ".join(c for c in tx.low_level.columns("tickets") if c not in ("id", "reference"))
            tx.low_level.conn.execute(f"INSERT INTO tickets (id, reference, {columns}) SELECT 99999999, 'X', {columns} "
                            "FROM tickets WHERE id = 1")  # fmt: skip
    large = deposit()
    assert (first.id, first.reference) == (1, "SIG00000001")
    assert (large.id, large.reference) == (100000000, "SIG100000000")
    for ticket in (first, large):
        stored = store.get_ticket(ticket.reference)
        assert stored is not None and stored.id == ticket.id and stored.deposited_at == AT
        assert store.prestation_at_deposit(stored) == prestation
        (transition,) = store.transitions(ticket.id)
        assert (transition.action, transition.from_state, transition.to_state, transition.author, transition.at) == (
            "DEPOSER",
            None,
            "EN_DEPOT",
            "OPE9/ws",
            AT,
        )


def test_an_event_is_queued_for_push_only_when_its_operator_has_an_endpoint(store):
    """An event is stored with its own id; a delivery is queued with it only for an operator with an endpoint."""
    for code in ("OPE8", "OPE9"):
        with store.write() as tx:
            tx.operators.insert(code, code, esav_en_ligne=True, esav_integre=True, domains=[], at=AT)
    with store.write() as tx:
        tx.events.set_endpoint("OPE9", "signalisation", "https://ope9.example/push", at=AT, author="t")
    for code in ("OPE8", "OPE9"):
        with store.write() as tx:
            tx.events.add(operator_code=code, kind="CHANGEMENT_ETAT", subject="SIG1",
                          domain="signalisation", at=AT, payload={"etat": "EN_DEPOT"})  # fmt: skip
    ((ope8,), (ope9,)) = ([e.id for e in store.events_after(code, 0)] for code in ("OPE8", "OPE9"))
    assert ope8 != ope9
    assert store.deliveries_of("OPE8") == []
    assert [(d.event_id, d.status) for d in store.deliveries_of("OPE9")] == [(ope9, "EN_ATTENTE")]


def _row_locked(url: str, sql: str, params: list[object]) -> bool:
    """Whether another connection finds the row locked (``FOR UPDATE NOWAIT`` refused at once)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as other:
        try:
            other.execute(sql + " FOR UPDATE NOWAIT", params)
        except psycopg.errors.LockNotAvailable:
            return True
    return False


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_on_postgresql_the_reads_deciding_a_write_lock_their_rows_until_the_commit(store, store_url):
    """The ticket, the slot's capacity and the operator read on the write transaction are locked until it commits."""
    from gateway.store import PrestationRecord

    prestation = PrestationRecord("P1", "OPE9", "OFFRE", "4H", "A", "B", "75056", "étage 2")
    with store.write() as tx:
        tx.operators.insert("OPE9", "Neuf", esav_en_ligne=True, esav_integre=True, domains=[], at=AT)
        tx.prestations.upsert_all([prestation])
        tx.appointments.set_capacity("75", "SAV", "08:00", 3, at=AT, author="t")
        ticket = tx.tickets.deposit(_ticket_fields("OPE9"), "SIG", prestation, action="DEPOSER",
                                    to_state="EN_DEPOT", actor="OPERATEUR", author="OPE9/ws")  # fmt: skip
    slot = "SELECT 1 FROM capacities WHERE zone = %s AND intervention_type = %s AND slot_start = %s"
    rows = [
        ("SELECT 1 FROM tickets WHERE reference = %s", [ticket.reference]),
        (slot, ["75", "SAV", "08:00"]),
        ("SELECT 1 FROM operators WHERE code = %s", ["OPE9"]),
    ]
    with store.write() as tx:
        assert tx.tickets.get(ticket.reference) is not None
        assert tx.appointments.capacity("75", "SAV", "08:00") == 3
        assert tx.operators.get("OPE9") is not None
        assert [_row_locked(store_url, sql, params) for sql, params in rows] == [True, True, True]
    assert [_row_locked(store_url, sql, params) for sql, params in rows] == [False, False, False]


def test_a_forms_deposits_are_read_to_the_end_on_both_engines(store):
    """The form preview's read (row by row, its cursor closed at the end) works on PostgreSQL too."""
    since, until = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert list(store.form_deposits("SIG_CUIVRE", "OPE001", since, until)) == []


def _prestation(identifiant: str) -> PrestationRecord:
    return PrestationRecord(identifiant, "OPE7", "CUIVRE_DEGROUPAGE", "GTR_10H_OUVREES", "A", "B", None, None)


def _certificate(tx, fingerprint: str) -> None:
    tx.certificates.add(
        fingerprint=fingerprint, operator_code="OPE7", subject_cn="OPE7", issuer_cn="CA", serial="1",
        not_before=AT, not_after=AT.replace(year=2030), pem="", at=AT,
    )  # fmt: skip


def test_a_batchs_certificates_and_prestations_are_read_at_its_start_and_again_for_the_next_one(store, store_url):
    """Inside ``read_ahead`` (a batch of SOAP calls), the store answers every certificate and prestation of
    the batch from one read each made at its start, an unknown one included; a revocation committed
    meanwhile by another connection applies from the next batch."""
    with store.write() as tx:
        tx.operators.insert("OPE7", "Sept", esav_en_ligne=False, esav_integre=True, domains=["signalisation"], at=AT)
        tx.operators.insert("OPE8", "Huit", esav_en_ligne=False, esav_integre=True, domains=[], at=AT)
        _certificate(tx, "aa" * 32)
        _certificate(tx, "bb" * 32)
        tx.prestations.upsert_all([_prestation("P-1"), _prestation("P-2")])
    other = Store(store_url)  # another process's connection
    try:
        with store.read_ahead({"aa" * 32, "bb" * 32, "cc" * 32}, {"P-1", "P-2", "P-9"}):
            with other.write() as tx:
                assert tx.certificates.revoke("aa" * 32, AT)
                tx.prestations.set_operator("P-1", "OPE8")
            found = store.certificate_and_operator("aa" * 32)
            assert found is not None and found[1].code == "OPE7"
            assert store.certificate_and_operator("cc" * 32) is None
            assert store.certificate_and_operator("dd" * 32) is None  # not in the batch: read when asked
            assert found[0].revoked_at is None  # as read at the batch's start
            prestation = store.get_prestation("P-1")
            assert prestation is not None and prestation.operator_code == "OPE7"
            assert store.get_prestation("P-9") is None
        moved = store.get_prestation("P-1")
        assert moved is not None and moved.operator_code == "OPE8"
        after = store.certificate_and_operator("aa" * 32)
        assert after is not None and after[0].revoked_at is not None
        # A batch of one call reads ahead too (its prestation comes with the count of writes, one statement).
        with store.read_ahead(["bb" * 32], ["P-2"]):
            with other.write() as tx:
                tx.prestations.set_operator("P-2", "OPE8")
            prestation = store.get_prestation("P-2")
            assert prestation is not None and prestation.operator_code == "OPE7"
        # The next batch sees the revocation the other connection committed after the first one started.
        with store.read_ahead(["aa" * 32], []):
            found = store.certificate_and_operator("aa" * 32)
            assert found is not None and found[0].revoked_at is not None
    finally:
        other.close()


def test_certificates_are_kept_from_batch_to_batch_until_a_read_mostly_table_is_written(store, store_url, monkeypatch):
    """A batch whose certificates were read at the same count of writes takes them from the last batches:
    one statement (its prestations and the count); a write to the certificates, the operators or the
    prestations, by any connection, counts one more, and the next batch reads its certificates again."""
    with store.write() as tx:
        tx.operators.insert("OPE7", "Sept", esav_en_ligne=False, esav_integre=True, domains=["signalisation"], at=AT)
        _certificate(tx, "aa" * 32)
        tx.prestations.upsert_all([_prestation("P-1")])
    statements: list[str] = []
    rows = store._connections.rows

    def counted(sql, params=()):
        statements.append(sql)
        return rows(sql, params)

    monkeypatch.setattr(store._connections, "rows", counted)

    def batch():
        statements.clear()
        with store.read_ahead(["aa" * 32] * 2, ["P-1"] * 2):
            found = store.certificate_and_operator("aa" * 32)
            assert store.get_prestation("P-1") is not None
        return found, len(statements)

    assert batch()[1] == 2  # the first: the count with the prestations, then the certificate
    found, read = batch()
    assert read == 1 and found is not None and found[1].suspended_at is None
    other = Store(store_url)  # another process's connection
    try:
        with other.write() as tx:
            tx.suspensions.set("OPE7", AT, "Impayés")
        found, read = batch()
        assert read == 2 and found is not None and found[1].suspended_at is not None
        assert batch()[1] == 1
    finally:
        other.close()


def test_every_write_to_a_read_mostly_table_counts_on_both_engines(store):
    """Inserting, changing or deleting a certificate, an operator or a prestation counts one more write
    (the database's triggers, in the writing transaction)."""

    def count():
        return store._rows("SELECT version FROM read_mostly_version")[0]["version"]

    before = count()
    with store.write() as tx:
        tx.operators.insert("OPE7", "Sept", esav_en_ligne=False, esav_integre=True, domains=["signalisation"], at=AT)
    after_operator = count()
    with store.write() as tx:
        _certificate(tx, "aa" * 32)
    after_certificate = count()
    with store.write() as tx:
        tx.prestations.upsert_all([_prestation("P-1")])
    after_prestation = count()
    with store.write() as tx:
        assert tx.certificates.revoke("aa" * 32, AT)
    after_revocation = count()
    with store.write() as tx:
        tx.prestations.set_operator("P-1", "OPE7")
    after_move = count()
    with store.write() as tx:  # SQL typed by hand counts too
        tx.prestations._db.conn.execute("DELETE FROM prestations WHERE identifiant = 'P-1'")
    assert before < after_operator < after_certificate < after_prestation < after_revocation < after_move < count()


def test_a_prestation_holding_a_comma_or_a_quote_is_read_ahead_on_both_engines(store, store_url):
    """A batch names its keys in a JSON array: an identifier holding a comma, a quote or a backslash is
    read ahead like any other, and the right row comes back."""
    with store.write() as tx:
        tx.operators.insert("OPE7", "Sept", esav_en_ligne=False, esav_integre=True, domains=["signalisation"], at=AT)
        tx.operators.insert("OPE8", "Huit", esav_en_ligne=False, esav_integre=True, domains=[], at=AT)
        tx.prestations.upsert_all([_prestation("P,3"), _prestation('P"4\\'), _prestation("P-5")])
    other = Store(store_url)
    try:
        with store.read_ahead([], ["P,3", 'P"4\\', "P-5"]):
            with other.write() as tx:  # committed after the batch's read: not seen by this batch
                tx.prestations.set_operator("P,3", "OPE8")
                tx.prestations.set_operator('P"4\\', "OPE8")
            for identifiant in ("P,3", 'P"4\\'):
                prestation = store.get_prestation(identifiant)
                assert prestation is not None and prestation.identifiant == identifiant
                assert prestation.operator_code == "OPE7"
            assert store.get_prestation("P-5") is not None
    finally:
        other.close()


def test_the_history_indexes_hold_closed_tickets_only_and_still_serve_the_history(store):
    """The three indexes of the closed tickets' history leave open tickets out (a deposit writes none of
    their entries); closing a ticket puts it in the history, reopening takes it out, with and without
    a prestation, and SQLite's named index for one prestation's history is still usable."""
    with store.write() as tx:
        tx.operators.insert("OPE7", "Sept", esav_en_ligne=True, esav_integre=True, domains=[], at=AT)
        tx.prestations.upsert_all([_prestation("P1")])
        deposit = {"action": "DEPOSER", "to_state": "EN_DEPOT", "actor": "OPERATEUR", "author": "OPE7/ws"}
        tickets = [tx.tickets.deposit(_ticket_fields("OPE7"), "SIG", _prestation("P1"), **deposit) for _ in range(3)]
        conn = tx.low_level.conn
        if tx.low_level.postgresql:
            sql = "SELECT indexname, indexdef LIKE '%WHERE (closed_at IS NOT NULL)' FROM pg_indexes WHERE tablename = ?"
            partial = {r[0] for r in conn.execute(sql, ["tickets"]).fetchall() if r[1]}
        else:
            partial = {r[1] for r in conn.execute("PRAGMA index_list(tickets)").fetchall() if r[4]}
    assert partial == {"idx_tickets_operator_code_closed_at", "idx_tickets_history", "idx_tickets_prestation_history"}

    def history(prestation: str | None) -> list[str]:
        page = store.closed_tickets("OPE7", closed_from=AT, closed_to=datetime(2026, 12, 31, tzinfo=UTC),
                                    states=["CLOS"], prestation=prestation, page=1, size=10)  # fmt: skip
        return [t.reference for t in page.items]

    assert history(None) == history("P1") == []
    closed = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    with store.write() as tx:
        for number, ticket in enumerate(tickets[:2]):
            later = closed.replace(hour=9 + number)
            tx.tickets.update(ticket.id, state="CLOS", state_at=later, closed_at=later)
    newest_first = [tickets[1].reference, tickets[0].reference]
    assert history(None) == history("P1") == newest_first
    with store.write() as tx:
        tx.tickets.update(tickets[1].id, state="EN_COURS", state_at=closed, closed_at=None)
    assert history(None) == history("P1") == [tickets[0].reference]
