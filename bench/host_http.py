"""What twisted.web's request machinery costs a SOAP call: the echo read by the lean channel, and by Twisted's.

``python -m bench.host_http [--rounds N] [--seconds S] [--concurrency C ...]`` starts two echo
yardsticks (``bench.echo_server``) on the same demo PKI, one reading its calls as the gateway does
(``--http lean``: ``gateway.server.LeanChannel``), the other through twisted.web's own channel and
requests (``--http twisted``, the host before that channel), and drives them in interleaved rounds
(twisted, lean, twisted, lean…) with the project's load generator, keep-alive and mutual TLS. It
prints each round's requests/s and server CPU per request, then the medians and the lean/twisted
ratios of the same rounds: on this shared machine only ratios measured together mean something.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from . import _soap
from ._processes import PYTHON, start_server
from .harness import HttpOptions, _check_once, _drive, interleaved_summary

__all__ = ["run"]

KINDS = ("twisted", "lean")


def _pki(work: Path) -> Path:
    """The demo's provider PKI (``ensure_provider_pki``) and OPE001's certificate, as the demo names them
    (what the load generator uses)."""
    from gateway.demo import ensure_provider_pki
    from gateway.security import pki

    folder = work / "pki"
    ca = ensure_provider_pki(folder)
    client = pki.issue_client_certificate(ca, "OPE001", "Opérateur de mesure")
    pki.write_pem_files(client, folder / "OPE001.pem", folder / "OPE001.key")
    return folder


def run(*, rounds: int, seconds: float, concurrencies: list[int]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="esav-host-http-") as temporary:
        work = Path(temporary)
        pki = _pki(work)
        servers = {
            kind: start_server(
                f"echo-{kind}",
                [PYTHON, "-m", "bench.echo_server", "--port", "{port}", "--pki", str(pki), "--http", kind],
                work,
            )
            for kind in KINDS
        }
        try:
            echo = _soap.echo()
            options = HttpOptions(duration_s=seconds)
            for server in servers.values():
                server.start_sampling()
                _check_once(server, echo, pki)
                _drive(server, echo, pki, 8, options, 2.0)  # warm-up
            points: list[dict[str, Any]] = []
            for concurrency in concurrencies:
                for index in range(rounds):
                    for kind, server in servers.items():
                        point = _drive(server, echo, pki, concurrency, options, seconds)
                        point.update(http=kind, round=index + 1)
                        points.append(point)
                        print(
                            f"c={concurrency} round {index + 1} {kind:8} {point['rps']:8.1f} req/s  "
                            f"{point['server_cpu_ms_per_request']:.3f} ms CPU/req  p99 {point['p99_ms']:.1f} ms  "
                            f"errors {point['errors']}",
                            flush=True,
                        )
        finally:
            for server in servers.values():
                server.stop()
    return {"points": points, "summary": _summary(points, concurrencies)}


def _summary(points: list[dict[str, Any]], concurrencies: list[int]) -> list[dict[str, Any]]:
    return interleaved_summary(points, concurrencies, "http", "twisted", "lean", digits=2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, action="append", help="repeatable; default 32 and 8")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(rounds=args.rounds, seconds=args.seconds, concurrencies=args.concurrency or [32, 8])
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for row in result["summary"]:
            print(
                f"c={row['concurrency']}: CPU per request twisted {row['twisted_cpu_ms']:.3f} ms, lean "
                f"{row['lean_cpu_ms']:.3f} ms (lean/twisted, median of the rounds: {row['cpu_lean_vs_twisted']}); "
                f"req/s {row['twisted_rps']:.0f} / {row['lean_rps']:.0f} ({row['rps_lean_vs_twisted']}); "
                f"errors {row['errors']}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
