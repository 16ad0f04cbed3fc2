"""The benchmark harness (bench/) works end to end in a tiny mode; no assertion ever bears on speed."""

from __future__ import annotations

import platform
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg_support import BACKENDS, fresh_database
from support import REPO, LiveGateway, example_form

# bench/ is not part of the installed package: it is imported from the source tree.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench import _soap, fill, harness, loadgen, paired, peers, report, store_seam
from bench.peers import _jaxws
from gateway.cli import main

POINT_KEYS = {"operation", "concurrency", "requests", "errors", "rps", "p50_ms", "p95_ms", "p99_ms", "vs_echo"}


def _spec(live: LiveGateway, operation: _soap.Operation, requests: int) -> loadgen.LoadSpec:
    pki = live.data_dir / "pki"
    return loadgen.LoadSpec(
        port=live.port,
        path=operation.path,
        body=operation.body,
        soap_action=operation.soap_action,
        marker=operation.marker,
        connections=2,
        max_requests=requests,
        duration_s=30.0,
        start_at=time.time(),
        cert=str(pki / "OPE001.pem"),
        key=str(pki / "OPE001.key"),
        ca=str(pki / "ca.pem"),
    )


def test_loadgen_deposits_are_real_tickets(live: LiveGateway) -> None:
    """Every deposit the load generator counts as a success is a ticket the gateway stored."""
    before = live.gateway.store.open_tickets(
        "OPE001", states=["EN_DEPOT"], prestation=None, deposited_from=None, deposited_to=None, page=1, size=1
    ).total
    result = loadgen.run(_spec(live, _soap.deposit(), 6))
    after = live.gateway.store.open_tickets(
        "OPE001", states=["EN_DEPOT"], prestation=None, deposited_from=None, deposited_to=None, page=1, size=1
    ).total
    assert (result["ok"], result["errors"], result["reconnects"]) == (6, 0, 0)
    assert after - before == 6


def test_loadgen_counts_a_fault_as_an_error(live: LiveGateway) -> None:
    """A deposit answered by a SOAP fault (HTTP 500) is an error, never a success."""
    result = loadgen.run(_spec(live, _soap.deposit(prestation="9999999999"), 4))
    assert (result["ok"], result["errors"]) == (0, 4)
    assert "erreurEsav" in result["error_samples"][0]


def test_state_query_body_is_answered(live: LiveGateway) -> None:
    """The state query the harness sends reads back the ticket zeep deposited."""
    from support import deposit

    reference = deposit(live.client()).referenceSignalisation
    status, answer = _soap.one_call(live.port, _soap.state_query(reference), live.data_dir / "pki")
    assert status == 200 and "EN_DEPOT" in answer


@pytest.mark.slow
def test_http_harness_tiny_run_produces_every_figure_on_both_engines() -> None:
    """A run at concurrency 2 with a few requests starts the echo and the gateway, on SQLite and (given a
    PostgreSQL URL) on PostgreSQL, reports every key of every point and sets the two engines side by side."""
    result = harness.run_http(harness.tiny_options(store_url=fresh_database()))
    assert {"environment", "points", "memory", "targets", "notes"} <= result.keys()
    assert [(p["operation"], p["concurrency"]) for p in result["points"]] == [
        ("echo", 2),
        ("deposit", 2),
        ("state", 2),
        ("deposit@postgresql", 2),
        ("state@postgresql", 2),
    ]
    for point in result["points"]:
        assert point.keys() >= POINT_KEYS
        assert point["requests"] > 0 and point["errors"] == 0
        assert set(point["vs_echo"]) == {"rps", "p50_ms", "p95_ms", "p99_ms"}
    assert result["memory"]["gateway"]["hwm_mb_per_process"] and result["memory"]["echo"]["peak_rss_mb"] > 0
    assert [(e["operation"], e["concurrency"]) for e in result["engines"]] == [("deposit", 2), ("state", 2)]
    assert all(e["ratio"] > 0 for e in result["engines"])
    table = report.http_table(result)
    assert "deposit" in table and "PostgreSQL beside SQLite" in table
    # The interpreter's build counts as much as its version: the report names its folder too.
    assert f"Python {platform.python_version()} ({sys.base_prefix})" in table


