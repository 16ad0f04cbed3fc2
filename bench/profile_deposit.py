"""Where a deposit's CPU goes in one gateway process under load, sampled with py-spy.

``python -m bench.profile_deposit --py-spy PATH`` starts ``esav servir --demo`` (one process), warms
it up, drives deposits at concurrency 32 while py-spy samples the server, and prints each phase's
share of the samples, with the CPU per deposit the harness measures over the same window. py-spy is
not a dependency: ``pip install --target DIR py-spy`` and pass ``DIR/bin/py-spy``.

A sample is put in the phase of the innermost frame that belongs to one: the gateway's store
(SQL), its services, domain and catalogue (rules, form validation), its wire layer, spyne reading
the envelope or serialising the answer, the host (hardened parse, glue, batches), TLS (pyOpenSSL
and Twisted's TLS protocol), Twisted's HTTP, the reactor (its socket writes apart) and the call log
lines. The wait for the group commit's fsync is counted apart: it is mostly not CPU.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import tempfile
from pathlib import Path

from . import _soap
from ._processes import demo_command, start_server
from .harness import HttpOptions, _drive

__all__ = ["PHASES", "phase_of", "phase_shares"]

#: spyne functions that belong to writing the answer (anything else of spyne's reads the request)
_SPYNE_OUT = ("serialize", "create_out_string", "to_parent", "to_bytes", "get_out_string", "create_out_document")
COMMIT_WAIT = "group commit (fsync wait, mostly not CPU)"
PHASES = (
    "spyne: serialise the answer",
    "spyne: read the envelope (mapping, validation)",
    "service: SQL (gateway/store)",
    "service: rules, form validation",
    "wire layer (gateway/ws)",
    "host: hardened parse",
    "host: glue, batches",
    "TLS (pyOpenSSL, Twisted TLS)",
    "Twisted HTTP",
    "reactor: socket writes (send syscalls)",
    "reactor: loop",
    "call log lines (logging, json)",
    "other",
    COMMIT_WAIT,
)


def phase_of(frames: list[str]) -> str:
    """The phase of one sampled stack (outermost frame first), from its innermost frame that has one."""
    stack = ";".join(frames)
    for frame in reversed(frames):
        if "gateway/store/_db.py" in frame and "_commit_group" in frame:
            return COMMIT_WAIT
        if "gateway/store/" in frame:
            return "service: SQL (gateway/store)"
        if re.search(r"gateway/(services|domain|catalogue)/", frame):
            return "service: rules, form validation"
        if "_hardening" in frame:
            return "host: hardened parse"
        if "gateway/ws/" in frame:
            return "wire layer (gateway/ws)"
        if re.search(r"\((logging|json)/", frame):
            return "call log lines (logging, json)"
        if "spyne/" in frame:
            if any(name in stack for name in _SPYNE_OUT):
                return "spyne: serialise the answer"
            return "spyne: read the envelope (mapping, validation)"
        if "gateway/server/" in frame:
            return "host: glue, batches"
        if "OpenSSL/" in frame or "twisted/protocols/tls.py" in frame or "cryptography/" in frame:
            return "TLS (pyOpenSSL, Twisted TLS)"
        if "twisted/web/" in frame:
            return "Twisted HTTP"
        if "untilConcludes" in frame:
            return "reactor: socket writes (send syscalls)"
        if "twisted/" in frame:
            return "reactor: loop"
    return "other"


def phase_shares(raw: str) -> dict[str, int]:
    """Samples per phase from py-spy's ``--format raw`` output (one ``stack count`` line per stack)."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, count = line.rstrip().rpartition(" ")
        if stack:
            counts[phase_of(stack.split(";"))] += int(count)
    return {phase: counts[phase] for phase in PHASES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--py-spy", required=True, help="the py-spy program")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="esav-profile-") as temporary:
        work = Path(temporary)
        data = work / "data"
        serve = demo_command(data)
        gateway = start_server("gateway", serve, work)
        try:
            pki, deposit = data / "pki", _soap.deposit()
            _drive(gateway, deposit, pki, args.concurrency, HttpOptions(), 5.0)  # warm-up
            output = work / "samples.txt"
            spy = subprocess.Popen(
                [args.py_spy, "record", "--pid", str(gateway.pid), "--duration", str(round(args.seconds)),
                 "--rate", "250", "--format", "raw", "--nonblocking", "--output", str(output)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            point = _drive(gateway, deposit, pki, args.concurrency, HttpOptions(), args.seconds)
            spy.wait(timeout=args.seconds + 60)
            shares = phase_shares(output.read_text())
        finally:
            gateway.stop()
    sampled = sum(shares.values())
    cpu_samples = sampled - shares[COMMIT_WAIT]
    cpu_ms = point["server_cpu_ms_per_request"]
    print(json.dumps({k: point[k] for k in ("rps", "p99_ms", "server_cpu_ms_per_request", "server_cores_busy")}))
    for phase, count in shares.items():
        share = count / cpu_samples if phase != COMMIT_WAIT and cpu_samples else 0.0
        estimate = f"≈ {share * cpu_ms:.3f} ms/deposit" if share else ""
        print(f"{count:6} samples {100 * count / sampled:5.1f} %  {phase:48} {estimate}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
