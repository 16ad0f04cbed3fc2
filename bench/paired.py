"""The gateway against a reference peer: deposits measured in alternation, pair after pair.

``run_paired(PairedOptions())`` builds the peer (``bench.peers``), starts it beside the gateway
(``esav servir --demo``) and the spyne echo, checks that each answers the benchmark's deposit (the
echo its echo), warms them up (the peer until its CPU per deposit is stable: the JVM's JIT), then
for each pair and each concurrency measures the peer, the gateway and the echo in turn, each point
as ``bench.harness`` measures one. Alternating short points lets a shared, noisy machine slow both
sides alike: the figure to read is the ratio gateway / peer of each pair, and its median over the pairs.
"""

from __future__ import annotations

import math
import os
import statistics
import tempfile
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import _soap
from ._processes import PYTHON, ServerProcess, demo_command, start_server
from .harness import HttpOptions, _check_once, _drive, _memory, serve_supports_workers
from .harness import _environment as harness_environment
from .peers import PEERS

__all__ = ["QUICK_PAIRED", "SIDES", "PairedOptions", "run_paired", "tiny_paired_options"]

#: What each pair measures, in this order.
SIDES = ("peer", "gateway", "echo")


@dataclass(frozen=True)
class PairedOptions:
    """What one paired run does."""

    peer: str = "jaxws"
    pairs: int = 13
    concurrencies: tuple[int, ...] = (32, 8)
    duration_s: float = 5.0  # per measured point, at most
    max_requests: int = 200_000  # per measured point, at most
    # The peer is driven in slices at the highest concurrency, at least ``min_warmup_s``, until three
    # slices in a row agree on CPU per deposit within 10 % (the JVM's JIT has compiled the hot code: two
    # slices agreeing was seen to stop while it still was), or ``warmup_s`` is spent; the gateway and the
    # echo (no JIT) get one slice each.
    warmup_s: float = 60.0
    warmup_slice_s: float = 5.0
    min_warmup_s: float = 30.0
    workers: int | None = None  # passed to ``esav servir --processus``
    form: str = "SIG_CUIVRE"
    client_processes: int = 1
    keep_dir: Path | None = None
    start_delay_s: float = 0.6  # before each point, for its load generators to start and connect


QUICK_PAIRED = PairedOptions(pairs=4, duration_s=2.0, warmup_s=45.0, warmup_slice_s=3.0, min_warmup_s=24.0)


def tiny_paired_options(**overrides: Any) -> PairedOptions:
    """One pair of a few requests at concurrency 2, to prove the paired run works (tests)."""
    return replace(
        PairedOptions(
            pairs=1,
            concurrencies=(2,),
            duration_s=1.5,
            max_requests=10,
            warmup_s=0.5,  # one slice per side
            warmup_slice_s=0.5,
            min_warmup_s=0.0,
            start_delay_s=0.15,
        ),
        **overrides,
    )


def _warm_up(
    server: ServerProcess,
    operation: _soap.Operation,
    pki: Path,
    connections: int,
    drive_options: HttpOptions,
    budget_s: float,
    slice_s: float,
    min_s: float = 0.0,
) -> list[dict[str, float]]:
    """Drive ``server`` in slices, at least ``min_s``, until three in a row agree on CPU per request
    within 10 %, or ``budget_s`` is spent."""
    slices: list[dict[str, float]] = []
    spent = 0.0
    while spent < budget_s:
        point = _drive(server, operation, pki, connections, drive_options, slice_s)
        spent += slice_s
        slices.append(
            {"seconds": slice_s, "rps": point["rps"], "cpu_ms_per_request": point["server_cpu_ms_per_request"]}
        )
        if spent >= min_s and stable(slices[-3:]):
            break
    return slices


def stable(slices: list[dict[str, float]]) -> bool:
    """Three slices whose CPU per request lies within 10 % of the smallest."""
    costs = [s["cpu_ms_per_request"] for s in slices]
    return len(costs) == 3 and not any(math.isnan(c) for c in costs) and max(costs) <= 1.1 * min(costs)


def _ratio(a: float, b: float) -> float:
    return round(a / b, 3) if b and not math.isnan(a) and not math.isnan(b) else math.nan


