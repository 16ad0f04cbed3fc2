"""The operations port (loopback, plain HTTP): on by default, ``/health/live``, ``/health/ready`` and
``/metrics`` written by prometheus_client; a port in use is a clear error."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing

import pytest
import requests
import zeep
from prometheus_client.parser import text_string_to_metric_families
from support import REPO, LiveGateway, clean_env, esav_demo_copy, in_reactor, start_gateway

from gateway.config import Settings, load_settings


@pytest.fixture
def metered(tmp_path, session_pki) -> Iterator[LiveGateway]:
    """A live gateway with its operations port on an OS-chosen loopback port."""
    server = start_gateway(tmp_path / "data", session_pki, settings_overrides={"metrics_port": 0})
    try:
        yield server
    finally:
        server.stop()


def _get(live: LiveGateway, path: str) -> requests.Response:
    port = live.running.operations.metrics_port_number
    return requests.get(f"http://127.0.0.1:{port}{path}", timeout=10)


def test_operations_port_is_on_by_default_on_9464_and_can_be_turned_off() -> None:
    """Without settings the operations port is 9464; ``ESAV_METRICS_PORT=0`` lets the OS choose, empty
    turns it off."""
    assert Settings().metrics_port == 9464
    assert load_settings(environ={}).metrics_port == 9464
    assert load_settings(environ={"ESAV_METRICS_PORT": "0"}).metrics_port == 0
    assert load_settings(environ={"ESAV_METRICS_PORT": ""}).metrics_port is None


def test_live_and_ready_answer_with_their_checks(metered: LiveGateway) -> None:
    """``/health/live`` answers 200; ``/health/ready`` answers 200 naming the store, the catalogue and the
    migrations as ok."""
    live = _get(metered, "/health/live")
    assert live.status_code == 200 and live.json() == {"status": "live"}
    ready = _get(metered, "/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"store": "ok", "migrations": "ok", "catalogue": "ok"}}
    assert ready.headers["Content-Type"].startswith("application/json")


@pytest.mark.sqlite_file
def test_ready_is_503_naming_a_migration_not_applied(metered: LiveGateway) -> None:
    """A database missing one of this version's migrations makes ``/health/ready`` answer 503 naming it,
    while ``/health/live`` still answers 200."""
    with closing(sqlite3.connect(metered.data_dir / "esav.db")) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE id = (SELECT max(id) FROM schema_migrations)")
        conn.commit()
        (last,) = conn.execute("SELECT max(id) + 1 FROM schema_migrations").fetchone()
    ready = _get(metered, "/health/ready")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert ready.json()["checks"]["migrations"] == f"migrations non appliquées : [{last}]"
    assert _get(metered, "/health/live").status_code == 200


def test_metrics_carry_process_build_faults_refusals_and_backlogs(metered: LiveGateway) -> None:
    """``/metrics`` parses as Prometheus and has the process and build families, faults by code, rate-limit
    refusals, the mail outbox and the notification backlog, besides the call families."""
    with pytest.raises(zeep.exceptions.Fault):
        metered.client().service.consulterEtatSignalisation("SIG99999999")
    in_reactor(metered.running.operations.flush)
    response = _get(metered, "/metrics")
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert {
        "process_cpu_seconds", "process_resident_memory_bytes", "python_info", "esav_build_info", "esav_requests",
        "esav_request_duration_seconds", "esav_faults", "esav_rate_limit_refusals", "esav_rate_limit_per_minute",
        "esav_maintenance", "esav_certificates_expiring", "esav_mail_outbox_messages", "esav_notifications_pending",
    } <= set(families)  # fmt: skip
    faults = {(s.labels["code"], s.labels["service"]): s.value for s in families["esav_faults"].samples}
    assert faults[("SIGNALISATION_INCONNUE", "signalisation")] == 1
    (build,) = families["esav_build_info"].samples
    assert build.labels["version"] and build.labels["python"].startswith("3.11")


@pytest.mark.e2e  # runs esav serve in a subprocess
def test_operations_port_in_use_is_a_clear_error(tmp_path) -> None:
    """With the operations port taken, ``esav servir`` exits 1 naming ``metrics_port``, the port and how to
    choose another, without a traceback."""
    esav_demo_copy(tmp_path / "d")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gateway", "servir", "--donnees", str(tmp_path / "d"), "--port", "0"],
            cwd=REPO, env={**clean_env(), "ESAV_METRICS_PORT": str(busy)}, capture_output=True, text=True,
            timeout=120,
        )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"metrics_port : impossible d'écouter sur 127.0.0.1:{busy}" in result.stderr
    assert "ESAV_METRICS_PORT" in result.stderr and "Traceback" not in result.stderr