def test_loadgen_reads_chunked_answers() -> None:
    """A chunked answer (the JDK server under JAX-WS sends them) is complete only once its last chunk is in."""
    answer = b"HTTP/1.1 200 OK\r\nTransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n"
    for cut in range(len(answer)):
        assert loadgen._response_length(bytearray(answer[:cut])) is None
    assert loadgen._response_length(bytearray(answer)) == (200, len(answer))
    assert loadgen.body_of(answer) == b"hello world"
    plain = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc"
    assert loadgen._response_length(bytearray(plain)) == (200, len(plain))
    assert loadgen.body_of(plain) == b"abc"


PAIRED_SIDE_KEYS = {"rps_median", "p50_ms_median", "p99_ms_median", "cpu_ms_per_request_median", "errors"}


@pytest.mark.slow
def test_paired_tiny_run_with_the_jaxws_peer_reports_every_key() -> None:
    """The JAX-WS peer is compiled, started, measured beside the gateway and the echo; every key is reported."""
    missing = peers.missing_toolchain()
    if missing:
        pytest.skip("the JAX-WS peer needs " + ", ".join(missing))
    result = paired.run_paired(paired.tiny_paired_options())
    assert {"environment", "pairs", "warmup", "summary", "memory", "notes"} <= result.keys()
    assert [(r["pair"], r["concurrency"]) for r in result["pairs"]] == [(1, 2)]
    row = result["pairs"][0]
    for side in paired.SIDES:
        assert row[side].keys() >= POINT_KEYS - {"vs_echo"} | {"server_cpu_ms_per_request"}
        assert row[side]["requests"] > 0 and row[side]["errors"] == 0
    assert set(row["gateway_vs_peer"]) == {"rps", "p50_ms", "p99_ms", "cpu_ms_per_request"}
    (summary,) = result["summary"]
    assert summary["concurrency"] == 2 and set(summary["gateway_vs_peer_rps"]) == {"per_pair", "median", "min", "max"}
    for side in paired.SIDES:
        assert summary[side].keys() >= PAIRED_SIDE_KEYS
        assert result["memory"][side]["peak_rss_mb"] > 0
    assert set(result["warmup"]) == set(paired.SIDES)
    assert "gw/peer" in report.paired_table(result)


def test_bench_peer_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the Java libraries, ``esav banc --peer jaxws`` stops and names the missing jars and packages."""
    monkeypatch.setattr(_jaxws, "JAVA_LIBRARIES", tmp_path)
    assert main(["banc", "--pair", "jaxws", "--rapide"]) != 0
    error = capsys.readouterr().err
    assert "jaxws-rt.jar" in error and "libjaxws-java" in error and "libxerial-sqlite-jdbc-java" in error


def test_the_peer_is_compiled_once_per_state_of_its_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The peer's classes are kept between runs, compiled again only when a source changes."""
    if peers.missing_toolchain():
        pytest.skip("the JAX-WS peer needs " + ", ".join(peers.missing_toolchain()))
    sources = tmp_path / "jaxws"
    sources.mkdir()
    (sources / "PeerServer.java").write_text("class PeerServer {}\n")
    compiled: list[Path] = []
    monkeypatch.setattr(_jaxws, "SOURCES", sources)
    monkeypatch.setattr(_jaxws, "BUILDS", tmp_path / "build")
    monkeypatch.setattr(_jaxws.JaxwsPeer, "_compile", classmethod(lambda cls, _, target: compiled.append(target)))

    def build() -> Path:
        classes = _jaxws.JaxwsPeer.build().classes
        classes.mkdir(parents=True, exist_ok=True)  # what the compiler leaves
        return classes

    first = build()
    assert build() == first and compiled == [first]
    (sources / "PeerServer.java").write_text("class PeerServer { int x; }\n")
    second = build()
    assert second != first and compiled == [first, second]


