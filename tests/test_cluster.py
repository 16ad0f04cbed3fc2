"""Several gateway nodes behind HAProxy on one PostgreSQL database: no state of a node's own matters.

Two ``esav servir`` processes (each its own folder and ports) serve one database, behind HAProxy in TCP
mode with the PROXY protocol (``deploy/haproxy.cfg``). A user bounced between nodes stays signed in; a
revocation is refused on the very next request on every node; a quota of N per minute admits N across
the nodes; a catalogue publication is served by every node within ``catalogue_poll_s``; one node runs
the background work, and another takes it over when that one is killed.
"""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
import pytest
import requests
import zeep
from cluster_support import (
    Node,
    every_node,
    only,
    session_to,
    soap_client,
    start_balancer,
    start_together,
    stop_together,
)
from support import CATALOGUE, deposit, esav_demo_copy, eventually, suite_now
from test_notifications import Receiver
from web_support import ADMIN, Browser

from gateway.cli import main
from gateway.domain.clock import FixedClock
from gateway.security.pki import fingerprint
from gateway.services import Gateway, publish_catalogue_in

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two nodes and HAProxy in front of them, on a demo database built once for the module."""
    root = tmp_path_factory.mktemp("cluster")
    demo = root / "demo"
    url = esav_demo_copy(demo, "postgresql")  # the demo as `esav demo --base URL` builds it
    nodes = [Node("node1", demo, root, url), Node("node2", demo, root, url)]
    balancer = None
    try:
        start_together(nodes)
        balancer = start_balancer(nodes, root)
        yield nodes, balancer, url, demo / "pki"
    finally:
        if balancer is not None:
            balancer.__exit__()
        stop_together(nodes)


def _deposit(client: zeep.Client, reference: str) -> str:
    return str(deposit(client, referenceOperateur=reference).referenceSignalisation)


def _state_query(client: zeep.Client) -> str:
    """One cheap call on a kept-alive connection: "OK" (a business fault counts as answered) or the fault code."""
    try:
        client.service.consulterEtatSignalisation("SIG00000001")
    except zeep.exceptions.Fault as fault:
        code = str(fault.detail.xpath("string(.//*[local-name()='code'])"))
        return code if code in ("LIMITE_REQUETES", "AUTHENTIFICATION", "MAINTENANCE") else "OK"
    return "OK"


def _pinned(balancer, nodes, pki, operator: str, service: str = "signalisation") -> list[zeep.Client]:
    """One client per node, its connection kept alive, each opened (WSDL fetched) while HAProxy sent new
    connections to that node only."""
    clients = []
    try:
        for node in nodes:
            only(balancer, node, nodes)
            transport = zeep.Transport(session=session_to(balancer.ws_port, pki, operator), timeout=10)
            wsdl = f"https://localhost:{balancer.ws_port}/esav/v2/{service}?wsdl"
            clients.append(zeep.Client(wsdl, transport=transport))
    finally:
        every_node(balancer, nodes)
    return clients


def test_deposits_through_the_balancer_reach_both_nodes(cluster):
    """Deposits through HAProxy are answered by both nodes (fresh connections alternate), all stored once."""
    nodes, balancer, url, pki = cluster
    references = [_deposit(soap_client(balancer.ws_port, pki), f"LB-{i}") for i in range(6)]
    assert len(set(references)) == 6
    with psycopg.connect(url) as db:
        stored = db.execute("SELECT count(*) FROM tickets WHERE reference = ANY(%s)", [references]).fetchone()
    assert stored == (6,)
    served = [node.log.read_text().count("deposerSignalisation") for node in nodes]
    assert all(count > 0 for count in served), served


def test_one_node_runs_the_background_work(cluster):
    """Exactly one of the nodes holds the leadership."""
    nodes, _, _, _ = cluster
    assert [node.leading() for node in nodes].count(True) == 1


def test_a_user_bounced_between_nodes_stays_signed_in(cluster):
    """Signed in on node1's portal, the same cookie on node2's portal shows the signed-in home page."""
    nodes, balancer, _, pki = cluster
    try:
        only(balancer, nodes[0], nodes, "esav_portal")
        browser = Browser(f"https://localhost:{balancer.web_port}", str(pki / "ca.pem"))
        browser.http.headers["Connection"] = "close"  # each request a new connection, balanced afresh
        browser.login(ADMIN)
        only(balancer, nodes[1], nodes, "esav_portal")
        page = browser.get("/", allow_redirects=False)
    finally:
        every_node(balancer, nodes, "esav_portal")
    assert page.status_code == 200, page.headers
    assert "Se déconnecter" in page.text or "déconnexion" in page.text.lower()


def test_a_revocation_is_refused_on_the_next_request_on_every_node(cluster):
    """OPE003's certificate revoked by ``esav`` on the database: the next call on a connection kept open to
    each node is refused."""
    nodes, balancer, url, pki = cluster
    clients = _pinned(balancer, nodes, pki, "OPE003")
    assert [_state_query(c) for c in clients] == ["OK", "OK"]
    print_ = fingerprint((pki / "OPE003.pem").read_bytes())
    assert main(["certificats", "revoquer", print_, "--base", url, "--donnees", str(nodes[0].data)]) == 0
    assert [_state_query(c) for c in clients] == ["AUTHENTIFICATION", "AUTHENTIFICATION"]


def test_a_quota_of_n_per_minute_admits_n_across_the_nodes(cluster):
    """5 per minute for OPE002, calls alternating between the nodes: exactly 5 pass, then LIMITE_REQUETES."""
    from gateway.services._exploitation import _REFRESH_S

    nodes, balancer, url, pki = cluster
    clients = _pinned(balancer, nodes, pki, "OPE002")
    argv = ["quota", "fixer", "OPE002", "--par-minute", "5", "--annonce", "5/min", "--urgence", "--motif", "essai"]
    assert main([*argv, "--base", url, "--donnees", str(nodes[0].data)]) == 0
    time.sleep(_REFRESH_S * 1.5)  # the stated bound for a limit to reach every node (a wait, not a check)
    for _ in range(2):  # the 10 calls must fall in one minute: if they straddled two, again in a fresh one
        minute = suite_now().replace(second=0, microsecond=0)
        results = [_state_query(clients[i % 2]) for i in range(10)]
        if suite_now().replace(second=0, microsecond=0) == minute:
            break
        time.sleep(61 - suite_now().second)
    assert results == ["OK"] * 5 + ["LIMITE_REQUETES"] * 5


def test_a_catalogue_publication_reaches_every_node(cluster, tmp_path):
    """A catalogue published on the database is served by each node within its catalogue_poll_s."""
    nodes, balancer, url, pki = cluster
    changed = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, changed)
    xsd = changed / "forms" / "SIG_CUIVRE" / "1.0.xsd"
    xsd.write_text(xsd.read_text(encoding="utf-8") + "<!-- publication de la grappe -->\n", encoding="utf-8")
    publish_catalogue_in(url, changed, author="grappe", clock=FixedClock(suite_now()))
    clients = _pinned(balancer, nodes, pki, "OPE001", "catalogue")

    def served(client: zeep.Client) -> bool:
        return "publication de la grappe" in client.service.obtenirFormulaire("SIG_CUIVRE", "1.0").xsd

    assert all(eventually(lambda c=c: served(c), timeout=20) for c in clients)


def test_a_declared_interruption_stops_every_node_within_a_second(cluster, tmp_path):
    """An interruption in force, recorded on the database, answers MAINTENANCE on each node within its
    1-s re-read; once it is gone, both serve again."""
    nodes, balancer, url, pki = cluster
    clients = _pinned(balancer, nodes, pki, "OPE001")
    gateway = Gateway.open(url, work_dir=tmp_path)
    now = suite_now()
    ident = None
    try:  # recorded directly: a declaration needs two business days' notice
        with gateway.store.write() as db:
            ident = db.interruptions.add(
                start=now - timedelta(minutes=1), end=now + timedelta(minutes=10), reason="essai de grappe",
                declared_at=now, declared_by="essai",
            )  # fmt: skip
        assert all(eventually(lambda c=c: _state_query(c) == "MAINTENANCE", timeout=10) for c in clients)
    finally:
        if ident is not None:
            with gateway.store.write() as db:
                db.low_level.conn.execute("DELETE FROM planned_interruptions WHERE id = ?", [ident])
        gateway.close()
    assert all(eventually(lambda c=c: _state_query(c) == "OK", timeout=10) for c in clients)


def test_a_node_with_other_contracts_refuses_to_start_until_they_are_recorded(cluster, tmp_path):
    """With other contracts on record, a third node stops at start-up naming both fingerprints; once
    ``esav wsdl enregistrer`` records this installation's contracts, it starts; the others never stopped."""
    nodes, _, url, _ = cluster
    gateway = Gateway.open(url, work_dir=tmp_path)
    try:
        gateway.contracts.adopt("0" * 64, actor="essai")
    finally:
        gateway.close()
    third = Node("node3", nodes[0].data.parent / "demo", tmp_path, url)
    try:
        assert third.start(wait=False).process.wait(timeout=60) == 1
        assert "Contrats WSDL différents de ceux de la grappe" in third.log.read_text()
        assert "0000000000000000…" in third.log.read_text()
        assert main(["wsdl", "enregistrer", "--base", url, "--donnees", str(third.data)]) == 0
        third.start()
        assert all(node.ready() for node in [*nodes, third])
    finally:
        third.stop()


