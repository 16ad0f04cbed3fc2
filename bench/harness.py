"""The HTTP benchmark: a real gateway and the echo yardstick, driven at several concurrencies.

``run_http(HttpOptions())`` starts ``python -m gateway serve --demo`` and ``python -m bench.echo_server``
in a temporary folder, checks each request once (a deposit must answer a reference, not a fault),
warms both up, then for each concurrency drives echo, deposit and state query in turn with
``bench.loadgen`` processes, and returns plain data (``--json`` prints it as is).
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import _soap
from ._processes import PYTHON, REPO, ServerProcess, demo_command, python_env, start_server
from .loadgen import LoadSpec

__all__ = [
    "QUICK",
    "TARGETS",
    "HttpOptions",
    "interleaved_summary",
    "percentile",
    "run_http",
    "serve_supports_workers",
]

#: The performance targets, at concurrency 32.
TARGETS = {
    "deposit_rps": 1500.0,
    "state_rps": 2500.0,
    "p99_ms": 50.0,
    "query_ms": 20.0,  # history and search on one million tickets (bench.fill)
    "rss_mb_per_process": 200.0,
}


@dataclass(frozen=True)
class HttpOptions:
    """What one HTTP benchmark run does."""

    concurrencies: tuple[int, ...] = (1, 8, 32)
    duration_s: float = 10.0  # per measured point, at most
    max_requests: int = 200_000  # per measured point, at most
    warmup_s: float = 2.0  # per operation, before the first point, not measured
    workers: int | None = None  # passed to ``esav servir --processus`` when it exists
    form: str = "SIG_CUIVRE"  # or SIG_FTTH
    client_processes: int = 1  # load-generator processes sharing the connections of one point
    keep_dir: Path | None = None  # keep the data, logs and PKI here instead of a temporary folder
    store_url: str | None = None  # also measure a gateway on this PostgreSQL database, beside SQLite
    # Before a point starts, for its load generators to start and connect (plus 20 ms per connection).
    start_delay_s: float = 0.6


QUICK = HttpOptions(duration_s=2.5, warmup_s=0.5)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..1) of already sorted values; NaN when empty."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def serve_supports_workers() -> bool:
    """Whether ``esav servir`` has a ``--processus`` option yet."""
    result = subprocess.run(
        [PYTHON, "-m", "gateway", "servir", "--help"], capture_output=True, text=True, env=python_env(), cwd=REPO
    )
    return "--processus" in result.stdout


def _drive(
    server: ServerProcess,
    operation: _soap.Operation,
    pki: Path,
    connections: int,
    options: HttpOptions,
    duration: float,
) -> dict[str, Any]:
    """One measured point: ``connections`` keep-alive connections for ``duration`` seconds."""
    processes = max(1, min(options.client_processes, connections))
    start_at = time.time() + options.start_delay_s + 0.02 * connections  # every process connected before the start
    specs = []
    for index in range(processes):
        share = connections // processes + (1 if index < connections % processes else 0)
        specs.append(
            LoadSpec(
                port=server.port,
                path=operation.path,
                body=operation.body,
                soap_action=operation.soap_action,
                marker=operation.marker,
                connections=share,
                max_requests=max(1, options.max_requests * share // connections),
                duration_s=duration,
                start_at=start_at,
                cert=str(pki / "OPE001.pem"),
                key=str(pki / "OPE001.key"),
                ca=str(pki / "ca.pem"),
            )
        )
    clients = [
        subprocess.Popen(
            [PYTHON, "-m", "bench.loadgen", spec.to_json()],
            stdout=subprocess.PIPE,
            env=python_env(),
            cwd=REPO,
        )
        for spec in specs
    ]
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = server.cpu_seconds()
    outputs = [client.communicate(timeout=duration + 120)[0] for client in clients]
    cpu_after = server.cpu_seconds()
    if any(client.returncode for client in clients):
        raise RuntimeError(f"load generator failed for {operation.name} at c={connections}")
    results = [json.loads(out) for out in outputs]
    latencies = sorted(x for r in results for x in r["latencies_ms"])
    ok = len(latencies)
    errors = sum(r["errors"] for r in results)
    elapsed = max(r["elapsed_s"] for r in results)
    client_cpu = sum(r["cpu_s"] for r in results)
    server_cpu = cpu_after - cpu_before
    return {
        "operation": operation.name,
        "concurrency": connections,
        "requests": ok,
        "errors": errors,
        "reconnects": sum(r["reconnects"] for r in results),
        "seconds": round(elapsed, 3),
        "rps": round(ok / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 2),
        "p95_ms": round(percentile(latencies, 0.95), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
        "max_ms": round(latencies[-1], 2) if latencies else math.nan,
        "server_cpu_ms_per_request": round(1000 * server_cpu / ok, 3) if ok else math.nan,
        "server_cores_busy": round(server_cpu / elapsed, 2) if elapsed else 0.0,
        "client_cores_busy": round(client_cpu / elapsed, 2) if elapsed else 0.0,
        "client_cpu_us_per_request": round(1e6 * client_cpu / ok, 1) if ok else math.nan,
        "error_samples": [s for r in results for s in r["error_samples"]][:3],
    }


def _check_once(server: ServerProcess, operation: _soap.Operation, pki: Path) -> str:
    status, answer = _soap.one_call(server.port, operation, pki)
    if status != 200 or operation.marker not in answer:
        raise RuntimeError(
            f"{operation.name}: the request the benchmark would send fails (HTTP {status}):\n{answer[:800]}"
        )
    return answer


def interleaved_summary(
    points: list[dict[str, Any]], concurrencies: list[int], label: str, before: str, after: str, digits: int = 3
) -> list[dict[str, Any]]:
    """Per concurrency, two servers measured in interleaved rounds (each point names its server under
    ``label`` and its ``round``): each one's median requests/s and CPU per request
    (``{name}_rps``, ``{name}_cpu_ms``), the medians of the per-round ratios ``after``/``before``
    (``rps_{after}_vs_{before}``, ``cpu_…``; a round that lacks one of the two is left out), the
    rounds paired, those where ``after`` served more (``{after}_ahead``) and the errors."""
    rows = []
    for concurrency in concurrencies:
        mine = [p for p in points if p["concurrency"] == concurrency]
        by_round: dict[int, dict[str, dict[str, Any]]] = {}
        for point in mine:
            by_round.setdefault(point["round"], {})[point[label]] = point
        pairs = [r for r in by_round.values() if before in r and after in r]
        row: dict[str, Any] = {"concurrency": concurrency, "errors": sum(p["errors"] for p in mine)}
        for name in (before, after):
            own = [p for p in mine if p[label] == name]
            row[f"{name}_rps"] = statistics.median(p["rps"] for p in own)
            row[f"{name}_cpu_ms"] = statistics.median(p["server_cpu_ms_per_request"] for p in own)
        for figure, key in (("rps", "rps"), ("cpu", "server_cpu_ms_per_request")):
            ratios = [r[after][key] / r[before][key] for r in pairs]
            row[f"{figure}_{after}_vs_{before}"] = round(statistics.median(ratios), digits)
        row["rounds"] = len(pairs)
        row[f"{after}_ahead"] = sum(r[after]["rps"] > r[before]["rps"] for r in pairs)
        rows.append(row)
    return rows


def _ratios(point: dict[str, Any], yardstick: dict[str, Any]) -> dict[str, float]:
    def ratio(a: float, b: float) -> float:
        return round(a / b, 3) if b and not math.isnan(a) and not math.isnan(b) else math.nan

    return {key: ratio(point[key], yardstick[key]) for key in ("rps", "p50_ms", "p95_ms", "p99_ms")}


def _targets(points: list[dict[str, Any]], gateway_memory: dict[str, Any]) -> dict[str, Any]:
    at32 = {p["operation"]: p for p in points if p["concurrency"] == 32}
    checks: dict[str, Any] = {}
    for operation, key in (("deposit", "deposit_rps"), ("state", "state_rps")):
        if operation in at32:
            point = at32[operation]
            checks[f"{operation}_rps_c32"] = {
                "value": point["rps"],
                "target": f">= {TARGETS[key]:.0f}",
                "met": point["rps"] >= TARGETS[key] and point["errors"] == 0,
            }
            checks[f"{operation}_p99_ms_c32"] = {
                "value": point["p99_ms"],
                "target": f"< {TARGETS['p99_ms']:.0f}",
                "met": point["p99_ms"] < TARGETS["p99_ms"],
            }
    peak = max(gateway_memory["hwm_mb_per_process"], default=math.nan)
    checks["rss_mb_per_process"] = {
        "value": round(peak, 1),
        "target": f"< {TARGETS['rss_mb_per_process']:.0f}",
        "met": peak < TARGETS["rss_mb_per_process"],
    }
    return checks


def _memory(server: ServerProcess) -> dict[str, Any]:
    return {
        "processes": len(server.pids()),
        "peak_rss_mb": round(server.peak_rss_mb(), 1),  # sum over processes, sampled every 100 ms
        "hwm_mb_per_process": [round(x, 1) for x in server.hwm_mb_per_process()],  # kernel's VmHWM
    }


def _environment(options: Any, workers_applied: bool) -> dict[str, Any]:
    """Where and how a run was made (``options``: any of the benchmarks' option dataclasses)."""
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # The interpreter's build matters as much as its version: one built without profile-guided and
        # link-time optimisation costs about a fifth more CPU a deposit (bench/README.md).
        "python": f"{platform.python_version()} ({sys.base_prefix})",
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "load_generator": f"bench.loadgen, {options.client_processes} process(es), HTTP/1.1 keep-alive, mutual TLS",
        "workers": options.workers if workers_applied else None,
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(options).items()},
    }