def test_scale_tiny_fill_times_and_explains_history_and_search(tmp_path: Path) -> None:
    """A small store is filled through the schema, and every query is timed and explained."""
    result = fill.run_scale(2000, tmp_path / "esav.db")
    assert result["fill"]["tickets"] == 2000
    names = [q["query"] for q in result["queries"]]
    assert any(n.startswith("history") for n in names) and any(n.startswith("search") for n in names)
    for query in result["queries"]:
        assert query["plan"] and {"first_ms", "median_ms", "p95_ms", "uses_index"} <= query.keys()
    assert "query plans" in report.scale_table(result)


def test_bench_command_is_registered_with_help() -> None:
    """``esav banc --help`` exists and documents its options."""
    assert main(["banc", "--help"]) == 0


@pytest.fixture(params=BACKENDS)
def seam_bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[store_seam.Bench]:
    """The store benchmark's approaches on a new demo database of each engine."""
    base = fresh_database() if request.param == "postgresql" else str(tmp_path / "esav.db")
    bench = store_seam.open_bench(base, tmp_path)
    yield bench
    bench.close()


def test_store_seam_replays_the_statements_of_a_deposit_and_a_state_query(seam_bench: store_seam.Bench) -> None:
    """The benchmark's seam workload issues, in order, the SQL the services issue for a deposit and a state query."""
    from gateway.services import DepositRequest

    gateway, seam = seam_bench.gateway, seam_bench.approaches["seam"]
    fingerprint = seam.d.fingerprint
    request = DepositRequest(store_seam.PRESTATION, store_seam.OFFER, "MAJEURE", "SIG_CUIVRE", "1.0",
                             example_form("SIG_CUIVRE"))  # fmt: skip
    receipts = []
    caller = gateway.access.authenticate_certificate(fingerprint)
    gateway.tickets.deposit(caller, request)  # the offers' launches and contracts' ends now in the service's copy
    served = store_seam.capture(
        gateway.store,
        lambda: receipts.append(gateway.tickets.deposit(gateway.access.authenticate_certificate(fingerprint), request)),
    )
    assert served == store_seam.capture(gateway.store, seam.deposit)
    reference = receipts[0].reference
    served = store_seam.capture(
        gateway.store, lambda: gateway.tickets.state(gateway.access.authenticate_certificate(fingerprint), reference)
    )
    assert served == store_seam.capture(gateway.store, lambda: seam.state(reference))


def test_store_seam_every_approach_stores_a_ticket_and_reads_it_back(seam_bench: store_seam.Bench) -> None:
    """Each approach's deposit is a ticket the store finds, with its event; its state query reads that ticket."""
    store = seam_bench.gateway.store
    for name, approach in seam_bench.approaches.items():
        reference = approach.deposit()
        ticket = store.get_ticket(reference)
        assert ticket is not None and ticket.state == "EN_DEPOT", name
        assert [e.subject for e in store.events_after("OPE001", 0)][-1] == reference, name
        assert approach.state(reference) == "EN_DEPOT", name


def test_store_seam_groups_commit_every_deposit_of_a_group(seam_bench: store_seam.Bench) -> None:
    """Grouped deposits are each stored as one ticket, committed by their group; CPU and wall are reported."""
    store = seam_bench.gateway.store
    before = len(store.events_after("OPE001", 0, limit=10_000))
    figures = store_seam.measure_grouped(seam_bench, batches=2, size=3)
    assert len(store.events_after("OPE001", 0, limit=10_000)) == before + 3 * 3  # a warm-up group, then two
    assert not store.commit_pending()
    assert figures["engine"] == seam_bench.engine and figures["size"] == 3
    assert figures["cpu_us"] > 0 and figures["wall_us"] > 0