def _median(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return round(statistics.median(kept), 3) if kept else math.nan


def _side_summary(points: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rps_median": _median([p["rps"] for p in points]),
        "p50_ms_median": _median([p["p50_ms"] for p in points]),
        "p99_ms_median": _median([p["p99_ms"] for p in points]),
        "p99_ms_max": max((p["p99_ms"] for p in points), default=math.nan),
        "cpu_ms_per_request_median": _median([p["server_cpu_ms_per_request"] for p in points]),
        "cores_busy_median": _median([p["server_cores_busy"] for p in points]),
        "requests": sum(p["requests"] for p in points),
        "errors": sum(p["errors"] for p in points),
    }


def _summaries(rows: list[dict[str, Any]], concurrencies: tuple[int, ...]) -> list[dict[str, Any]]:
    summaries = []
    for concurrency in concurrencies:
        mine = [r for r in rows if r["concurrency"] == concurrency]
        per_pair = [r["gateway_vs_peer"]["rps"] for r in mine]
        kept = [v for v in per_pair if not math.isnan(v)]
        summaries.append(
            {
                "concurrency": concurrency,
                "pairs": len(mine),
                "gateway_vs_peer_rps": {
                    "per_pair": per_pair,
                    "median": _median(per_pair),
                    "min": min(kept, default=math.nan),
                    "max": max(kept, default=math.nan),
                },
                "gateway_vs_peer_p99_median": _median([r["gateway_vs_peer"]["p99_ms"] for r in mine]),
                "gateway_vs_peer_cpu_median": _median([r["gateway_vs_peer"]["cpu_ms_per_request"] for r in mine]),
                **{side: _side_summary([r[side] for r in mine]) for side in SIDES},
            }
        )
    return summaries


def _environment(options: PairedOptions, workers_applied: bool, peer_description: str) -> dict[str, Any]:
    return {**harness_environment(options, workers_applied), "peer": peer_description}


def run_paired(options: PairedOptions = PairedOptions(), progress: Any = None) -> dict[str, Any]:
    """Measure the gateway and the peer in alternation; returns the figures (see bench/README.md)."""
    say = progress or (lambda message: None)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    if options.peer not in PEERS:
        raise RuntimeError(f"unknown peer {options.peer!r} (known: {', '.join(sorted(PEERS))})")
    missing = PEERS[options.peer].missing()
    if missing:  # said at once, before anything is started
        raise RuntimeError(f"--peer {options.peer} needs " + ", ".join(missing))
    notes: list[str] = []
    workers_applied = False
    if options.workers is not None:
        workers_applied = serve_supports_workers()
        if not workers_applied:
            notes.append(f"--processus {options.workers} ignored: `esav servir` has no --processus option yet")
    drive_options = HttpOptions(
        max_requests=options.max_requests,
        client_processes=options.client_processes,
        start_delay_s=options.start_delay_s,
    )
    # The JDK server holds a pool thread per handshaking connection: never fewer threads than connections.
    threads = max(32, *options.concurrencies)
    with tempfile.TemporaryDirectory(prefix="esav-bench-peer-") as temporary:
        work = options.keep_dir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        data = work / "data"
        serve = demo_command(data, options.workers if workers_applied else None)
        servers: dict[str, ServerProcess] = {}
        # The peer compiles while the gateway builds its demo; the peer and the echo, which only need the
        # demo's PKI, then start side by side. Every server started is stopped, whatever fails.
        with ThreadPoolExecutor(max_workers=2) as pool:
            try:
                say(f"building the {options.peer} peer and starting the gateway (demo data, PKI)…")
                building = pool.submit(PEERS[options.peer].build)
                try:
                    servers["gateway"] = start_server("gateway", serve, work)
                finally:
                    peer_build = building.result()
                pki = data / "pki"
                say(f"starting the {options.peer} peer and the echo yardstick…")
                starting = {
                    "peer": pool.submit(
                        start_server, options.peer, peer_build.argv(pki, work / "peer.db", threads), work
                    ),
                    "echo": pool.submit(
                        start_server,
                        "echo",
                        [PYTHON, "-m", "bench.echo_server", "--port", "{port}", "--pki", str(pki)],
                        work,
                    ),
                }
                wait(starting.values())
                servers.update({side: f.result() for side, f in starting.items() if f.exception() is None})
                for future in starting.values():
                    future.result()
            except BaseException:
                for server in servers.values():
                    server.stop()
                raise
        try:
            for server in servers.values():
                server.start_sampling()
            deposit = _soap.deposit(options.form)
            operations = {"peer": deposit, "gateway": deposit, "echo": _soap.echo()}
            for side in SIDES:
                _check_once(servers[side], operations[side], pki)
            warmup: dict[str, list[dict[str, float]]] = {}
            if options.warmup_s > 0:
                top = max(options.concurrencies)
                for side in SIDES:
                    say(f"warming up the {side}" + (" until its CPU per deposit is stable…" if side == "peer" else "…"))
                    budget = options.warmup_s if side == "peer" else options.warmup_slice_s
                    least = options.min_warmup_s if side == "peer" else 0.0
                    warmup[side] = _warm_up(
                        servers[side], operations[side], pki, top, drive_options, budget, options.warmup_slice_s, least
                    )
            rows = []
            for pair in range(1, options.pairs + 1):
                for concurrency in options.concurrencies:
                    say(f"pair {pair}/{options.pairs}, concurrency {concurrency}: peer, gateway, echo…")
                    row: dict[str, Any] = {"pair": pair, "concurrency": concurrency}
                    for side in SIDES:
                        point = _drive(
                            servers[side], operations[side], pki, concurrency, drive_options, options.duration_s
                        )
                        row[side] = point
                        if point["errors"]:
                            notes.append(f"pair {pair} c={concurrency} {side}: {point['errors']} errors")
                    row["gateway_vs_peer"] = {
                        key: _ratio(row["gateway"][key], row["peer"][key])
                        for key in ("rps", "p50_ms", "p99_ms", "server_cpu_ms_per_request")
                    }
                    row["gateway_vs_peer"]["cpu_ms_per_request"] = row["gateway_vs_peer"].pop(
                        "server_cpu_ms_per_request"
                    )
                    rows.append(row)
            memory = {side: _memory(servers[side]) for side in SIDES}
        finally:
            for server in servers.values():
                server.stop()
    for row in rows:
        for side in SIDES:
            if row[side]["client_cores_busy"] > 0.8 * options.client_processes:
                notes.append(
                    f"pair {row['pair']} c={row['concurrency']} {side}: the load generator was busy "
                    f"{row[side]['client_cores_busy']} cores; it may be the limit"
                )
    environment = _environment(options, workers_applied, f"{peer_build.description}; {peer_build.java_version}")
    environment["peer_threads"] = threads
    environment["load_average_at_start"] = load_at_start
    environment["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return {
        "environment": environment,
        "pairs": rows,
        "warmup": warmup,
        "summary": _summaries(rows, options.concurrencies),
        "memory": memory,
        "notes": notes,
    }
