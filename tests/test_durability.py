"""A reference number is a receipt: it survives the server being killed (SIGKILL) at any moment.

A real ``python -m gateway serve`` process is killed repeatedly while a client deposits; after each
kill the SQLite file must hold every reference the client received and pass ``integrity_check``,
and after each restart a retried deposit must give back the same reference, never a duplicate.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import zeep
from support import ESAV, client_for, deposit, esav_demo_copy, running, wait_until_serving

from gateway.adapters.ports import free_port
from gateway.store import Store

ROUNDS = 4
MIN_ACKNOWLEDGED = 20


@dataclass
class ClientLog:
    """What the depositing client saw: references received, and the deposit in flight when the line died."""

    acknowledged: dict[str, str] = field(default_factory=dict)  # referenceOperateur → referenceSignalisation
    in_flight: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


def deposit_until_cut(client: zeep.Client, prefix: str, log: ClientLog, started: threading.Event) -> None:
    """Deposit with unique referenceOperateur values until the connection fails."""
    started.set()
    number = 0
    while True:
        reference_operateur = f"{prefix}-{number:04d}"
        try:
            answer = deposit(client, referenceOperateur=reference_operateur)
        except (requests.exceptions.RequestException, zeep.exceptions.TransportError, OSError):
            log.in_flight.append(reference_operateur)
            return
        except Exception as error:  # a fault or a garbled answer is a failure, not a cut line
            log.unexpected.append(f"{reference_operateur}: {error!r}")
            return
        log.acknowledged[reference_operateur] = answer.referenceSignalisation
        number += 1


def stored_tickets(database: Path | str) -> tuple[dict[str, str], str]:
    """``referenceOperateur → reference`` of OPE001's tickets, and the engine's integrity verdict
    (SQLite: ``PRAGMA integrity_check``, read-only; PostgreSQL: another connection's view)."""
    sql = (
        "SELECT reference_operateur, reference FROM tickets WHERE operator_code = 'OPE001' "
        "AND reference_operateur IS NOT NULL"
    )
    if isinstance(database, str):  # a PostgreSQL URL: what another client of the server sees
        store = Store(database, migrate_now=False)
        try:
            integrity = store.integrity_check()
            rows = [(r["reference_operateur"], r["reference"]) for r in store._rows(sql)]
        finally:
            store.close()
    else:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
            rows = db.execute(sql).fetchall()
        db.close()
    stored: dict[str, str] = {}
    for reference_operateur, reference in rows:
        assert reference_operateur not in stored, f"{reference_operateur} stored twice"
        stored[reference_operateur] = reference
    return stored, integrity


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_acknowledged_deposits_survive_sigkill(tmp_path, engine):
    """After each SIGKILL every received reference is stored, the store is sound, and retries are idempotent
    (on SQLite, and on PostgreSQL where the server outlives the gateway it serves)."""
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    data = tmp_path / "data"
    pki = data / "pki"
    database: Path | str = data / "esav.db"
    store_option: list[str] = []
    store_url = esav_demo_copy(data, engine)  # the demo as `esav demo` builds it
    if store_url:
        database = store_url
        store_option = ["--base", store_url]
    log = ClientLog()
    try:
        with contextlib.ExitStack() as servers:
            for round_number in range(ROUNDS + 1):
                last_round = round_number == ROUNDS
                port = free_port()
                server_log = tmp_path / f"server-{round_number}.log"
                command = [*ESAV, "servir", "--donnees", str(data), "--port", str(port), *store_option]
                process = servers.enter_context(running(command, server_log))
                wait_until_serving(process, port, pki, server_log)
                client = client_for(port, pki)
                try:
                    # After a restart: what was acknowledged is given back as it was; what was cut is
                    # either given back (it had been committed) or created once.
                    for reference_operateur, reference in list(log.acknowledged.items())[-3:]:
                        again = deposit(client, referenceOperateur=reference_operateur)
                        assert again.referenceSignalisation == reference, f"seed {seed}: {reference_operateur}"
                    for reference_operateur in log.in_flight:
                        log.acknowledged[reference_operateur] = deposit(
                            client, referenceOperateur=reference_operateur
                        ).referenceSignalisation
                    log.in_flight.clear()
                    if last_round:
                        break
                    started = threading.Event()
                    worker = threading.Thread(
                        target=deposit_until_cut, args=(client, f"R{round_number}", log, started), daemon=True
                    )
                    worker.start()
                    assert started.wait(5)
                    time.sleep(rng.uniform(0.3, 1.0))
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait(timeout=10)
                    worker.join(timeout=15)
                    assert not worker.is_alive(), "the client did not notice the server's death"
                finally:
                    client.transport.session.close()
                assert not log.unexpected, f"seed {seed}: {log.unexpected}"
                stored, integrity = stored_tickets(database)
                assert integrity == "ok", f"seed {seed}, round {round_number}: {integrity}"
                lost = {op: ref for op, ref in log.acknowledged.items() if stored.get(op) != ref}
                assert not lost, f"seed {seed}, round {round_number}: acknowledged but not stored: {lost}"
            assert len(log.acknowledged) >= MIN_ACKNOWLEDGED, f"only {len(log.acknowledged)} deposits acknowledged"
            stored, _ = stored_tickets(database)
            assert stored == log.acknowledged, f"seed {seed}: every retried deposit exists once, as acknowledged"
    except BaseException:
        for server_log in sorted(tmp_path.glob("server-*.log")):  # shown by pytest with the failure
            print(f"--- {server_log.name} (seed {seed})\n{server_log.read_text(errors='replace')[-4000:]}")
        raise
