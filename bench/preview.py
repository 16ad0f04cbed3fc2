"""Time the preview of a form version against a scale store's deposits (``esav catalogue apercu``).

``python -m bench.preview --store PATH [--form SIG_FTTH --version 2.0 --days 30]`` on a store filled by
``esav banc --volumetrie --base PATH`` (or ``python -m bench.fill``): the window ends at the store's last
deposit, every operator is replayed, as ``esav catalogue apercu`` does. Prints JSON: deposits replayed,
refused, seconds (first run: cold statement cache; then the median of ``--repeat`` more), deposits per
second and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.catalogue import Catalogue, default_catalogue_root
from gateway.domain.clock import FixedClock
from gateway.services import FormPreviewService, MailService, NoticeMailer
from gateway.store import Store


def last_deposit(store: Store) -> datetime:
    """The instant of the store's newest deposit (the end of the window)."""
    row = store._one("SELECT MAX(deposited_at) AS last FROM tickets")  # a fixture reader, as fill.py is
    assert row is not None and row["last"], "empty store"
    return datetime.fromisoformat(row["last"])


def measure(path: Path, form: str, version: str, days: int, repeat: int) -> dict[str, Any]:
    store = Store(path)  # applies any new migration (the preview index) to a store filled earlier
    try:
        end = last_deposit(store)
        clock = FixedClock(end)
        catalogue = Catalogue.load(default_catalogue_root())
        mail = MailService(store, clock)
        service = FormPreviewService(store, catalogue, clock, mail, NoticeMailer(store, clock, mail))
        timings = []
        result = None
        for _ in range(repeat + 1):
            started = time.perf_counter()
            result = service.preview(form, version, days=days, at=end)
            timings.append(time.perf_counter() - started)
        assert result is not None
        return {
            "store": str(path),
            "tickets": store._one("SELECT COUNT(*) AS n FROM tickets")["n"],  # type: ignore[index]
            "form": form,
            "version": version,
            "days": days,
            "window_end": end.isoformat(),
            "deposits": result.deposits,
            "refused": result.refused,
            "per_operator": {o.operator_code: [o.deposits, o.refused] for o in result.operators},
            "first_s": round(timings[0], 3),
            "median_s": round(statistics.median(timings[1:]), 3) if repeat else None,
            "deposits_per_s": round(result.deposits / statistics.median(timings[1:] or timings)),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time a form version's preview against a scale store.")
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--form", default="SIG_FTTH")
    parser.add_argument("--version", default="2.0")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.store, args.form, args.version, args.days, args.repeat), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