@pytest.mark.parametrize("engine", BACKENDS)
def test_store_seam_tiny_run_reports_every_figure(engine: str, tmp_path: Path) -> None:
    """A tiny run reports CPU, wall time and ratios for every approach and operation, and prints them."""
    base = fresh_database() if engine == "postgresql" else str(tmp_path / "esav.db")
    result = store_seam.run([base], rounds=2, deposits=2, states=2)
    rows = result["rows"]
    assert [(r["engine"], r["operation"], r["approach"]) for r in rows] == [
        (engine, operation, approach) for operation in store_seam.OPERATIONS for approach in store_seam.APPROACHES
    ]
    for row in rows:
        assert all(row[key] > 0 for key in ("cpu_us", "wall_us", "cpu_vs_seam", "wall_vs_seam")), row
    assert {r["cpu_vs_seam"] for r in rows if r["approach"] == "seam"} == {1.0}
    assert {"load_before", "load_after", "sqlalchemy", "psycopg"} <= result["environment"].keys()
    assert "µs CPU/op" in store_seam.table(result)


@pytest.mark.slow
def test_the_cluster_bench_measures_one_node_then_two_through_haproxy():
    """``esav banc --grappe`` in a tiny mode: deposits through HAProxy on one node then two, without
    errors, and the table puts the two side by side."""
    from bench import cluster

    result = cluster.run_cluster(harness.tiny_options())  # a fresh temporary folder the servers can reach
    assert [(p["nodes"], p["concurrency"]) for p in result["points"]] == [(1, 2), (2, 2)]
    assert all(p["errors"] == 0 and p["requests"] > 0 for p in result["points"]), result["points"]
    table = cluster.cluster_table(result)
    assert "1 node dep/s" in table and "2 nodes dep/s" in table
    assert len(table.splitlines()) == 5


def test_the_peer_is_warm_only_when_three_slices_agree_within_ten_percent() -> None:
    """Two slices agreeing is not enough (the JIT may still be compiling); three within 10 % of the least are."""

    def slices(*costs: float) -> list[dict[str, float]]:
        return [{"cpu_ms_per_request": c} for c in costs]

    assert not paired.stable(slices(1.0, 1.05))
    assert not paired.stable(slices(2.0, 1.0, 1.05))
    assert not paired.stable(slices(1.0, 1.05, float("nan")))
    assert paired.stable(slices(1.0, 1.05, 1.1))


def test_host_http_summary_pairs_each_round_of_the_two_channels() -> None:
    """The host bench's ratios are medians of per-round pairs (lean over twisted), errors summed."""
    from bench import host_http

    def point(kind: str, index: int, cpu: float, rps: float) -> dict[str, object]:
        figures = {"server_cpu_ms_per_request": cpu, "rps": rps, "errors": 0}
        return {"concurrency": 8, "http": kind, "round": index, **figures}

    points = [point("twisted", 1, 1.0, 100), point("lean", 1, 0.5, 300), point("twisted", 2, 2.0, 100)]
    points += [point("lean", 2, 1.5, 150)]
    (row,) = host_http._summary(points, [8])
    assert row["cpu_lean_vs_twisted"] == 0.62  # median of 0.5 and 0.75
    assert row["rps_lean_vs_twisted"] == 2.25  # median of 3.0 and 1.5
    assert (row["twisted_cpu_ms"], row["lean_cpu_ms"], row["errors"]) == (1.5, 1.0, 0)


def test_trees_summary_pairs_each_round_of_the_two_checkouts() -> None:
    """The checkouts' ratios are medians of per-round pairs (new over base), with the rounds new was ahead."""
    from bench import trees

    def point(side: str, index: int, cpu: float, rps: float) -> dict[str, object]:
        figures = {"server_cpu_ms_per_request": cpu, "rps": rps, "errors": 1 if side == "new" else 0}
        return {"concurrency": 8, "side": side, "round": index, **figures}

    points = [point("base", 1, 1.0, 100), point("new", 1, 0.5, 300), point("base", 2, 2.0, 100)]
    points += [point("new", 2, 1.5, 90), point("base", 3, 1.0, 100)]  # round 3 has no pair: left out
    (row,) = trees._summary(points, [8])
    assert row["rps_new_vs_base"] == 1.95  # median of 3.0 and 0.9
    assert row["cpu_new_vs_base"] == 0.625  # median of 0.5 and 0.75
    assert (row["rounds"], row["new_ahead"], row["errors"]) == (2, 1, 2)
    assert (row["base_rps"], row["base_cpu_ms"]) == (100, 1.0)


