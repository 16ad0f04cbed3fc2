"""Several server processes on one port share the store safely (esav servir --workers 2)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from pathlib import Path

import click
import pytest
import requests
from support import (
    ESAV,
    REPO,
    clean_env,
    client_for,
    deposit,
    esav_demo_copy,
    eventually,
    running,
    tls_context,
    wait_until_serving,
)

from gateway.adapters.ports import free_port
from gateway.cli._serve import PARENT_ONLY_OPTIONS, serve, worker_argv

pytestmark = pytest.mark.slow


def _children(parent_pid):
    out = subprocess.run(["pgrep", "-P", str(parent_pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def _serve_two_workers(
    data: Path, port: int, log: Path, *options: str, env: dict[str, str] | None = None
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """``esav servir --processus 2`` on ``data`` and ``port`` with ``options``, every process logging to ``log``
    (its stderr: the log lines); ``env`` added to the suite's clean environment; stopped by SIGTERM on
    leaving if it still runs."""
    command = [*ESAV, "servir", "--donnees", str(data), "--port", str(port), "--processus", "2", *options]
    return running(command, log, env={**clean_env(), **(env or {})}, stdout=False)


def test_two_workers_share_the_store_take_every_option_survive_a_crash_and_stop_together(tmp_path):
    """`servir --processus 2 --port-web P --format-journal json --hote 127.0.0.1`, one server for several
    facts: connections split evenly over the workers, and a stalled worker holds none back; deposits
    spread over both workers are stored once (one idempotency key, one ticket) and the portal answers on
    P; a worker killed by accident is replaced and the port keeps serving; SIGTERM to the parent stops
    every worker; every line both workers log is JSON and both logged their start; each worker, every
    thread of it, keeps to a core of its own (``pin_workers``, on by default)."""
    data = tmp_path / "data"
    esav_demo_copy(data)
    pki = data / "pki"
    port, web_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    options = ["--port-web", str(web_port), "--format-journal", "json", "--hote", "127.0.0.1"]
    with _serve_two_workers(data, port, log, *options) as parent:
        wait_until_serving(parent, port, pki, log)
        _the_portal_answers_on_its_port(web_port, pki, log)
        eventually(lambda: log.read_text().count('"message":"worker ') >= 2, 60)  # the port answers once one is ready
        assert len(_children(parent.pid)) == 2
        _each_worker_keeps_to_its_own_core(log)
        _connections_split_evenly(parent, port, pki)
        _a_stalled_worker_holds_no_connection_back(parent, port, pki)
        _deposits_spread_over_both_workers_are_stored_once(port, data)
        _a_crashed_worker_is_replaced(parent, port, pki, log)
        _sigterm_stops_every_worker(parent)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line of every process is one JSON object
    messages = [r.get("message", "") for r in records]
    for index in (0, 1):
        assert any(m.startswith(f"worker {index} (pid ") for m in messages), f"worker {index}:\n{lines}"
    assert len({r["request_id"] for r in records if "request_id" in r}) >= 8


def test_workers_stop_when_their_parent_is_killed(tmp_path):
    """SIGKILL to the parent of `servir --processus 2`: nobody would stop or restart its workers any more, so
    they stop within seconds instead of serving on, orphaned. (Started with ``ESAV_PIN_WORKERS=false``:
    its workers may then run on every core.)"""
    data = tmp_path / "data"
    esav_demo_copy(data)
    port, log = free_port(), tmp_path / "serve.log"
    workers: list[int] = []
    try:
        with _serve_two_workers(data, port, log, env={"ESAV_PIN_WORKERS": "false"}) as parent:
            wait_until_serving(parent, port, data / "pki", log)
            eventually(lambda: len(_children(parent.pid)) == 2 and log.read_text().count("serving on port") >= 2, 60)
            workers = _children(parent.pid)
            assert len(workers) == 2
            assert "on core" not in log.read_text()
            assert all(_cores_of(pid) == set(os.sched_getaffinity(0)) for pid in workers)
            parent.kill()
            parent.wait(timeout=20)
            eventually(lambda: not any(_alive(pid) for pid in workers), 15)
            assert not any(_alive(pid) for pid in workers), log.read_text()
            assert log.read_text().count("is gone; stopping") == 2
    finally:
        for pid in workers:  # orphans that did not stop
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _cores_of(pid: int) -> set[int]:
    """The cores any thread of process ``pid`` may run on."""
    cores: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        status = (task / "status").read_text()
        allowed = next(line for line in status.splitlines() if line.startswith("Cpus_allowed_list:"))
        for span in allowed.split(":", 1)[1].strip().split(","):
            first, _, last = span.partition("-")
            cores.update(range(int(first), int(last or first) + 1))
    return cores


def _each_worker_keeps_to_its_own_core(log: Path) -> None:
    """Worker I logs the core it keeps to (the I-th of the cores this machine lets us use); every thread of
    it may run there only. With a single core there is nothing to choose: no worker names one."""
    cores = sorted(os.sched_getaffinity(0))
    messages = [json.loads(line).get("message", "") for line in log.read_text().splitlines() if line.strip()]
    started = [re.fullmatch(r"worker (\d) \(pid (\d+)\) serving on port \d+(?:, on core (\d+))?", m) for m in messages]
    found = {int(m[1]): (int(m[2]), None if m[3] is None else int(m[3])) for m in started if m}
    assert sorted(found) == [0, 1], messages
    for index, (pid, core) in found.items():
        if len(cores) < 2:
            assert core is None and _cores_of(pid) == set(cores)
        else:
            assert core == cores[index % len(cores)] and _cores_of(pid) == {core}, (index, pid, core)


def _the_portal_answers_on_its_port(web_port: int, pki, log) -> None:
    portal = requests.Session()
    portal.trust_env = False
    deadline = time.monotonic() + 60
    while True:
        try:
            page = portal.get(f"https://localhost:{web_port}/connexion", verify=str(pki / "ca.pem"))
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, f"no portal on port {web_port}:\n{log.read_text()}"
            time.sleep(0.1)
    assert page.status_code == 200


def _established_per_worker(parent, port: int) -> list[int]:
    """Connections established on ``port`` held by each worker of ``parent`` (from /proc), fewest first."""
    local = f":{port:04X}"
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1].endswith(local) and fields[3] == "01":  # local address, state ESTABLISHED
                inodes.add(fields[9])
    counts = []
    for pid in _children(parent.pid):
        fds = Path(f"/proc/{pid}/fd")
        links = [os.readlink(fd) for fd in fds.iterdir() if fd.name.isdigit()]
        counts.append(sum(link[len("socket:[") : -1] in inodes for link in links if link.startswith("socket:[")))
    return sorted(counts)


def _open_connections(port: int, pki, count: int) -> list:
    """``count`` mutual-TLS connections, each through its handshake (so a worker has accepted it)."""
    context = tls_context(pki)
    connections = []
    for _ in range(count):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        connections.append(context.wrap_socket(raw, server_hostname="localhost"))
    return connections


def _connections_split_evenly(parent, port: int, pki) -> None:
    # Three rounds of 32 connections: a split by the kernel's hash of the addresses gives 16/16 one
    # time in seven, three times in a row one time in three hundred.
    for _ in range(3):
        connections = _open_connections(port, pki, 32)
        try:
            eventually(lambda: sum(_established_per_worker(parent, port)) == 32, 5)
            assert _established_per_worker(parent, port) == [16, 16]
        finally:
            for connection in connections:
                connection.close()
        eventually(lambda: sum(_established_per_worker(parent, port)) == 0, 5)


def _a_stalled_worker_holds_no_connection_back(parent, port: int, pki) -> None:
    """A worker stopped by SIGSTOP accepts nothing: the other takes every connection, after a short wait
    each (it would have been the stalled one's turn)."""
    stalled, _serving = _children(parent.pid)
    os.kill(stalled, signal.SIGSTOP)
    try:
        connections = _open_connections(port, pki, 6)
        assert _established_per_worker(parent, port) == [0, 6]
        for connection in connections:
            connection.close()
    finally:
        os.kill(stalled, signal.SIGCONT)
    eventually(lambda: sum(_established_per_worker(parent, port)) == 0, 5)


def _deposits_spread_over_both_workers_are_stored_once(port: int, data) -> None:
    clients = [client_for(port, data / "pki") for _ in range(16)]  # connections spread over both workers
    with ThreadPoolExecutor(max_workers=16) as pool:
        distinct = list(pool.map(lambda i: deposit(clients[i], referenceOperateur=f"W-{i}"), range(16)))
        same = list(pool.map(lambda c: deposit(c, referenceOperateur="W-SAME"), clients))
    assert len({a.referenceSignalisation for a in distinct}) == 16
    assert len({a.referenceSignalisation for a in same}) == 1
    with sqlite3.connect(data / "esav.db") as db:
        assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 17
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _a_crashed_worker_is_replaced(parent, port: int, pki, log) -> None:
    victim = _children(parent.pid)[0]
    subprocess.run(["kill", "-KILL", str(victim)], check=True)
    eventually(lambda: len(children := _children(parent.pid)) == 2 and victim not in children, 15)
    assert len(_children(parent.pid)) == 2 and victim not in _children(parent.pid)
    wait_until_serving(parent, port, pki, log)
    assert deposit(client_for(port, pki)).etat == "EN_DEPOT"


def _sigterm_stops_every_worker(parent) -> None:
    workers = _children(parent.pid)
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=20) == 0
    eventually(lambda: not any(_alive(pid) for pid in workers), 10)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_worker_argv_forwards_every_option_of_serve():
    """Each click option of `serve`, except those only the parent uses, reaches the workers' argv as given."""
    params: dict[str, object] = {}
    expected: dict[str, str | None] = {}
    for option in serve.params:
        assert isinstance(option, click.Option)
        name = option.name or ""
        if option.is_flag:
            params[name] = True
            expected[name] = None
        elif isinstance(option.type, click.Choice):
            params[name] = option.type.choices[-1]
            expected[name] = str(option.type.choices[-1])
        else:
            params[name] = f"value-of-{name}" if option.type.name != "integer" else 7000 + len(params)
            expected[name] = str(params[name])
    argv = worker_argv(params)
    for option in serve.params:
        name, flag = option.name or "", max(option.opts, key=len)
        if name in PARENT_ONLY_OPTIONS:
            assert flag not in argv or (flag == "--workers" and argv[argv.index(flag) + 1] == "1"), flag
            continue
        assert flag in argv, f"{flag} is not forwarded to the workers"
        if expected[name] is not None:
            assert argv[argv.index(flag) + 1] == expected[name], flag
    assert {o.name for o in serve.params} >= PARENT_ONLY_OPTIONS  # no stale name hides a forgotten option


