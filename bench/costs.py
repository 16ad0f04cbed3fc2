"""Where a deposit's CPU goes, part by part, in the worker processes of a real gateway under load.

``python -m bench.costs [--concurrency C ...] [--processus N] [--seconds S]`` serves the demo (``esav
servir --demo --processus N``), with the parts of a deposit listed in ``PARTS`` timed inside each
process: thread CPU time (``time.thread_time``) and wall time of every call of each part, counted from
just before the measured window to its end. It prints, per concurrency, how many calls and commits the
workers made (calls per commit: the size of the group commit's batches), then for each part its CPU a
call, its CPU a commit for the parts paid once a batch, and its wall time where waiting is the point
(the writers' lock, the commit's ``fdatasync``). The server's CPU per deposit measured from outside
(``/proc``) is printed beside the sum of the top-level parts (arrival and batch), so that what the parts
leave out (the reactor's own loop, the other processes) shows.

How: ``bench/_costs_plug`` is put first on the server's ``PYTHONPATH``; its ``sitecustomize`` wraps the
functions of ``PARTS`` as their modules are imported, and writes the counts to a file when the process
receives ``SIGUSR2``. Nothing of it is in the gateway. Each wrapper costs about 1-2 µs a call, which the
figures include; they say where the time goes, not how fast the gateway is (the paired run and
``bench.trees`` say that). Times are inclusive: a part's figure contains the parts listed under it.
No part spans a switch of the batch's greenlets (a service method as a whole would count the other
methods run while it waits for the batch's transaction), so the service methods are timed by their
pieces.
A part that is not called (say ``Store._certificates_at`` in a batch without a call) shows as 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from . import _soap
from ._costs_hooks import CALLS, COMMITS, ENV, PARTS
from ._processes import demo_command, python_env, start_server
from .harness import HttpOptions, _check_once, _drive

__all__ = ["run"]

PLUG = Path(__file__).resolve().parent / "_costs_plug"


def _snapshot(pids: list[int], folder: Path, timeout_s: float = 10.0) -> dict[str, list[float]]:
    """Every process's counts, asked for now and summed."""
    asked = time.time()
    for pid in pids:
        os.kill(pid, signal.SIGUSR2)
    deadline = time.monotonic() + timeout_s
    totals: dict[str, list[float]] = {}
    for pid in pids:
        path = folder / f"{pid}.json"
        while True:
            try:
                data = json.loads(path.read_text())
                if data["at"] >= asked:
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"process {pid} wrote no counts (is bench/_costs_plug on its path?)")
            time.sleep(0.02)
        for label, (calls, cpu, wall) in data["parts"].items():
            total = totals.setdefault(label, [0, 0.0, 0.0])
            total[0] += calls
            total[1] += cpu
            total[2] += wall
    return totals


def _rows(before: dict[str, list[float]], after: dict[str, list[float]]) -> dict[str, Any]:
    def delta(label: str) -> list[float]:
        start = before.get(label, [0, 0.0, 0.0])
        end = after.get(label, [0, 0.0, 0.0])
        return [end[i] - start[i] for i in range(3)]

    calls = delta(CALLS)[0]
    commits = delta(COMMITS)[0]
    rows = []
    for part in PARTS:
        count, cpu, wall = delta(part.label)
        rows.append(
            {
                "part": part.label,
                "depth": part.depth,
                "per_call": round(count / calls, 2) if calls else 0.0,
                "cpu_us_per_call": round(1e6 * cpu / calls, 1) if calls else 0.0,
                "cpu_us_per_commit": round(1e6 * cpu / commits, 1) if part.per_commit and commits else None,
                "wall_us_each": round(1e6 * wall / count, 1) if part.wait and count else None,
            }
        )
    per_commit = round(calls / commits, 2) if commits else 0.0
    top = round(sum(row["cpu_us_per_call"] for row in rows if row["depth"] == 0), 1)  # arrival + batch
    return {
        "calls": int(calls),
        "commits": int(commits),
        "calls_per_commit": per_commit,
        "top_level_cpu_us_per_call": top,
        "parts": rows,
    }


def run(
    concurrencies: list[int], *, workers: int = 2, seconds: float = 6.0, form: str = "SIG_CUIVRE"
) -> list[dict[str, Any]]:
    """One gateway per concurrency (fresh demo data), warmed up, then measured for ``seconds``."""
    options = HttpOptions(duration_s=seconds, form=form)
    results = []
    for concurrency in concurrencies:
        with tempfile.TemporaryDirectory(prefix="esav-costs-") as temporary:
            work = Path(temporary)
            counts = work / "counts"
            counts.mkdir()
            env = {ENV: str(counts), "PYTHONPATH": os.pathsep.join((str(PLUG), python_env()["PYTHONPATH"]))}
            server = start_server("gateway", demo_command(work / "data", workers), work, env=env)
            try:
                pki, deposit = work / "data" / "pki", _soap.deposit(options.form)
                _check_once(server, deposit, pki)
                _drive(server, deposit, pki, concurrency, options, min(seconds, 2.0))  # warm-up
                pids = [server.pid, *server.pids()]
                before = _snapshot(pids, counts)
                point = _drive(server, deposit, pki, concurrency, options, seconds)
                after = _snapshot(pids, counts)
            finally:
                server.stop()
        row = _rows(before, after)
        row.update(
            concurrency=concurrency,
            workers=workers,
            rps=point["rps"],
            errors=point["errors"],
            server_cpu_us_per_deposit=round(1000 * point["server_cpu_ms_per_request"], 1),
        )
        results.append(row)
    return results


def _print(results: list[dict[str, Any]]) -> None:
    for result in results:
        print(
            f"\nc={result['concurrency']}, {result['workers']} worker(s): {result['rps']:,.0f} deposits/s, "
            f"{result['errors']} errors; {result['calls']:,} calls, {result['commits']:,} commits "
            f"({result['calls_per_commit']} calls a commit); server CPU a deposit (from /proc) "
            f"{result['server_cpu_us_per_deposit']} µs, of which the parts below (arrival + batch) "
            f"{result['top_level_cpu_us_per_call']} µs"
        )
        print(f"{'part':48} {'a call':>7} {'CPU µs a call':>14} {'CPU µs a commit':>16} {'wall µs each':>13}")
        for row in result["parts"]:
            commit = "" if row["cpu_us_per_commit"] is None else f"{row['cpu_us_per_commit']:.1f}"
            wall = "" if row["wall_us_each"] is None else f"{row['wall_us_each']:.1f}"
            label = "  " * row["depth"] + row["part"]
            print(f"{label:48} {row['per_call']:7.2f} {row['cpu_us_per_call']:14.1f} {commit:>16} {wall:>13}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, action="append", help="repeatable; default 8 and 32")
    parser.add_argument("--processus", type=int, default=2, help="esav servir --processus (default 2)")
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = run(args.concurrency or [8, 32], workers=args.processus, seconds=args.seconds)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        _print(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