def run_http(options: HttpOptions = HttpOptions(), progress: Any = None) -> dict[str, Any]:
    """Measure the gateway and the echo yardstick; returns the figures (see bench/README.md)."""
    say = progress or (lambda message: None)
    notes: list[str] = []
    workers_applied = False
    if options.workers is not None:
        workers_applied = serve_supports_workers()
        if not workers_applied:
            notes.append(f"--processus {options.workers} ignored: `esav servir` has no --processus option yet")
    with tempfile.TemporaryDirectory(prefix="esav-bench-") as temporary:
        work = options.keep_dir or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        data = work / "data"
        serve = demo_command(data, options.workers if workers_applied else None)
        say("starting the gateway (demo data, PKI)…")
        gateway = start_server("gateway", serve, work)
        echo_server: ServerProcess | None = None
        on_postgresql: ServerProcess | None = None
        try:
            pki = data / "pki"
            # The echo (it only needs the demo's PKI) starts beside the gateway on PostgreSQL, if any.
            with ThreadPoolExecutor(max_workers=1) as pool:
                say("starting the echo yardstick…")
                starting_echo = pool.submit(
                    start_server,
                    "echo",
                    [PYTHON, "-m", "bench.echo_server", "--port", "{port}", "--pki", str(pki)],
                    work,
                )
                try:
                    if options.store_url:  # the same gateway, PKI and demo, its store on PostgreSQL
                        say("starting the gateway on PostgreSQL (demo data)…")
                        on_postgresql = start_server(
                            "gateway-postgresql",
                            ["env", "ESAV_WEB_PORT=0", "ESAV_METRICS_PORT=", *serve, "--base", options.store_url],
                            work,
                        )
                finally:
                    echo_server = starting_echo.result()
            gateway.start_sampling()
            echo_server.start_sampling()
            deposit = _soap.deposit(options.form)
            reference = _soap.reference_in(_check_once(gateway, deposit, pki))
            assert reference is not None
            state = _soap.state_query(reference)
            _check_once(gateway, state, pki)
            echo = _soap.echo()
            _check_once(echo_server, echo, pki)
            plan = [(echo_server, echo), (gateway, deposit), (gateway, state)]
            if on_postgresql is not None:
                on_postgresql.start_sampling()
                reference_pg = _soap.reference_in(_check_once(on_postgresql, deposit, pki))
                assert reference_pg is not None
                state_pg = _soap.state_query(reference_pg)
                _check_once(on_postgresql, state_pg, pki)
                plan += [
                    (on_postgresql, _named(deposit, "deposit@postgresql")),
                    (on_postgresql, _named(state_pg, "state@postgresql")),
                ]
            if options.warmup_s > 0:
                say("warming up…")
                for server, operation in plan:
                    _drive(server, operation, pki, 8, options, options.warmup_s)
            points = []
            for concurrency in options.concurrencies:
                for server, operation in plan:
                    say(f"{operation.name} at concurrency {concurrency}…")
                    points.append(_drive(server, operation, pki, concurrency, options, options.duration_s))
            yardsticks = {p["concurrency"]: p for p in points if p["operation"] == "echo"}
            for point in points:
                point["vs_echo"] = _ratios(point, yardsticks[point["concurrency"]])
                if point["errors"]:
                    notes.append(f"{point['operation']} c={point['concurrency']}: {point['errors']} errors")
                if point["client_cores_busy"] > 0.8 * options.client_processes:
                    notes.append(
                        f"{point['operation']} c={point['concurrency']}: the load generator was busy "
                        f"{point['client_cores_busy']} cores; it may be the limit"
                    )
            memory = {"gateway": _memory(gateway), "echo": _memory(echo_server)}
        finally:
            gateway.stop()
            if echo_server is not None:
                echo_server.stop()
            if on_postgresql is not None:
                on_postgresql.stop()
    gateway_peak = max(memory["gateway"]["hwm_mb_per_process"], default=math.nan)
    echo_peak = max(memory["echo"]["hwm_mb_per_process"], default=math.nan)
    memory["gateway_vs_echo"] = round(gateway_peak / echo_peak, 2) if echo_peak else math.nan
    return {
        "environment": _environment(options, workers_applied),
        "points": points,
        "memory": memory,
        "targets": _targets(points, memory["gateway"]),
        "engines": _engines(points) if options.store_url else [],
        "notes": notes,
    }


