"""The store's PostgreSQL primary dies under load and its synchronous standby is promoted: nothing
acknowledged is lost, the nodes reconnect by themselves, clients meet typed faults or refused
connections during the switch and never a hang past their timeout.

Two ``esav servir`` nodes behind HAProxy reach the database through a multi-host URL with
``target_session_attrs=read-write``; the primary commits only once the standby has the commit
(``synchronous_standby_names = '*'``). The test prints the figures of the switch.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
import zeep
from cluster_support import Node, soap_client, start_balancer, start_together, stop_together
from support import deposit, esav_demo, eventually

from gateway.adapters.postgres_server import PostgresServer

pytestmark = pytest.mark.slow

#: Seconds a client waits for an answer: past it, the call counts as a hang.
CLIENT_TIMEOUT_S = 20.0
#: Seconds between the primary's death and the standby's promotion: what a failover manager (Patroni)
#: takes to decide; the nodes have no writable database meanwhile.
PROMOTION_DELAY_S = 3.0


@contextmanager
def replicated(root: Path) -> Iterator[tuple[PostgresServer, PostgresServer, list[Node], Any, Path]]:
    """A primary, its synchronous standby, two nodes on the multi-host URL and HAProxy in front.

    The demo is built on the primary while the standby is copied from it (the copy streams what the demo
    writes meanwhile); the nodes start once every commit waits for the standby."""
    primary = PostgresServer(settings={"fsync": "off", "full_page_writes": "off"}).init().start()
    standby = None
    nodes: list[Node] = []
    balancer = None
    try:
        demo_url = primary.create_database("esav")
        demo = root / "demo"
        with ThreadPoolExecutor(max_workers=1) as pool:
            building = pool.submit(esav_demo, demo, demo_url)
            try:
                standby = PostgresServer.standby_of(primary).start()
                primary.wait_for_standby()
            finally:
                building.result()
        url = (
            f"postgresql://esav@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/esav"
            "?target_session_attrs=read-write&connect_timeout=2"
        )
        nodes = [Node("node1", demo, root, url), Node("node2", demo, root, url)]
        start_together(nodes)
        balancer = start_balancer(nodes, root)
        yield primary, standby, nodes, balancer, demo / "pki"
    finally:
        if balancer is not None:
            balancer.__exit__()
        stop_together(nodes)
        if standby is not None:
            standby.__exit__()
        primary.__exit__()


def _deposit(client: zeep.Client, reference: str) -> str:
    return str(deposit(client, referenceOperateur=reference).referenceSignalisation)


def test_killing_the_primary_and_promoting_the_standby_loses_nothing_acknowledged(tmp_path):
    """SIGKILL of the primary while 4 clients deposit through HAProxy, then promotion of the standby: every
    reference a client received is in the promoted database, every failure is a typed fault or a refused
    connection, none a hang, and deposits resume without touching the nodes."""
    with replicated(tmp_path) as (primary, standby, _, balancer, pki):
        _kill_the_primary_and_promote_the_standby(primary, standby, balancer, pki)


def _kill_the_primary_and_promote_the_standby(
    primary: PostgresServer, standby: PostgresServer, balancer: Any, pki: Path
) -> None:
    acknowledged: list[tuple[float, str]] = []
    faults: list[str] = []
    refused: list[str] = []
    hangs: list[str] = []
    stop = threading.Event()
    clients = [soap_client(balancer.ws_port, pki, timeout=CLIENT_TIMEOUT_S) for _ in range(4)]

    def depositor(index: int) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            try:
                reference = _deposit(clients[index], f"F{index}-{number}")
                acknowledged.append((time.monotonic(), reference))
            except zeep.exceptions.Fault as fault:
                faults.append(str(fault.detail.xpath("string(.//*[local-name()='code'])")))
            except requests.exceptions.Timeout:
                hangs.append(f"F{index}-{number}")
            except (requests.RequestException, zeep.exceptions.TransportError, OSError):
                refused.append(f"F{index}-{number}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        for index in range(4):
            pool.submit(depositor, index)
        try:  # the depositors stop whatever happens: a failed wait must not leave the pool waiting for them
            assert eventually(lambda: len(acknowledged) >= 20, timeout=60), (faults, refused, hangs)
            killed_at = time.monotonic()
            primary.kill()
            time.sleep(PROMOTION_DELAY_S)
            standby.promote()
            promoted_at = time.monotonic()
            before = len([t for t, _ in acknowledged if t <= promoted_at])
            resumed = eventually(lambda: len(acknowledged) >= before + 40, timeout=120)
        finally:
            stop.set()
    assert resumed, f"deposits did not resume: faults {faults}, refused {len(refused)}, hangs {hangs}"
    instants = sorted(t for t, _ in acknowledged)
    # No service: the longest wait between two acknowledgements from the last one before the kill on.
    since_kill = [max((t for t in instants if t <= killed_at), default=killed_at)]
    since_kill += [t for t in instants if t > killed_at]
    outage = max(later - earlier for earlier, later in itertools.pairwise(since_kill))
    references = [reference for _, reference in acknowledged]
    with psycopg.connect(f"postgresql://esav@127.0.0.1:{standby.port}/esav") as db:
        rows = db.execute("SELECT reference FROM tickets WHERE reference = ANY(%s)", [references]).fetchall()
    stored = {row[0] for row in rows}
    print(
        f"\nfailover: {len(references)} deposits acknowledged, {len(stored)} of them in the promoted database; "
        f"standby promoted {promoted_at - killed_at:.2f} s after the kill; clients saw no service for "
        f"{outage:.2f} s; during the switch {len(faults)} typed faults "
        f"({', '.join(sorted(set(faults))) or '-'}), {len(refused)} refused connections, {len(hangs)} hangs"
    )
    with pytest.raises(psycopg.OperationalError):  # the old primary is gone for good
        psycopg.connect(f"postgresql://esav@127.0.0.1:{primary.port}/esav", connect_timeout=2)
    assert stored == set(references), f"acknowledged but not stored: {sorted(set(references) - stored)}"
    assert set(faults) <= {"ERREUR_INTERNE"}, faults
    assert hangs == [], f"no answer within {CLIENT_TIMEOUT_S} s: {hangs}"
