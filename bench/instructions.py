"""The instructions a deposit costs the gateway, counted by valgrind: a measure the machine's noise does not move.

``python -m bench.instructions BASE [NEW] [--deposits N] [--concurrency C] [--env-new NAME=VALUE ...]``
serves the demo from each checkout (one process, ``esav servir --demo``) under valgrind's cachegrind
(``--cache-sim=no``: instructions only), twice: once answering ``SHORT`` deposits after the warm-up,
once ``SHORT + N``. Both runs do the same start, warm-up and ending, so the difference of their totals
divided by ``N`` is what a deposit costs in user space: the interpreter, lxml, SQLite, OpenSSL, the
C library. It prints that figure for each checkout, and the ratio new/base. Runs of one checkout
agree within about 1 % (the timers of a longer run add a little), where ``python -m bench.trees`` needs
eight rounds to see 5 % on this machine (bench/README.md).

What it does not see: the kernel (system calls, page faults, context switches; ``strace -c`` counts
those), waiting (the disk's flush, the writers' lock), and the caches, which a change of the work's
size or layout moves. It says whether a change removes work; ``bench.trees`` and the paired run say
whether the gateway got faster. The batch wait is off (``ESAV_BATCH_WAIT_MS=0``): under valgrind
the process is about thirty times slower, and the calls of the ``--concurrency`` connections queue
up for each batch anyway.

valgrind is not a dependency of the project: ``apt-get install valgrind``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from . import _soap
from ._processes import add_env_new, checked_comparison, demo_command, start_server
from .harness import HttpOptions, _check_once, _drive

__all__ = ["per_deposit"]

#: Deposits answered after the warm-up in the shorter run.
SHORT = 100
#: Deposits answered before either run's measured part (the interpreter's caches, SQLite's, lxml's).
WARM_UP = 200
#: Seconds for valgrind's start (the gateway's start is about thirty times slower under it).
START_S = 900.0


def _total_instructions(out_file: Path) -> int:
    match = re.search(r"^summary:\s*(\d+)", out_file.read_text(errors="replace"), re.MULTILINE)
    if match is None:
        raise RuntimeError(f"{out_file}: no summary line (did valgrind stop cleanly?)")
    return int(match.group(1))


def _run(tree: Path, deposits: int, concurrency: int, env: dict[str, str], work: Path) -> int:
    """The instructions of one whole run of ``tree``'s gateway answering ``deposits`` after the warm-up."""
    data = work / "data"
    env = {"ESAV_BATCH_WAIT_MS": "0", **env}
    # The demo's data built at full speed first: the measured runs only start from it.
    start_server("prepare", demo_command(data), work, tree=tree, env=env, ready_s=120).stop()
    out_file = work / "cachegrind.out"
    valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out_file}"]
    server = start_server("valgrind", [*valgrind, *demo_command(data)], work, tree=tree, env=env, ready_s=START_S)
    try:
        pki, deposit = data / "pki", _soap.deposit(HttpOptions().form)
        _check_once(server, deposit, pki)
        for count in (WARM_UP, deposits):
            options = HttpOptions(duration_s=START_S, max_requests=count)
            point = _drive(server, deposit, pki, concurrency, options, START_S)
            if point["errors"]:
                raise RuntimeError(f"{tree}: {point['errors']} error(s) under valgrind:\n{server.log_tail()}")
    finally:
        server.stop()  # valgrind writes its counts as the process ends
    return _total_instructions(out_file)


def per_deposit(tree: Path, *, deposits: int, concurrency: int, env: dict[str, str] | None = None) -> float:
    """Instructions a deposit costs ``tree``'s gateway (user space), from two runs under valgrind."""
    totals = []
    for count in (SHORT, SHORT + deposits):
        with tempfile.TemporaryDirectory(prefix="esav-instructions-") as temporary:
            totals.append(_run(tree, count, concurrency, env or {}, Path(temporary)))
    return (totals[1] - totals[0]) / deposits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="a checkout of the gateway")
    parser.add_argument("new", type=Path, nargs="?", help="another, compared with the first")
    parser.add_argument("--deposits", type=int, default=1000, help="deposits counted (default 1000)")
    parser.add_argument("--concurrency", type=int, default=4, help="connections (default 4)")
    add_env_new(parser)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    new_env = checked_comparison(parser, args.env_new, *(t for t in (args.base, args.new) if t is not None))
    sides = [("base", args.base, {})]
    if args.new is not None or new_env:
        sides.append(("new", args.new or args.base, new_env))
    figures = {}
    for side, tree, env in sides:
        figures[side] = per_deposit(tree.resolve(), deposits=args.deposits, concurrency=args.concurrency, env=env)
        print(f"{side}: {figures[side]:,.0f} instructions a deposit ({tree})", flush=True)
    if "new" in figures:
        print(f"new / base: {figures['new'] / figures['base']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
