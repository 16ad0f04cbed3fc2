"""Data scale: fill a store with a million tickets over two years, then time history and search.

The store is created by ``gateway.store.Store`` (its own migrations, so its own schema and
indexes), operators and prestations go through the store's methods, and the tickets and their
transitions are written with ``executemany`` in large transactions with ``synchronous=OFF``. That
direct SQL is deliberate and lives only here: this is a fixture generator, not a use case (a
million deposits through the service would take hours and prove nothing more about the queries).

Then ``Store.closed_tickets`` (what ``consulterHistorique`` runs) and ``Store.open_tickets``
(``rechercherSignalisations``) are timed as the service calls them, and the SQL they issued is
captured and explained (``EXPLAIN QUERY PLAN``) to show which indexes serve it.

Run as ``esav banc --volumetrie [--rapide]`` or ``python -m bench.fill [--tickets N] [--store PATH]``.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gateway.demo import DEMO_OPERATORS
from gateway.domain.states import CLOSED_STATES, HISTORY_WINDOW, OPEN_STATES
from gateway.store import PrestationRecord, Store, to_ts

from ._processes import REPO

__all__ = ["FULL_TICKETS", "QUICK_TICKETS", "fill_store", "measure_queries", "run_scale"]

FULL_TICKETS = 1_000_000
QUICK_TICKETS = 100_000
SPAN = timedelta(days=730)
_BATCH = 50_000

#: offer → (form, GTR)
_OFFERS = {
    "CUIVRE_DEGROUPAGE": ("SIG_CUIVRE", "GTR_10HO"),
    "FTTH_ACCES": ("SIG_FTTH", "STANDARD"),
    "DSL_BITSTREAM": ("SIG_DSL", "STANDARD"),
    "FIBRE_LFO": ("SIG_LFO", "GTR_4H"),
    "ETHERNET_CE2O": ("SIG_ETHERNET", "GTR_4H"),
}
_OFFER_WEIGHTS = {"FTTH_ACCES": 0.55, "CUIVRE_DEGROUPAGE": 0.25, "DSL_BITSTREAM": 0.12, "FIBRE_LFO": 0.04}
_OPERATOR_SHARES = {"OPE001": 0.6, "OPE002": 0.3, "OPE003": 0.1}
#: how closed tickets end: (state, share, transitions after DEPOSER)
_ENDINGS = (
    ("VALIDE", 0.55, ("QUALIFIER", "DEMARRER", "CLORE", "VALIDER")),
    ("CLOS_TABLEAU_DE_BORD", 0.30, ("QUALIFIER", "DEMARRER", "CLORE", "ARCHIVER")),
    ("EN_REJET", 0.10, ("REJETER",)),
    ("CLOS", 0.05, ("QUALIFIER", "DEMARRER", "CLORE")),
)
_OPEN = (("EN_QUALIFICATION", 0.4, ("QUALIFIER",)), ("EN_COURS", 0.45, ("QUALIFIER", "DEMARRER")))
_OPEN += (("GELE", 0.1, ("QUALIFIER", "DEMARRER", "GELER")), ("EN_DEPOT", 0.05, ()))

_TICKET_COLUMNS = (
    "id, reference, operator_code, reference_operateur, content_hash, prestation, code_offre, gravite, form_code, "
    "form_version, form_xml, commentaire, gtr, state, state_at, deposited_at, closed_at, rejection_code, "
    "closure_code, freeze_code, api_version"
)
_TRANSITION_COLUMNS = "ticket_id, action, from_state, to_state, actor, author, at, reason, code"


@dataclass(frozen=True)
class _Prestation:
    identifiant: str
    operator_code: str
    code_offre: str


def _pick(rng: random.Random, weighted: dict[str, float]) -> str:
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _forms() -> dict[str, str]:
    return {
        offer: (REPO / "catalogue" / "forms" / form / "1.0.example.xml").read_text(encoding="utf-8")
        for offer, (form, _) in _OFFERS.items()
    }


def _prestations(store: Store, count: int, rng: random.Random) -> list[_Prestation]:
    """``count`` prestations spread over the demo operators, written through the store."""
    records = []
    for number in range(count):
        operator = _pick(rng, _OPERATOR_SHARES)
        offer = _pick(rng, _OFFER_WEIGHTS | {"ETHERNET_CE2O": 0.04})
        records.append(
            PrestationRecord(
                identifiant=f"BX-{operator}-{number:07d}",
                operator_code=operator,
                code_offre=offer,
                gtr=_OFFERS[offer][1],
                extremite_a=f"NRO {number % 997:03d}",
                extremite_b=f"client {number} rue de la Mesure",
                code_commune="75111",
                informations=None,
            )
        )
    with store.write() as tx:
        tx.prestations.upsert_all(records)
    return [_Prestation(r.identifiant, r.operator_code, r.code_offre) for r in records]


def _tickets(
    count: int, now: datetime, prestations: list[_Prestation], rng: random.Random
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """(ticket row, its transition rows), oldest deposit first, ids in deposit order."""
    forms = _forms()
    by_operator: dict[str, list[_Prestation]] = {}
    for prestation in prestations:
        by_operator.setdefault(prestation.operator_code, []).append(prestation)
    start = now - SPAN
    step = SPAN / count
    endings = [e[0] for e in _ENDINGS], [e[1] for e in _ENDINGS]
    openings = [o[0] for o in _OPEN], [o[1] for o in _OPEN]
    paths = {state: path for state, _, path in (*_ENDINGS, *_OPEN)}
    for ticket_id in range(1, count + 1):
        deposited = start + step * (ticket_id - 1 + rng.random())
        operator = _pick(rng, _OPERATOR_SHARES)
        prestation = rng.choice(by_operator[operator])
        # Time to close: a log-normal around a day and a half, from minutes to weeks.
        duration = timedelta(hours=min(24 * 60, rng.lognormvariate(math.log(36), 1.0)))
        closed: datetime | None = deposited + duration
        if closed is not None and closed <= now:
            state = rng.choices(*endings)[0]
        else:
            state, closed = rng.choices(*openings)[0], None
        path = paths[state]
        end = closed or min(now, deposited + duration / 2)
        times = [deposited + (end - deposited) * (i + 1) / len(path) for i in range(len(path))]
        row = (
            ticket_id,
            f"SIG{ticket_id:08d}",
            operator,
            f"{operator}-{ticket_id:09d}" if rng.random() < 0.7 else None,
            f"{rng.getrandbits(256):064x}",
            prestation.identifiant,
            prestation.code_offre,
            rng.choice(("MAJEURE", "MINEURE", "BLOQUANTE")),
            _OFFERS[prestation.code_offre][0],
            "1.0",
            forms[prestation.code_offre],
            None,
            _OFFERS[prestation.code_offre][1],
            state,
            to_ts(times[-1] if times else deposited),
            to_ts(deposited),
            to_ts(closed) if closed else None,
            "HORS_PERIMETRE" if state == "EN_REJET" else None,
            "RESOLU" if closed and state != "EN_REJET" else None,
            "ACCES_SITE" if state == "GELE" else None,
            "v2",
        )
        transitions = [(ticket_id, "DEPOSER", None, "EN_DEPOT", "OPERATEUR", f"{operator}/ws", to_ts(deposited))]
        previous = "EN_DEPOT"
        for action, at in zip(path, times, strict=True):
            to_state = {
                "QUALIFIER": "EN_QUALIFICATION",
                "DEMARRER": "EN_COURS",
                "GELER": "GELE",
                "CLORE": "CLOS",
                "VALIDER": "VALIDE",
                "ARCHIVER": "CLOS_TABLEAU_DE_BORD",
                "REJETER": "EN_REJET",
            }[action]
            transitions.append((ticket_id, action, previous, to_state, "SAV", "sav.bench", to_ts(at)))
            previous = to_state
        yield row, [(*t, None, None) for t in transitions]


def fill_store(path: Path, tickets: int, *, now: datetime | None = None, seed: int = 7, progress: Any = None) -> dict:
    """Create ``path`` (it must not exist) with the demo operators and ``tickets`` tickets."""
    say = progress or (lambda message: None)
    now = now or datetime.now(UTC)
    rng = random.Random(seed)
    started = time.perf_counter()
    store = Store(path)
    try:
        at = datetime.now(UTC)
        for code, name, en_ligne, integre, domains in DEMO_OPERATORS:
            with store.write() as tx:
                tx.operators.upsert(code, name, esav_en_ligne=en_ligne, esav_integre=integre, domains=domains, at=at)
        # About 40 tickets per prestation over two years.
        prestations = _prestations(store, max(100, tickets // 40), rng)
    finally:
        store.close()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")  # a fixture: durability of each batch does not matter
    ticket_sql = f"INSERT INTO tickets ({_TICKET_COLUMNS}) VALUES ({', '.join('?' * 21)})"
    transition_sql = f"INSERT INTO transitions ({_TRANSITION_COLUMNS}) VALUES ({', '.join('?' * 9)})"
    rows: list[tuple[Any, ...]] = []
    transitions: list[tuple[Any, ...]] = []
    written = 0

    def flush() -> None:
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(ticket_sql, rows)
        connection.executemany(transition_sql, transitions)
        connection.execute("COMMIT")
        rows.clear()
        transitions.clear()

    for row, its_transitions in _tickets(tickets, now, prestations, rng):
        rows.append(row)
        transitions.extend(its_transitions)
        if len(rows) >= _BATCH:
            written += len(rows)
            flush()
            say(f"  {written:,} / {tickets:,} tickets")
    if rows:
        flush()
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return {
        "tickets": tickets,
        "prestations": len(prestations),
        "span_days": SPAN.days,
        "now": now.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
        "database_mb": round(path.stat().st_size / 1e6, 1),
    }


def _queries(now: datetime, prestation: str) -> list[tuple[str, Callable[[Store], Any]]]:
    """The queries the services run for history and search, with the services' arguments."""
    closed = sorted(s.value for s in CLOSED_STATES)
    opened = sorted(s.value for s in OPEN_STATES)
    since = now - HISTORY_WINDOW

    def history(**kw: Any) -> Callable[[Store], Any]:
        arguments = {"closed_from": since, "closed_to": now, "states": closed, "prestation": None, "page": 1}
        return lambda store: store.closed_tickets("OPE001", **{**arguments, "size": 50, **kw})

    def search(**kw: Any) -> Callable[[Store], Any]:
        arguments = {"states": opened, "prestation": None, "deposited_from": None, "deposited_to": None, "page": 1}
        return lambda store: store.open_tickets("OPE001", **{**arguments, "size": 50, **kw})

    return [
        ("history: 90 days, closed states, page 1", history()),
        ("history: 90 days, VALIDE, page 20", history(states=["VALIDE"], page=20)),
        ("history: 90 days, one prestation", history(prestation=prestation)),
        ("search: open states, page 1", search()),
        ("search: one prestation", search(prestation=prestation)),
        (
            "search: EN_COURS deposited in the last 7 days",
            search(states=["EN_COURS"], deposited_from=now - timedelta(days=7)),
        ),
    ]


