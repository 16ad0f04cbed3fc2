"""Offers' launches and contracts' ends read by deposits from a copy in memory: this process's writes at once,
another process's within the documented bound."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from support import CATALOGUE, DEFAULT_NOW, SessionPki, demo_template, example_form

from bench import store_seam
from gateway.domain.clock import FixedClock
from gateway.errors import NotEntitledError
from gateway.services import Caller, DepositRequest, Gateway, _read_mostly

CALLER = Caller("OPE001", "Opérateur Alpha", frozenset({"signalisation", "test"}))
OFFER = "CUIVRE_DEGROUPAGE"


@pytest.fixture
def database(tmp_path: Path, session_pki: SessionPki) -> Path:
    """The demo's SQLite file (clock at DEFAULT_NOW), no server."""
    shutil.copytree(demo_template(session_pki, DEFAULT_NOW, CATALOGUE), tmp_path / "data")
    return tmp_path / "data" / "esav.db"


@pytest.fixture
def gateway(database: Path) -> Iterator[Gateway]:
    opened = Gateway.open(database, catalogue_dir=CATALOGUE, clock=FixedClock(DEFAULT_NOW))
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The copies' clock, set by the test (``[seconds]``)."""
    now = [1000.0]
    monkeypatch.setattr(_read_mostly.time, "monotonic", lambda: now[0])
    return now


def _deposit(gateway: Gateway) -> str:
    request = DepositRequest("0140000001", OFFER, "MAJEURE", "SIG_CUIVRE", "1.0", example_form("SIG_CUIVRE"))
    return gateway.tickets.deposit(CALLER, request).reference


def test_a_deposit_reads_neither_launches_nor_contracts_while_the_copy_is_fresh(gateway: Gateway) -> None:
    """The second deposit issues no statement on offer_launches or operator_contracts."""
    _deposit(gateway)
    statements = store_seam.capture(gateway.store, lambda: _deposit(gateway))
    assert statements and not [s for s in statements if "offer_launches" in s or "operator_contracts" in s]


def test_a_launch_or_contract_end_written_in_this_process_applies_to_the_next_deposit_at_once(
    gateway: Gateway, database: Path, monotonic: list[float]
) -> None:
    """Written by another Gateway of this process on the same database (as the CLI does): next deposit refused."""
    _deposit(gateway)
    other = Gateway.open(database, catalogue_dir=CATALOGUE, clock=FixedClock(DEFAULT_NOW))
    try:
        other.contract_ends.end("OPE001", OFFER, date(2026, 11, 18), author="test")
        with pytest.raises(NotEntitledError, match="a pris fin le 18/11/2026"):
            _deposit(gateway)
        other.contract_ends.end("OPE001", OFFER, None, author="test")
        _deposit(gateway)
        other.offer_launches.launch(OFFER, date(2026, 11, 10), author="test")
        with pytest.raises(NotEntitledError, match="à partir du 10/12/2026"):
            _deposit(gateway)
    finally:
        other.close()


def test_a_launch_written_by_another_process_applies_once_the_copy_is_stale(
    gateway: Gateway, monotonic: list[float]
) -> None:
    """Written behind the services' back (another process): accepted until STALE_AFTER seconds, refused from then."""
    _deposit(gateway)
    store = gateway.store
    with store.write() as db:
        db.offers.set_launch(OFFER, date(2026, 11, 10), "autre processus")
    monotonic[0] += _read_mostly.STALE_AFTER / 2
    _deposit(gateway)
    monotonic[0] += _read_mostly.STALE_AFTER / 2
    with pytest.raises(NotEntitledError, match="à partir du 10/12/2026"):
        _deposit(gateway)


def test_a_contract_end_written_by_another_process_applies_once_the_copy_is_stale(
    gateway: Gateway, monotonic: list[float]
) -> None:
    """The same for a contract's end: the stale copy is read again, and the deposit refused."""
    _deposit(gateway)
    store = gateway.store
    with store.write() as db:
        db.contract_ends.set("OPE001", OFFER, "2026-11-18")
    _deposit(gateway)
    monotonic[0] += _read_mostly.STALE_AFTER
    with pytest.raises(NotEntitledError, match="a pris fin le 18/11/2026"):
        _deposit(gateway)