def _named(operation: _soap.Operation, name: str) -> _soap.Operation:
    return replace(operation, name=name)


#: PostgreSQL beside SQLite, same run: deposits/s at least this share of SQLite's, p99 below (ms, c=32).
ENGINE_TARGETS = {"deposit_rps_ratio": 0.7, "p99_ms": 50.0}


def _engines(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per concurrency and operation: SQLite's and PostgreSQL's figures side by side, and their ratio."""
    by_key = {(p["operation"], p["concurrency"]): p for p in points}
    rows = []
    for (operation, concurrency), sqlite in sorted(by_key.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        postgresql = by_key.get((f"{operation}@postgresql", concurrency))
        if postgresql is None:
            continue
        ratio = round(postgresql["rps"] / sqlite["rps"], 3) if sqlite["rps"] else math.nan
        row = {
            "operation": operation,
            "concurrency": concurrency,
            "sqlite_rps": sqlite["rps"],
            "postgresql_rps": postgresql["rps"],
            "ratio": ratio,
            "sqlite_p99_ms": sqlite["p99_ms"],
            "postgresql_p99_ms": postgresql["p99_ms"],
            "postgresql_errors": postgresql["errors"],
        }
        if operation == "deposit" and concurrency == 32:
            row["met"] = (
                ratio >= ENGINE_TARGETS["deposit_rps_ratio"]
                and postgresql["p99_ms"] < ENGINE_TARGETS["p99_ms"]
                and postgresql["errors"] == 0
            )
        rows.append(row)
    return rows


def tiny_options(**overrides: Any) -> HttpOptions:
    """A run of a few requests at concurrency 2, to prove the harness works (tests): its points start
    sooner, the figures of a few requests mean nothing anyway."""
    tiny = HttpOptions(concurrencies=(2,), duration_s=2.0, max_requests=20, warmup_s=0.0, start_delay_s=0.15)
    return replace(tiny, **overrides)