def measure_queries(path: Path, now: datetime, repetitions: int = 20) -> list[dict[str, Any]]:
    """Time each query (first call, then ``repetitions``) and explain the SQL it issued."""
    explain = sqlite3.connect(path)
    (prestation,) = explain.execute(
        "SELECT prestation FROM tickets WHERE operator_code = 'OPE001' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    store = Store(path)
    results = []
    try:
        for name, query in _queries(now, prestation):
            statements: list[str] = []
            # The store's own connection for this thread: store.write() is its public way to it.
            with store.write() as db:
                connection = db.low_level.conn
            connection.set_trace_callback(statements.append)
            started = time.perf_counter()
            page = query(store)
            first = (time.perf_counter() - started) * 1000
            connection.set_trace_callback(None)
            timings = []
            for _ in range(repetitions):
                started = time.perf_counter()
                query(store)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            plans = {}
            for sql in statements:
                if sql.lstrip().upper().startswith("SELECT"):
                    plans[sql] = [row[3] for row in explain.execute(f"EXPLAIN QUERY PLAN {sql}")]
            details = [line for lines in plans.values() for line in lines]
            results.append(
                {
                    "query": name,
                    "rows": len(page.items),
                    "total": page.total,
                    "first_ms": round(first, 2),
                    "median_ms": round(statistics.median(timings), 2),
                    "p95_ms": round(timings[max(0, math.ceil(0.95 * len(timings)) - 1)], 2),
                    "max_ms": round(timings[-1], 2),
                    "plan": plans,
                    "uses_index": all("USING" in " ".join(lines) for lines in plans.values()),
                    "full_scan": any(line.startswith("SCAN tickets") for line in details),
                    "temp_sort": any("TEMP B-TREE" in line for line in details),
                }
            )
    finally:
        store.close()
        explain.close()
    return results


def run_scale(tickets: int, store_path: Path | None = None, *, progress: Any = None) -> dict[str, Any]:
    """Fill (unless ``store_path`` already holds a filled store) and measure; returns the figures."""
    import tempfile

    say = progress or (lambda message: None)
    with tempfile.TemporaryDirectory(prefix="esav-scale-") as temporary:
        path = store_path or Path(temporary) / "esav.db"
        fill: dict[str, Any] | None = None
        if path.exists():
            connection = sqlite3.connect(path)
            count, last = connection.execute("SELECT COUNT(*), MAX(deposited_at) FROM tickets").fetchone()
            connection.close()
            now = datetime.fromisoformat(last) if last else datetime.now(UTC)
            say(f"reusing {path} ({count:,} tickets)")
            fill = {"tickets": count, "reused": str(path), "database_mb": round(path.stat().st_size / 1e6, 1)}
        else:
            say(f"filling {path} with {tickets:,} tickets over two years…")
            now = datetime.now(UTC)
            fill = fill_store(path, tickets, now=now, progress=progress)
        say("timing history and search…")
        queries = measure_queries(path, now)
    return {"fill": fill, "queries": queries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fill a store with tickets and time history and search.")
    parser.add_argument("--tickets", type=int, default=FULL_TICKETS)
    parser.add_argument("--store", type=Path, default=None, help="keep (or reuse) the store at this path")
    args = parser.parse_args(argv)
    print(json.dumps(run_scale(args.tickets, args.store, progress=print), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
