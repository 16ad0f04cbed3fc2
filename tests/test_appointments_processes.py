"""Booking is atomic across OS processes: two processes booking one slot on the same SQLite file."""

from __future__ import annotations

import multiprocessing
from datetime import datetime
from pathlib import Path

from support import CATALOGUE, OPE001_DEPOSITS, example_form

from gateway.demo import DEMO_OPERATORS, DEMO_PRESTATIONS_CSV
from gateway.domain.clock import PARIS, FixedClock
from gateway.errors import SlotTakenError
from gateway.services import Caller, DepositRequest, Gateway

NOW = datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
SLOT = "75-SAV-20261119-1000"
CAPACITY = 3
PER_PROCESS = 12
CALLER = Caller("OPE001", "Opérateur Alpha", frozenset({"signalisation", "test"}))


def _book_all(database: str, references: list[str], go: object, results: object) -> None:
    """In a child process: wait for the start signal, then book every ticket into SLOT."""
    gateway = Gateway.open(Path(database), catalogue_dir=CATALOGUE, clock=FixedClock(NOW))
    go.wait()  # type: ignore[attr-defined]
    for reference in references:
        try:
            gateway.appointments.book(CALLER, reference, SLOT, "M. Martin", "0123456789")
            outcome = "OK"
        except SlotTakenError:
            outcome = "CRENEAU_NON_DISPONIBLE"
        results.put(outcome)  # type: ignore[attr-defined]
    gateway.close()


def test_two_processes_booking_one_slot_never_overbook_it(tmp_path):
    """Two processes book 24 tickets into one slot of capacity 3: exactly 3 appointments are made."""
    database = tmp_path / "esav.db"
    gateway = Gateway.open(database, catalogue_dir=CATALOGUE, clock=FixedClock(NOW))
    for code, name, *_ in DEMO_OPERATORS:
        gateway.admin.add_operator(code, name)
    gateway.admin.import_prestations("test", DEMO_PRESTATIONS_CSV)
    gateway.capacities.set_capacity("75", "SAV", CAPACITY, author="test")
    prestation, form_code = OPE001_DEPOSITS["CUIVRE_DEGROUPAGE"]
    request = DepositRequest(prestation, "CUIVRE_DEGROUPAGE", "MAJEURE", form_code, "1.0", example_form(form_code))
    references = [gateway.tickets.deposit(CALLER, request).reference for _ in range(2 * PER_PROCESS)]
    gateway.close()

    context = multiprocessing.get_context("spawn")
    go, results = context.Event(), context.Queue()
    processes = [
        context.Process(target=_book_all, args=(str(database), references[i::2], go, results)) for i in range(2)
    ]
    for process in processes:
        process.start()
    go.set()
    outcomes = sorted(results.get(timeout=120) for _ in references)
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0]
    assert outcomes == ["CRENEAU_NON_DISPONIBLE"] * (2 * PER_PROCESS - CAPACITY) + ["OK"] * CAPACITY
    reopened = Gateway.open(database, catalogue_dir=CATALOGUE, clock=FixedClock(NOW))
    try:
        assert reopened.store.count_appointments(SLOT) == CAPACITY
    finally:
        reopened.close()
