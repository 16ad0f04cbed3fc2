"""Two checkouts of the gateway measured against each other, interleaved: does a change make deposits cheaper?

``python -m bench.trees BASE NEW [--rounds N] [--seconds S] [--concurrency C ...] [--processus N]
[--env-new NAME=VALUE ...]``
serves the demo from each checkout in turn (``esav servir --demo`` started in that folder, its own
``gateway`` first on the path, so that the worker processes it starts run that code too), on a fresh
data folder every round, and drives deposits with the project's load generator (keep-alive, mutual
TLS): base, new, base, new… It prints each round's deposits/s and server CPU per deposit, then per
concurrency the medians and the new/base ratios of the same rounds, and in how many rounds the new
checkout was ahead. On this shared machine a run moves by ±15 % from one round to the next: an effect
smaller than that shows only as most rounds going one way (bench/README.md).

A checkout to compare is made with ``git worktree add --detach /tmp/base HEAD``; this one is the usual
other side. The load generator and this script run from this checkout. ``--env-new NAME=VALUE`` adds
to the new side's environment only: with the same checkout on both sides, it measures a setting
(``ESAV_PIN_WORKERS=false``) or a switch a prototype reads, and nothing else differs.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from . import _soap
from ._processes import add_env_new, checked_comparison, demo_command, start_server
from .harness import HttpOptions, _check_once, _drive, interleaved_summary

__all__ = ["run"]

SIDES = ("base", "new")


def run(
    trees: dict[str, Path],
    *,
    rounds: int,
    seconds: float,
    concurrencies: list[int],
    workers: int = 2,
    envs: dict[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """``trees``: the checkout of each side (``base``, ``new``); ``envs``: what a side adds to its
    server's environment."""
    options = HttpOptions(duration_s=seconds)
    points: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="esav-trees-") as temporary:
        for index in range(rounds):
            for side in SIDES:
                work = Path(temporary) / f"{side}-{index + 1}"
                work.mkdir()
                command = demo_command(work / "data", workers)
                server = start_server(f"gateway-{side}", command, work, tree=trees[side], env=(envs or {}).get(side))
                try:
                    pki = work / "data" / "pki"
                    deposit = _soap.deposit(options.form)
                    server.start_sampling()
                    _check_once(server, deposit, pki)
                    _drive(server, deposit, pki, max(concurrencies), options, min(seconds, 2.0))  # warm-up
                    for concurrency in concurrencies:
                        point = _drive(server, deposit, pki, concurrency, options, seconds)
                        point.update(side=side, round=index + 1)
                        points.append(point)
                        print(
                            f"round {index + 1} {side:4} c={concurrency:<3} {point['rps']:8.1f} deposits/s  "
                            f"{point['server_cpu_ms_per_request']:.3f} ms CPU each  p99 {point['p99_ms']:.1f} ms  "
                            f"errors {point['errors']}",
                            flush=True,
                        )
                finally:
                    server.stop()
    return {"points": points, "summary": _summary(points, concurrencies)}


def _summary(points: list[dict[str, Any]], concurrencies: list[int]) -> list[dict[str, Any]]:
    return interleaved_summary(points, concurrencies, "side", "base", "new", digits=3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="the checkout measured first in each round")
    parser.add_argument("new", type=Path, help="the checkout compared with it")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, action="append", help="repeatable; default 8 and 32")
    parser.add_argument("--processus", type=int, default=2, help="esav servir --processus (default 2)")
    add_env_new(parser)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    new_env = checked_comparison(parser, args.env_new, args.base, args.new)
    result = run(
        {"base": args.base.resolve(), "new": args.new.resolve()},
        rounds=args.rounds,
        seconds=args.seconds,
        concurrencies=args.concurrency or [8, 32],
        workers=args.processus,
        envs={"new": new_env},
    )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for row in result["summary"]:
            print(
                f"c={row['concurrency']}: deposits/s base {row['base_rps']:.0f}, new {row['new_rps']:.0f} "
                f"(new/base, median of the rounds: {row['rps_new_vs_base']}; new ahead in {row['new_ahead']} of "
                f"{row['rounds']}); CPU per deposit {row['base_cpu_ms']:.3f} / {row['new_cpu_ms']:.3f} ms "
                f"({row['cpu_new_vs_base']}); errors {row['errors']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
