"""Plain-text tables of the figures ``run_http`` and ``run_scale`` return."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["http_table", "scale_table"]


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True)))
    out = [line, "-" * len(line)]
    for row in rows:
        out.append(
            "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        )
    return out


def http_table(result: dict[str, Any]) -> str:
    env = result["environment"]
    lines = [
        f"esav bench — {env['date']} — {env['cpus']} CPU ({env['cpu_model']}), Python {env['python']}",
        f"load generator: {env['load_generator']}; server workers: {env['workers'] or 'default'}",
        "",
    ]
    header = ["operation", "c", "req/s", "×echo", "p50 ms", "×echo", "p95 ms", "×echo", "p99 ms", "×echo"]
    header += ["errors", "srv CPU ms/req", "srv cores", "client cores"]
    rows = []
    for p in result["points"]:
        r = p["vs_echo"]
        rows.append(
            [
                p["operation"],
                str(p["concurrency"]),
                _f(p["rps"], 0),
                _f(r["rps"], 2),
                _f(p["p50_ms"], 1),
                _f(r["p50_ms"], 1),
                _f(p["p95_ms"], 1),
                _f(r["p95_ms"], 1),
                _f(p["p99_ms"], 1),
                _f(r["p99_ms"], 1),
                str(p["errors"]),
                _f(p["server_cpu_ms_per_request"], 2),
                _f(p["server_cores_busy"], 2),
                _f(p["client_cores_busy"], 2),
            ]
        )
    lines += _table(header, rows)
    memory = result["memory"]
    lines += [
        "",
        f"server memory: gateway peak RSS {_f(memory['gateway']['peak_rss_mb'])} MB "
        f"({memory['gateway']['processes']} process(es), VmHWM per process {memory['gateway']['hwm_mb_per_process']}), "
        f"echo {_f(memory['echo']['peak_rss_mb'])} MB, ×echo {_f(memory['gateway_vs_echo'], 2)}",
        "",
        "targets (issue 7, concurrency 32):",
    ]
    for name, check in result["targets"].items():
        lines.append(
            f"  {name:22} {_f(check['value'])} (target {check['target']}) {'met' if check['met'] else 'NOT met'}"
        )
    if result["notes"]:
        lines += ["", "notes:", *(f"  - {note}" for note in result["notes"])]
    return "\n".join(lines)


def scale_table(result: dict[str, Any]) -> str:
    fill = result["fill"]
    lines = [
        f"store: {fill['tickets']:,} tickets, {_f(fill.get('database_mb'))} MB"
        + (f", filled in {fill['seconds']} s" if "seconds" in fill else ""),
        "",
    ]
    header = ["query", "rows", "total", "first ms", "median ms", "p95 ms", "index", "temp sort", "< 20 ms"]
    rows = [
        [
            q["query"],
            str(q["rows"]),
            _f(q["total"]),
            _f(q["first_ms"], 2),
            _f(q["median_ms"], 2),
            _f(q["p95_ms"], 2),
            "yes" if q["uses_index"] and not q["full_scan"] else "NO",
            "yes" if q["temp_sort"] else "no",
            "yes" if q["p95_ms"] < 20 else "NO",
        ]
        for q in result["queries"]
    ]
    lines += _table(header, rows)
    lines += ["", "query plans:"]
    for q in result["queries"]:
        lines.append(f"  {q['query']}:")
        for sql, plan in q["plan"].items():
            lines.append(f"    {sql.split(' WHERE ')[0]} …: {'; '.join(plan)}")
    return "\n".join(lines)