def test_the_store_given_to_the_parent_reaches_every_worker():
    """`servir --processus 2 --base URL`: the workers' argv carries --base URL (click keeps it out of params)."""
    from gateway.cli._language import HELP_OPTION_NAMES
    from gateway.cli._serve import worker_params

    url = "postgresql://esav@127.0.0.1:5432/esav"
    # With the command line's help option names: click keeps the first help option it makes for a command,
    # and a default ``--help`` would then show on ``esav servir --aide`` for the rest of the session.
    ctx = serve.make_context(
        "servir", ["--base", url, "--processus", "2", "--port", "0"], help_option_names=HELP_OPTION_NAMES
    )
    argv = worker_argv(worker_params(ctx))
    assert argv[argv.index("--base") + 1] == url


def test_a_port_in_use_is_refused_by_the_parent_with_a_clear_message(tmp_path):
    """`servir --processus 2` on a port another program listens on: the parent, which makes the workers'
    socket, exits 1 naming the port, with no traceback and no worker started."""
    data = tmp_path / "data"
    esav_demo_copy(data)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*ESAV, "servir", "--donnees", str(data), "--port", str(port),
             "--processus", "2", "--hote", "127.0.0.1", "--port-web", "0"],
            cwd=REPO, env=clean_env(), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert f"port {port}" in done.stderr and "Address already in use" in done.stderr
    assert "Traceback" not in done.stderr
    assert "worker" not in done.stderr


def test_a_worker_the_system_will_not_pin_serves_unpinned_and_says_so(monkeypatch, caplog):
    """``sched_setaffinity`` refused (a container's policy, say): the worker is not pinned, logs why, and
    starts all the same; where the call does not exist (not Linux), nothing happens."""
    from gateway.server import pin_worker

    allowed = os.sched_getaffinity(0)

    def refuse(pid: int, cores: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setaffinity", refuse)
    with caplog.at_level("WARNING", logger="gateway.server"):
        assert pin_worker(1) is None
    assert os.sched_getaffinity(0) == allowed
    if len(allowed) > 1:
        assert "worker 1: not kept to one core (" in caplog.text and "not permitted" in caplog.text
    monkeypatch.delattr(os, "sched_setaffinity")
    assert pin_worker(0) is None and os.sched_getaffinity(0) == allowed
