"""Volumetry: calls counted per operator and operation (from the flushed data), ``esav stats``, and
``/metrics`` in Prometheus text format on a loopback-only port the operators' TLS port does not serve."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import requests
import zeep
from prometheus_client.parser import text_string_to_metric_families
from support import deposit, in_reactor, start_gateway

from gateway.cli import main
from gateway.domain.clock import PARIS
from gateway.domain.volumetry import COUNTED_OPERATIONS, is_counted_request, percentile_ms
from gateway.store import minute_of


@pytest.fixture
def metered(tmp_path, session_pki):
    """A live gateway that also serves /metrics on an OS-chosen loopback port."""
    server = start_gateway(tmp_path / "data", session_pki, settings_overrides={"metrics_port": 0})
    try:
        yield server
    finally:
        server.stop()


def _make_calls(live) -> None:
    """OPE001: 2 deposits, 3 state queries (one unknown), 1 listerFormulaires; OPE002: 1 state query."""
    client = live.client()
    reference = deposit(client).referenceSignalisation
    deposit(client)
    client.service.consulterEtatSignalisation(reference)
    client.service.consulterEtatSignalisation(reference)
    with pytest.raises(zeep.exceptions.Fault):
        client.service.consulterEtatSignalisation("SIG99999999")
    live.client("OPE001", "catalogue").service.listerFormulaires()
    with pytest.raises(zeep.exceptions.Fault):
        live.client("OPE002").service.consulterEtatSignalisation(reference)  # not theirs


@pytest.mark.parametrize(
    ("operator", "operation", "fault", "counted"),
    [
        ("OPE001", "deposerSignalisation", None, True),
        ("OPE001", "deposerSignalisation", "DOUBLON", False),
        (None, "deposerSignalisation", "AUTHENTIFICATION", False),
        ("OPE001", "consulterDetailSignalisation", None, False),
        ("OPE001", "consulterResultatTest", None, False),
        ("OPE001", "lancerTest", None, False),
    ],
)
def test_counted_request_rule(operator, operation, fault, counted):
    """A counted request is an authenticated, answered call of a §8 operation."""
    assert is_counted_request(operator, operation, fault) is counted


def test_counted_operations_are_the_calls_of_the_spec_tests_aside():
    """§8 lists deposits, state and history queries, TP and incident queries; a test counts at its result."""
    assert len(COUNTED_OPERATIONS) == 5


def test_percentile_is_the_bucket_upper_bound():
    """100 samples: 90 in the 1 ms bucket, 10 in the 10 ms bucket → p50 1 ms, p95 10 ms."""
    buckets = [0] * 23
    buckets[1], buckets[6] = 90, 10
    assert (percentile_ms(buckets, 0.5), percentile_ms(buckets, 0.95), percentile_ms([0] * 23, 0.5)) == (1, 10, None)


@pytest.mark.sqlite_file
def test_counts_per_operator_and_operation_match_the_calls_made(metered, capsys):
    """esav stats --json: calls, counted requests and faults per operator and operation, as made."""
    _make_calls(metered)
    in_reactor(metered.running.operations.flush)
    assert main(["stats", "--donnees", str(metered.data_dir), "--json"]) == 0
    rows = {(r["operator_code"], r["operation"]): r for r in json.loads(capsys.readouterr().out)}
    summary = {key: (r["calls"], r["counted"], r["faults"]) for key, r in rows.items()}
    assert summary == {
        ("OPE001", "deposerSignalisation"): (2, 2, {}),
        ("OPE001", "consulterEtatSignalisation"): (3, 2, {"SIGNALISATION_INCONNUE": 1}),
        ("OPE001", "listerFormulaires"): (1, 0, {}),
        ("OPE002", "consulterEtatSignalisation"): (1, 0, {"SIGNALISATION_INCONNUE": 1}),
    }
    assert all(r["p50_ms"] is not None and r["p50_ms"] <= r["p99_ms"] for r in rows.values())


def test_metrics_parse_as_prometheus_and_count_the_calls(metered):
    """GET /metrics on the loopback port parses with prometheus_client and counts the calls made."""
    _make_calls(metered)
    in_reactor(metered.running.operations.flush)
    port = metered.running.operations.metrics_port_number
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    requests_total = {
        (s.labels["operator"], s.labels["operation"], s.labels["outcome"]): s.value
        for s in families["esav_requests"].samples
    }
    assert requests_total[("OPE001", "deposerSignalisation", "OK")] == 2
    assert requests_total[("OPE001", "consulterEtatSignalisation", "SIGNALISATION_INCONNUE")] == 1
    histogram = families["esav_request_duration_seconds"]
    counts = [
        s for s in histogram.samples if s.name.endswith("_count") and s.labels["operation"] == "deposerSignalisation"
    ]
    assert [s.value for s in counts] == [2]


def test_metrics_are_not_served_to_an_operator_certificate(metered):
    """With OPE001's certificate, the operators' mutual-TLS port has no /metrics (404); the metrics
    listener is bound to the loopback interface only."""
    response = metered.session("OPE001").get(f"https://localhost:{metered.port}/metrics", timeout=10)
    assert response.status_code == 404
    assert b"esav_requests_total" not in response.content
    assert metered.running.operations.metrics_port.getHost().host == "127.0.0.1"


def test_a_call_counts_in_the_utc_minute_it_falls_in() -> None:
    """The minute a count is kept under: UTC, to the minute, whatever the instant's offset."""
    assert minute_of(datetime(2026, 11, 18, 10, 0, 59, 999_999, tzinfo=PARIS)) == "2026-11-18T09:00Z"
    assert minute_of(datetime(2026, 7, 1, 0, 5, tzinfo=PARIS)) == "2026-06-30T22:05Z"
    assert minute_of(datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC)) == "2026-12-31T23:59Z"
