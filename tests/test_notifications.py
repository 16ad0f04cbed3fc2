"""Pushing events to operators' endpoints (contract §12): the reference receiver over mutual
TLS on loopback gets every event as pulled, in order; outages, 24-hour give-up, replay, a hanging
endpoint, and a gateway killed with SIGKILL mid-delivery."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from notification_support import every_kind_of_change, pull_all, pulled_xml, shape, wait_until
from support import (
    DEFAULT_NOW,
    ESAV,
    REPO,
    LiveGateway,
    clean_env,
    deposit,
    example_form,
    in_reactor,
    reactor,
    running,
    start_gateway,
)

from gateway.adapters.ports import free_port
from gateway.cli import main
from gateway.demo import build_demo
from gateway.domain.clock import FixedClock
from gateway.server import EventLog, start_receiver
from gateway.services import Caller, DepositRequest, Gateway

FAST = {"notification_poll_s": 0.05, "notification_timeout_s": 20.0}


@pytest.fixture
def pushing(tmp_path, session_pki) -> Iterator[LiveGateway]:
    """A live gateway that looks for deliveries every 50 ms."""
    server = start_gateway(tmp_path / "data", session_pki, settings_overrides=FAST)
    try:
        yield server
    finally:
        server.stop()


class Receiver:
    """The reference receiver on a loopback port, started and stopped in the reactor thread."""

    def __init__(self, pki_dir: Path, port: int = 0) -> None:
        self.log = EventLog()
        self._pki_dir = pki_dir
        self.port = port
        self._listening = None

    def start(self) -> Receiver:
        d = self._pki_dir
        self._listening = in_reactor(
            lambda: start_receiver(
                reactor, port=self.port, cert=d / "server.pem", key=d / "server.key", ca=d / "ca.pem", on_event=self.log
            )
        )
        self.port = self._listening.getHost().port
        return self

    def stop(self) -> None:
        if self._listening is not None:
            in_reactor(self._listening.stopListening)
            self._listening = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}/notification"

    def ids(self) -> list[int]:
        return [e["idEvenement"] for e in self.log.received]


@pytest.fixture
def receiver(pushing) -> Iterator[Receiver]:
    started = Receiver(pushing.pki.directory).start()
    try:
        yield started
    finally:
        started.stop()


def _all_delivered(live: LiveGateway, operator: str = "OPE001") -> bool:
    deliveries = live.gateway.store.deliveries_of(operator)
    return bool(deliveries) and all(d.status == "LIVRE" for d in deliveries)


def _same_as_pulled(live: LiveGateway, received: Receiver, operator: str = "OPE001") -> None:
    """Every received event is, field for field, the one pulled with the same idEvenement."""
    pulled = pulled_xml(live.client(operator))
    for event in received.log.received:
        assert shape(etree.fromstring(event["xml"])) == shape(pulled[event["idEvenement"]])
    assert set(received.ids()) == set(pulled)


def test_receiver_gets_every_event_as_pulled_in_order(pushing, receiver):
    """Every kind of event reaches the TLS receiver once, identical to consulterEvenements, in idEvenement order."""
    pushing.gateway.notifications.register("OPE001", "signalisation", receiver.url, author="test")
    every_kind_of_change(pushing)
    other = deposit(pushing.client(), "FTTH_ACCES").referenceSignalisation
    pushing.gateway.sav.comment(other, author="sav/x", text="Second ticket")
    wait_until(lambda: _all_delivered(pushing), "every delivery LIVRE")
    _same_as_pulled(pushing, receiver)
    assert receiver.ids() == sorted(receiver.ids()) and len(set(receiver.ids())) == len(receiver.ids())
    assert len(receiver.ids()) == len(pull_all(pushing.client())) == 12


def test_receiver_down_then_up_gets_everything_duplicates_only_by_id(pushing, session_pki):
    """Refused connections are retried with growing delays (gateway clock); once up, every event arrives."""
    down = Receiver(pushing.pki.directory, port=free_port())
    pushing.gateway.notifications.register("OPE001", "signalisation", down.url, author="test")
    reference = deposit(pushing.client()).referenceSignalisation
    store = pushing.gateway.store

    def head():
        return store.deliveries_of("OPE001")[0]

    waits = []
    for attempt in (1, 2, 3):
        wait_until(lambda attempt=attempt: head().attempts == attempt, f"failed attempt {attempt}")
        waits.append(head().next_attempt_at - pushing.clock.now())
        pushing.clock.advance(waits[-1])
    assert waits == [timedelta(seconds=10), timedelta(seconds=30), timedelta(seconds=60)]
    assert head().status == "EN_ATTENTE" and "Error" in (head().last_error or "")
    for text in ("un", "deux", "trois"):
        pushing.gateway.sav.comment(reference, author="sav/x", text=text)
    down.start()
    try:
        pushing.clock.advance(timedelta(minutes=5))
        wait_until(lambda: _all_delivered(pushing), "every delivery LIVRE after the receiver came back")
        _same_as_pulled(pushing, down)
        assert down.ids() == sorted(down.ids())
    finally:
        down.stop()


def test_after_24_hours_events_are_left_to_pull_then_replayed(pushing, session_pki):
    """Still failing 24 h after queuing: ABANDONNE (pull still has them); replay sends them once the receiver is up."""
    dead = Receiver(pushing.pki.directory, port=free_port())
    pushing.gateway.notifications.register("OPE001", "signalisation", dead.url, author="test")
    for _ in range(2):
        deposit(pushing.client())
    store = pushing.gateway.store
    wait_until(lambda: store.deliveries_of("OPE001")[0].attempts >= 1, "a first failed attempt")
    pushing.clock.advance(timedelta(hours=24))
    wait_until(lambda: all(d.status == "ABANDONNE" for d in store.deliveries_of("OPE001")), "both deliveries ABANDONNE")
    assert len(pull_all(pushing.client())) == 2
    [row] = pushing.gateway.notifications.backlog()
    assert (row.pending, row.abandoned, row.delivered) == (0, 2, 0) and row.last_error
    dead.start()
    try:
        first = pull_all(pushing.client())[0].idEvenement
        assert pushing.gateway.notifications.replay("OPE001", first - 1) == 2
        wait_until(lambda: _all_delivered(pushing), "replayed deliveries LIVRE")
        _same_as_pulled(pushing, dead)
    finally:
        dead.stop()


def test_a_hanging_endpoint_does_not_delay_another_operator(pushing, receiver):
    """OPE002's endpoint accepts TCP and never answers; OPE001's events are delivered meanwhile."""
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(hanging.accept()[0]), daemon=True).start()
    notifications = pushing.gateway.notifications
    notifications.register("OPE002", "signalisation", f"https://localhost:{hanging.getsockname()[1]}/", author="t")
    notifications.register("OPE001", "signalisation", receiver.url, author="test")
    pushing.gateway.sav.comment(_deposit_ope002(pushing), author="sav/x", text="pour OPE002")
    wait_until(lambda: bool(accepted), "OPE002's push connected to the hanging endpoint")
    mine = deposit(pushing.client()).referenceSignalisation
    pushing.gateway.sav.comment(mine, author="sav/x", text="pour OPE001")
    try:
        wait_until(lambda: _all_delivered(pushing), "OPE001's deliveries LIVRE")
        assert [d.attempts for d in pushing.gateway.store.deliveries_of("OPE002")] == [0, 0]  # still in flight
    finally:
        for connection in accepted:
            connection.close()
        hanging.close()
    wait_until(lambda: pushing.gateway.store.deliveries_of("OPE002")[0].attempts == 1, "OPE002's attempt failed")


def _deposit_ope002(live: LiveGateway) -> str:
    return (
        live.client("OPE002")
        .service.deposerSignalisation(
            identifiantPrestation="0140000002",
            codeOffre="CUIVRE_DEGROUPAGE",
            gravite="MINEURE",
            formulaire={"code": "SIG_CUIVRE", "version": "1.0", "_value_1": example_form("SIG_CUIVRE")},
        )
        .referenceSignalisation
    )


def test_provider_cli_registers_shows_the_backlog_replays_and_removes(tmp_path, session_pki, capsys):
    """register refuses http://, unknown operators and domains; backlog counts; replay requeues; remove forgets."""
    data = tmp_path / "data"
    shutil.copytree(session_pki.directory, data / "pki")
    assert main(["demo", "--donnees", str(data)]) == 0
    base = ["notifications", "enregistrer", "--donnees", str(data)]
    assert main([*base, "OPE001", "--url", "http://op.example/notif"]) == 1
    assert main([*base, "OPE999", "--url", "https://op.example/notif"]) == 1
    assert main([*base, "OPE001", "--domaine", "facturation", "--url", "https://op.example/notif"]) == 1
    assert main([*base, "OPE001", "--url", "https://op.example/notif"]) == 0
    gateway = Gateway.open(data / "esav.db", catalogue_dir=REPO / "catalogue")
    try:
        _direct_deposit(gateway)
        _direct_deposit(gateway)
    finally:
        gateway.close()
    capsys.readouterr()
    assert main(["notifications", "file", "--donnees", str(data), "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["operator_code"], row["pending"], row["delivered"]) == ("OPE001", 2, 0)
    assert main(["notifications", "rejouer", "--donnees", str(data), "OPE001", "--depuis", "1"]) == 0
    assert "1 événement(s) remis en file après 1" in capsys.readouterr().out
    assert main(["notifications", "supprimer", "--donnees", str(data), "OPE001"]) == 0
    assert main(["notifications", "supprimer", "--donnees", str(data), "OPE001"]) == 1
    assert main(["notifications", "rejouer", "--donnees", str(data), "OPE001", "--depuis", "0"]) == 1


# The gateway killed with SIGKILL mid-delivery ----------------------------------------------------


class SlowLog(EventLog):
    """Takes 30 ms per event, so that a kill falls in the middle of the deliveries."""

    def __call__(self, element):  # type: ignore[no-untyped-def]
        time.sleep(0.03)
        super().__call__(element)


def _serve(data: Path, log: Path) -> AbstractContextManager[subprocess.Popen[bytes]]:
    env = {**clean_env(), "ESAV_NOTIFICATION_POLL_S": "0.05", "PYTHONPATH": str(REPO)}
    env.pop("ESAV_CONFIG", None)
    return running([*ESAV, "servir", "--donnees", str(data), "--port", "0"], log, env=env, stdout=False)


def test_sigkill_in_the_middle_of_deliveries_loses_nothing(tmp_path, session_pki):
    """`python -m gateway serve` killed with SIGKILL mid-delivery, then restarted: every event arrives."""
    data = tmp_path / "data"
    shutil.copytree(session_pki.directory, data / "pki")
    slow = Receiver(data / "pki")
    slow.log = SlowLog()
    slow.start()
    # at the suite's time, which the server processes live at too
    gateway = Gateway.open(data / "esav.db", catalogue_dir=REPO / "catalogue", clock=FixedClock(DEFAULT_NOW))
    try:
        build_demo(gateway, data / "pki")
        gateway.notifications.register("OPE001", "signalisation", slow.url, author="test")
        tickets = [_direct_deposit(gateway) for _ in range(3)]
        for i in range(20):
            gateway.sav.comment(tickets[i % 3], author="sav/x", text=f"commentaire {i}")
        total = len(gateway.store.events_after("OPE001", 0, limit=1000))
        with _serve(data, tmp_path / "serve.log") as first:
            wait_until(lambda: len(slow.log.received) >= 4, "some deliveries before the kill")
            first.kill()
            first.wait(30)
        assert len(set(slow.ids())) < total, "the kill came too late to be in the middle"
        with _serve(data, tmp_path / "serve.log"):
            wait_until(lambda: len(set(slow.ids())) == total, "every event after the restart")
        received = slow.log.received
        assert sorted(set(slow.ids())) == [e.id for e in gateway.store.events_after("OPE001", 0, limit=1000)]
        by_id: dict[int, str] = {}
        for event in received:  # a duplicate is the same event again, never another one under its id
            assert by_id.setdefault(event["idEvenement"], event["xml"]) == event["xml"]
        assert all(d.status == "LIVRE" for d in gateway.store.deliveries_of("OPE001"))
    finally:
        gateway.close()
        slow.stop()


def _direct_deposit(gateway: Gateway) -> str:
    caller = Caller(operator_code="OPE001", operator_name="Opérateur Alpha", domains=frozenset({"signalisation"}))
    request = DepositRequest(
        "0140000001", "CUIVRE_DEGROUPAGE", "MAJEURE", "SIG_CUIVRE", "1.0", example_form("SIG_CUIVRE")
    )
    receipt = gateway.tickets.deposit(caller, request)
    return receipt.reference
