"""A rehearsal's clock (``clock_offset_s``): the gateway, its commands and the certificates it issues live
at the shifted time, while TLS peers keep checking certificates on the real one."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, time, timedelta

import pytest
import zeep
from support import ESAV, REPO, clean_env, client_for, deposit, fault_code, running, wait_until_serving

from gateway.adapters.ports import free_port
from gateway.config import load_settings
from gateway.domain.clock import PARIS, ShiftedClock, SystemClock, to_paris
from gateway.security import pki


def test_a_shifted_clock_runs_at_the_real_pace_from_its_shift() -> None:
    shift = timedelta(hours=-8)
    before = datetime.now(UTC)
    read = ShiftedClock(shift).now()
    after = datetime.now(UTC)
    assert before + shift <= read <= after + shift


def test_the_settings_clock_is_the_systems_unless_shifted() -> None:
    assert isinstance(load_settings(environ={}).clock(), SystemClock)
    clock = load_settings(environ={"ESAV_CLOCK_OFFSET_S": "-28800"}).clock()
    assert isinstance(clock, ShiftedClock) and clock.shift == timedelta(hours=-8)


def test_a_certificate_issued_on_a_clock_ahead_is_valid_from_the_real_time() -> None:
    """Issued two days ahead, a certificate is already valid for a peer on the real time; issued two days
    back, from then."""
    ca = pki.create_ca()
    real = datetime.now(UTC)
    ahead = pki.issue_client_certificate(ca, "OPE001", "Alpha", now=real + timedelta(days=2))
    assert ahead.info.not_before <= real - pki.CLOCK_SKEW + timedelta(seconds=5)
    assert ahead.info.not_after >= real + timedelta(days=2 + 729)
    behind = pki.issue_client_certificate(ca, "OPE001", "Alpha", now=real - timedelta(days=2))
    assert behind.info.not_before <= real - timedelta(days=2) - pki.CLOCK_SKEW + timedelta(seconds=1)


def _next_paris(at: time) -> datetime:
    """The next instant, from the real time, at which Paris clocks read ``at`` (tomorrow's at the latest)."""
    today = to_paris(datetime.now(UTC)).date()
    candidate = datetime.combine(today, at, tzinfo=PARIS)
    return candidate if candidate > datetime.now(UTC) else datetime.combine(today + timedelta(days=1), at, tzinfo=PARIS)


@pytest.mark.e2e  # runs esav servir in a subprocess
def test_a_gateway_shifted_into_its_nightly_window_rehearses_maintenance(tmp_path) -> None:
    """``esav demo`` then ``esav servir`` shifted ahead to 04:05 Paris: the server says so at start, answers
    MAINTENANCE through zeep with the window's end, and the demo's certificates (dated on the shifted clock)
    pass the real-time TLS."""
    rehearsed = _next_paris(time(4, 5))
    offset = (rehearsed - datetime.now(UTC)).total_seconds()
    data, port, log = tmp_path / "data", free_port(), tmp_path / "serve.log"
    env = {**clean_env(), "ESAV_CLOCK_OFFSET_S": str(offset)}
    esav = list(ESAV)
    built = subprocess.run([*esav, "demo", "--donnees", str(data)], cwd=REPO, env=env, capture_output=True, timeout=120)
    assert built.returncode == 0, built.stderr
    with running([*esav, "servir", "--donnees", str(data), "--port", str(port)], log, env=env, stdout=False) as process:
        wait_until_serving(process, port, data / "pki", log)
        with pytest.raises(zeep.exceptions.Fault) as caught:
            deposit(client_for(port, data / "pki"))
    assert fault_code(caught.value) == "MAINTENANCE"
    assert f"reprise le {rehearsed:%d/%m/%Y} à 04:15" in caught.value.message
    started = log.read_text(encoding="utf-8")
    assert "horloge décalée" in started and f"vit le {rehearsed:%d/%m/%Y} 04:0" in started
