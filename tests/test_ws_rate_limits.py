"""Rate limits per operator and minute (contract §8): off by default, set and lifted at run time, shared
by every gateway process on one database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import zeep
from lxml import etree
from support import CATALOGUE, PARIS, LiveGateway, in_reactor, reactor, start_gateway

from gateway.config import Settings
from gateway.domain.clock import FixedClock
from gateway.server import PkiFiles, start
from gateway.services import Gateway

REF = "SIG00000001"


def _state_query(live: LiveGateway, operator: str = "OPE001") -> str:
    """One cheap call: "OK" (a business fault counts as answered) or LIMITE_REQUETES."""
    try:
        live.client(operator).service.consulterEtatSignalisation(REF)
    except zeep.exceptions.Fault as fault:
        code = fault.detail.xpath("string(.//*[local-name()='code'])")
        return "LIMITE_REQUETES" if code == "LIMITE_REQUETES" else "OK"
    return "OK"


def test_no_limit_by_default(live):
    """Without a limit, 30 requests in one minute all pass."""
    assert {_state_query(live) for _ in range(30)} == {"OK"}


def test_exactly_n_pass_then_refused_with_seconds_to_next_minute_then_reset(live_any):
    """With 5/min: 5 pass, the 6th is LIMITE_REQUETES with reessayerDans to the next minute and
    Retry-After; other operators are unaffected; the next minute lets 5 through again."""
    live_any.clock.set(datetime(2026, 11, 18, 10, 0, 20, tzinfo=PARIS))
    live_any.gateway.rate_limits.set_limit(
        "OPE001", 5, actor="t", announcement="5 requêtes par minute dès maintenant", emergency_reason="surcharge"
    )
    assert [_state_query(live_any) for _ in range(5)] == ["OK"] * 5
    client = live_any.client()
    with pytest.raises(zeep.exceptions.Fault) as caught:
        client.service.consulterEtatSignalisation(REF)
    assert caught.value.detail.xpath("string(.//*[local-name()='code'])") == "LIMITE_REQUETES"
    assert caught.value.detail.xpath("string(.//*[local-name()='reessayerDans'])") == "40"
    session = live_any.session()
    envelope = client.create_message(client.service, "consulterEtatSignalisation", referenceSignalisation=REF)
    response = session.post(live_any.url(), data=etree.tostring(envelope), headers={"Content-Type": "text/xml"})
    assert response.headers["Retry-After"] == "40"
    assert _state_query(live_any, "OPE002") == "OK"
    live_any.clock.set(datetime(2026, 11, 18, 10, 1, 0, tzinfo=PARIS))
    assert [_state_query(live_any) for _ in range(6)] == ["OK"] * 5 + ["LIMITE_REQUETES"]


def test_announced_limit_applies_from_its_date_and_lift_is_immediate(live):
    """A limit announced for tomorrow 10:30 does not apply before, does at 10:30; lifting it frees at once."""
    at = datetime(2026, 11, 19, 10, 30, tzinfo=PARIS)
    live.gateway.rate_limits.set_limit("OPE001", 1, actor="t", announcement="1/min demain à 10:30", effective_from=at)
    assert [_state_query(live) for _ in range(3)] == ["OK"] * 3
    live.clock.set(at)
    assert [_state_query(live) for _ in range(2)] == ["OK", "LIMITE_REQUETES"]
    assert live.gateway.rate_limits.lift("OPE001", actor="t") == 1
    assert _state_query(live) == "OK"
    actions = [(a.action, a.target) for a in live.gateway.store.audit() if a.action.startswith("quota.")]
    assert actions == [("quota.set", "OPE001"), ("quota.lift", "OPE001")]


@pytest.mark.sqlite_file
def test_two_servers_on_one_database_share_the_limit(tmp_path, session_pki):
    """Two gateways serving from one database (as two processes do): 4 requests per minute in all,
    wherever they land; the next minute frees both."""
    # Both in this test's one reactor thread: without group commit, so that neither holds the
    # database's writer lock across reactor iterations while the other wants it.
    relaxed = {"group_commit": False, "volumetry_flush_s": 3600.0}
    first = start_gateway(tmp_path / "data", session_pki, settings_overrides=relaxed)
    clock = FixedClock(first.clock.now())
    settings = Settings(data_dir=first.data_dir, port=0, catalogue_dir=CATALOGUE, sweep_interval_s=3600, **relaxed)
    second_gateway = Gateway.open(settings.database, catalogue_dir=CATALOGUE, clock=clock)
    running = in_reactor(
        start, second_gateway, settings, PkiFiles.in_dir(first.data_dir / "pki"), reactor, leader=False
    )
    second = LiveGateway(running, clock, first.data_dir, first.pki)
    try:
        first.gateway.rate_limits.set_limit("OPE001", 4, actor="t", announcement="4/min", emergency_reason="essai")
        results = [_state_query(server) for server in (first, second, first, second, first, second)]
        assert results == ["OK"] * 4 + ["LIMITE_REQUETES"] * 2
        clock.advance(timedelta(minutes=1))
        first.clock.advance(timedelta(minutes=1))
        assert [_state_query(second), _state_query(first)] == ["OK", "OK"]
    finally:
        second.stop()
        first.stop()