def test_killing_the_leader_under_load_loses_nothing_and_moves_the_work(cluster, tmp_path, request):
    """SIGKILL of the leading node while 4 clients deposit through HAProxy: HAProxy takes it out, every
    acknowledged reference is stored, and the other node takes the background work: the operator's pushes
    go on from where they were, every event delivered, first deliveries in the feed's order (a delivery
    cut by the kill may come again, the same event under its id), none by two nodes at once."""
    nodes, balancer, url, pki = cluster
    receiver = Receiver(pki).start()
    request.addfinalizer(receiver.stop)
    with psycopg.connect(url) as db:
        first_event = db.execute("SELECT COALESCE(MAX(id), 0) FROM events").fetchone()[0]
    gateway = Gateway.open(url, catalogue_dir=CATALOGUE, work_dir=tmp_path)
    try:
        gateway.notifications.register("OPE001", "signalisation", receiver.url, author="test")
    finally:
        gateway.close()
    [leader] = [node for node in nodes if node.leading()]
    [survivor] = [node for node in nodes if node is not leader]
    acknowledged: list[str] = []
    failures: list[str] = []
    stop = threading.Event()

    def depositor(index: int) -> None:
        number = 0
        while not stop.is_set():
            number += 1
            try:  # a new client, so a new connection: HAProxy balances each
                acknowledged.append(_deposit(soap_client(balancer.ws_port, pki, timeout=10), f"K{index}-{number}"))
            except (requests.RequestException, zeep.exceptions.Error, OSError) as error:
                failures.append(type(error).__name__)

    with ThreadPoolExecutor(max_workers=4) as pool:
        for index in range(4):
            pool.submit(depositor, index)
        try:  # the depositors stop whatever happens: a failed wait must not leave the pool waiting for them
            assert eventually(lambda: len(acknowledged) >= 8, timeout=30), f"before the kill: {failures[-5:]}"
            leader.kill()
            before = len(acknowledged)
            assert eventually(lambda: len(acknowledged) >= before + 20, timeout=60), f"after: {failures[-5:]}"
        finally:
            stop.set()
    assert eventually(lambda: balancer.status().get(leader.name, "").startswith("DOWN"), timeout=30)
    assert eventually(survivor.leading, timeout=30)
    with psycopg.connect(url) as db:
        stored = {
            row[0] for row in db.execute("SELECT reference FROM tickets WHERE reference = ANY(%s)", [acknowledged])
        }
    assert stored == set(acknowledged)
    print(f"\nnode killed under load: {len(acknowledged)} deposits acknowledged, all stored; {len(failures)} refused")
    with psycopg.connect(url) as db:
        expected = [row[0] for row in db.execute(
            "SELECT id FROM events WHERE operator_code = 'OPE001' AND domain = 'signalisation' AND id > %s "
            "ORDER BY id", [first_event],
        )]  # fmt: skip
    assert len(expected) >= len(acknowledged) > 0  # a deposit is an event of the feed
    assert eventually(lambda: set(expected) <= set(receiver.ids()), timeout=60), "pushes missing"
    first_seen = list(dict.fromkeys(i for i in receiver.ids() if i > first_event))
    assert first_seen[: len(expected)] == expected, "first deliveries out of the feed's order"
    by_id: dict[int, str] = {}
    for event in receiver.log.received:  # a delivery again is the same event, never another one
        assert by_id.setdefault(event["idEvenement"], event["xml"]) == event["xml"]
