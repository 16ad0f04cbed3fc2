"""``esav banc --grappe``: deposits through HAProxy on one node, then on two, in one run.

The cluster is ``esav grappe demo``'s (a PostgreSQL primary and its synchronous standby, two gateway
nodes, HAProxy in front, all on this machine). "1 node" is the same HAProxy with the second node taken
out through its runtime API, so both figures include the load balancer and the standby's round trip.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gateway.adapters.local_cluster import LocalCluster

from . import _soap
from ._processes import _cpu_seconds, _descendants
from .harness import HttpOptions, _check_once, _drive, _environment, _named

__all__ = ["run_cluster"]


@dataclass
class _Balanced:
    """What the load generator drives: HAProxy's port; the CPU counted is the nodes'."""

    port: int
    node_pids: list[int]

    def cpu_seconds(self) -> float:
        return sum(_cpu_seconds(pid) for root in self.node_pids for pid in _descendants(root))


def run_cluster(options: HttpOptions, progress: Any = None) -> dict[str, Any]:
    """Deposits/s and latencies through HAProxy with one node, then two (see bench/README.md)."""
    say = progress or (lambda message: None)
    notes: list[str] = []
    points: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="esav-bench-grappe-") as temporary:
        root = options.keep_dir or Path(temporary)
        root.mkdir(parents=True, exist_ok=True)
        say("starting the cluster (primary and standby, demo data, two nodes, HAProxy)…")
        with LocalCluster(root, nodes=2, standby=True) as cluster:
            assert cluster.balancer is not None
            balancer = cluster.balancer
            pids = [node.process.pid for node in cluster.nodes if node.process is not None]
            target: Any = _Balanced(balancer.ws_port, pids)
            pki = cluster.pki
            deposit = _soap.deposit(options.form)
            _check_once(target, deposit, pki)
            second = cluster.nodes[1].name
            for count in (1, 2):
                for backend in ("esav_ws", "esav_portal"):
                    balancer.command(f"{'enable' if count == 2 else 'disable'} server {backend}/{second}")
                operation = _named(deposit, f"deposit, {count} node{'s' if count > 1 else ''}")
                if options.warmup_s > 0:
                    say(f"warming up ({count} node(s))…")
                    _drive(target, operation, pki, 8, options, options.warmup_s)
                for concurrency in options.concurrencies:
                    say(f"{operation.name} at concurrency {concurrency}…")
                    point = _drive(target, operation, pki, concurrency, options, options.duration_s)
                    point["nodes"] = count
                    points.append(point)
                    if point["errors"]:
                        notes.append(f"{operation.name} c={concurrency}: {point['errors']} errors")
    return {"environment": _environment(options, False), "points": points, "notes": notes}


def cluster_table(result: dict[str, Any]) -> str:
    """Deposits/s and p99 on one node next to two, per concurrency."""
    env = result["environment"]
    lines = [
        f"esav banc --grappe — {env['date']} — {env['cpus']} CPU ({env['cpu_model']}), Python {env['python']}",
        "through HAProxy (TCP, PROXY v2) to gateway nodes on PostgreSQL with a synchronous standby",
        "",
        f"{'c':>4}  {'1 node dep/s':>13}  {'p99 ms':>8}  {'2 nodes dep/s':>14}  {'p99 ms':>8}  {'×':>5}",
    ]
    by = {(p["nodes"], p["concurrency"]): p for p in result["points"]}
    for concurrency in sorted({p["concurrency"] for p in result["points"]}):
        one, two = by.get((1, concurrency)), by.get((2, concurrency))
        if one is None or two is None:
            continue
        ratio = two["rps"] / one["rps"] if one["rps"] else float("nan")
        lines.append(
            f"{concurrency:>4}  {one['rps']:>13,.0f}  {one['p99_ms']:>8.1f}  {two['rps']:>14,.0f}  "
            f"{two['p99_ms']:>8.1f}  {ratio:>5.2f}"
        )
    lines += [f"note: {note}" for note in result["notes"]]
    return "\n".join(lines)
