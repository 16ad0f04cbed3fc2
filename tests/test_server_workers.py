"""Several server processes on one port share the store safely (esav servir --workers 2)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import click
import pytest
import requests
from support import REPO, deposit
from test_durability import clean_env, client_for, free_port, wait_until_serving

from gateway.cli import main
from gateway.cli._serve import PARENT_ONLY_OPTIONS, serve, worker_argv

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory):
    """The demo as ``esav demo`` builds it (in-process: serve is what runs in processes here), once for the
    module; each test serves a copy."""
    data = tmp_path_factory.mktemp("workers") / "data"
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("ESAV_")]:
            patch.delenv(name)
        assert main(["demo", "--donnees", str(data)]) == 0
    return data


@pytest.fixture
def two_workers(tmp_path, demo_folder):
    data = tmp_path / "data"
    shutil.copytree(demo_folder, data)
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        parent = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gateway",
                "servir",
                "--donnees",
                str(data),
                "--port",
                str(port),
                "--processus",
                "2",
            ],
            cwd=REPO,
            env=clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(parent, port, data / "pki", log)
        yield parent, port, data, log
    finally:
        if parent.poll() is None:
            parent.send_signal(signal.SIGTERM)
            try:
                parent.wait(timeout=20)
            except subprocess.TimeoutExpired:
                parent.kill()


def _children(parent_pid):
    out = subprocess.run(["pgrep", "-P", str(parent_pid)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def test_two_workers_serve_and_share_one_store(two_workers):
    """Deposits spread over two processes are all stored once; one idempotency key makes one ticket."""
    parent, port, data, _ = two_workers
    assert len(_children(parent.pid)) == 2
    clients = [client_for(port, data / "pki") for _ in range(16)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        distinct = list(pool.map(lambda i: deposit(clients[i], referenceOperateur=f"W-{i}"), range(16)))
        same = list(pool.map(lambda c: deposit(c, referenceOperateur="W-SAME"), clients))
    assert len({a.referenceSignalisation for a in distinct}) == 16
    assert len({a.referenceSignalisation for a in same}) == 1
    with sqlite3.connect(data / "esav.db") as db:
        assert db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 17
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sigterm_stops_every_worker(two_workers):
    """Stopping the parent stops its workers; none is left behind."""
    parent, _, _, _ = two_workers
    workers = _children(parent.pid)
    parent.send_signal(signal.SIGTERM)
    assert parent.wait(timeout=20) == 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in workers):
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def test_a_crashed_worker_is_replaced(two_workers):
    """A worker killed by accident is restarted and the port keeps serving."""
    parent, port, data, log = two_workers
    victim = _children(parent.pid)[0]
    subprocess.run(["kill", "-KILL", str(victim)], check=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        children = _children(parent.pid)
        if len(children) == 2 and victim not in children:
            break
        time.sleep(0.1)
    assert len(_children(parent.pid)) == 2 and victim not in _children(parent.pid)
    wait_until_serving(parent, port, data / "pki", log)
    assert deposit(client_for(port, data / "pki")).etat == "EN_DEPOT"


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


def test_every_option_reaches_every_worker(tmp_path, demo_folder):
    """`serve --workers 2 --web-port P --log-format json --host 127.0.0.1`: the portal answers on P, logs are JSON."""
    data = tmp_path / "data"
    shutil.copytree(demo_folder, data)
    port, web_port = free_port(), free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        parent = subprocess.Popen(
            [sys.executable, "-m", "gateway", "servir", "--donnees", str(data), "--port", str(port), "--processus", "2",
             "--port-web", str(web_port), "--format-journal", "json", "--hote", "127.0.0.1"],
            cwd=REPO, env=clean_env(), stdout=subprocess.DEVNULL, stderr=out,
        )  # fmt: skip
    try:
        wait_until_serving(parent, port, data / "pki", log)
        portal = requests.Session()
        portal.trust_env = False
        deadline = time.monotonic() + 60
        while True:
            try:
                page = portal.get(f"https://localhost:{web_port}/connexion", verify=str(data / "pki" / "ca.pem"))
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, f"no portal on port {web_port}:\n{log.read_text()}"
                time.sleep(0.1)
        assert page.status_code == 200
        deadline = time.monotonic() + 60  # both workers ready (the port answers as soon as one is)
        while log.read_text().count('"message":"worker ') < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        clients = [client_for(port, data / "pki") for _ in range(8)]  # connections spread over both workers
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda c: deposit(c), clients))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            calls = [json.loads(line) for line in log.read_text().splitlines() if '"request_id"' in line]
            if len({c["request_id"] for c in calls}) >= 8:
                break
            time.sleep(0.1)
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(timeout=20)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line of every process is one JSON object
    messages = [r.get("message", "") for r in records]
    for index in (0, 1):
        assert any(m.startswith(f"worker {index} (pid ") for m in messages), f"worker {index}:\n{lines}"
    assert len({r["request_id"] for r in records if "request_id" in r}) >= 8


def test_the_store_given_to_the_parent_reaches_every_worker():
    """`servir --processus 2 --base URL`: the workers' argv carries --base URL (click keeps it out of params)."""
    from gateway.cli._serve import worker_params

    url = "postgresql://esav@127.0.0.1:5432/esav"
    ctx = serve.make_context("servir", ["--base", url, "--processus", "2", "--port", "0"])
    argv = worker_argv(worker_params(ctx))
    assert argv[argv.index("--base") + 1] == url