def test_trees_tiny_run_serves_each_checkout_from_its_own_folder(tmp_path: Path) -> None:
    """Both sides served from a checkout (this one, and a copy of its gateway in another folder that notes
    each process it starts): the copy's server and both of its workers run the copy's code, with what
    ``--env-new`` adds in their environment, and every figure is there."""
    from bench import trees

    copy, ran = tmp_path / "copy", tmp_path / "ran"
    ran.mkdir()
    shutil.copytree(REPO / "gateway", copy / "gateway", ignore=shutil.ignore_patterns("__pycache__"))
    main_module = copy / "gateway" / "__main__.py"
    note = (
        f"import os as _os, pathlib as _p\n"
        f"_p.Path({str(ran)!r}, str(_os.getpid())).write_text(__file__ + ' ' + _os.environ.get('TREES_MARK', '-'))\n"
    )
    main_module.write_text(note + main_module.read_text())
    envs = {"new": {"TREES_MARK": "new-side"}}
    result = trees.run({"base": REPO, "new": copy}, rounds=1, seconds=0.5, concurrencies=[2], workers=2, envs=envs)
    (row,) = result["summary"]
    assert row["rounds"] == 1 and row["errors"] == 0
    assert row["base_rps"] > 0 and row["new_rps"] > 0
    started = [path.read_text() for path in ran.iterdir()]
    assert len(started) == 3 and set(started) == {f"{main_module} new-side"}  # the server and its two workers


def test_every_part_the_costs_bench_times_is_found_where_it_names_it() -> None:
    """A part renamed or moved in the gateway fails here, not silently in the benchmark."""
    import importlib

    from bench._costs_hooks import PARTS, resolve

    for part in PARTS:
        holder, name = resolve(importlib.import_module(part.module), part.target)
        assert callable(getattr(holder, name)), part


def test_costs_tiny_run_times_every_part_of_a_deposit_inside_the_workers() -> None:
    """Two workers, a short run: the calls and commits are counted inside the workers and every part
    a deposit always goes through was timed."""
    from bench import costs

    (result,) = costs.run([2], workers=2, seconds=0.5)
    assert result["errors"] == 0 and result["calls"] > 0 and result["commits"] > 0
    timed = {row["part"]: row for row in result["parts"]}
    always = set(timed) - {"certificates, prestations read ahead"}  # only for a batch of two calls or more
    assert all(timed[part]["per_call"] > 0 and timed[part]["cpu_us_per_call"] > 0 for part in always), timed
    assert timed["COMMIT"]["cpu_us_per_commit"] > 0 and timed["COMMIT"]["wall_us_each"] > 0
    assert result["top_level_cpu_us_per_call"] > 0  # (/proc counts in ticks: no comparison in a tiny run)


def test_instructions_tiny_run_counts_what_a_deposit_costs_under_valgrind(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two runs of the gateway under valgrind, a few deposits apart, give a deposit's instructions."""
    from bench import instructions

    monkeypatch.setattr(instructions, "SHORT", 2)
    monkeypatch.setattr(instructions, "WARM_UP", 2)
    per_deposit = instructions.per_deposit(REPO, deposits=6, concurrency=2)
    # A deposit reads TLS, parses and validates XML, writes four rows: far more than 100,000
    # instructions, far fewer than fifty million (the start and the warm-up are the same in both runs).
    assert 100_000 < per_deposit < 50_000_000


def test_instructions_reads_the_total_of_cachegrinds_file(tmp_path: Path) -> None:
    from bench import instructions

    out = tmp_path / "cachegrind.out"
    out.write_text("desc: I1 cache:\ncmd: python\nevents: Ir\nfl=x.c\nfn=f\n1 5\nsummary: 4171231203\n")
    assert instructions._total_instructions(out) == 4171231203
    out.write_text("events: Ir\n")
    with pytest.raises(RuntimeError, match="no summary line"):
        instructions._total_instructions(out)
