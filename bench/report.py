"""Plain-text tables of the figures ``run_http`` and ``run_scale`` return."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["http_table", "paired_table", "scale_table"]


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
        f"esav banc — {env['date']} — {env['cpus']} CPU ({env['cpu_model']}), Python {env['python']}",
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
        "targets (concurrency 32):",
    ]
    for name, check in result["targets"].items():
        lines.append(
            f"  {name:22} {_f(check['value'])} (target {check['target']}) {'met' if check['met'] else 'NOT met'}"
        )
    if result.get("engines"):
        lines += ["", "store engines, same run (PostgreSQL beside SQLite):"]
        header = [
            "operation",
            "c",
            "SQLite req/s",
            "PostgreSQL req/s",
            "PG/SQLite",
            "SQLite p99",
            "PG p99",
            "PG errors",
        ]
        rows = [
            [
                e["operation"],
                str(e["concurrency"]),
                _f(e["sqlite_rps"], 0),
                _f(e["postgresql_rps"], 0),
                _f(e["ratio"], 2),
                _f(e["sqlite_p99_ms"], 1),
                _f(e["postgresql_p99_ms"], 1),
                str(e["postgresql_errors"]),
            ]
            for e in result["engines"]
        ]
        lines += _table(header, rows)
        for e in result["engines"]:
            if "met" in e:
                lines.append(
                    f"  deposits on PostgreSQL at c=32: {_f(e['ratio'], 2)} of SQLite (target >= 0.7), "
                    f"p99 {_f(e['postgresql_p99_ms'], 1)} ms (target < 50): {'met' if e['met'] else 'NOT met'}"
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


def paired_table(result: dict[str, Any]) -> str:
    """Per concurrency: each pair's deposits/s, p99 and server CPU per request, then the medians."""
    env = result["environment"]
    lines = [
        f"esav banc --pair — {env['date']} — {env['cpus']} CPU ({env['cpu_model']}), Python {env['python']}",
        f"peer: {env['peer']}, {env['peer_threads']} threads; gateway workers: {env['workers'] or 'default'}",
        f"load average at start {env['load_average_at_start']}, at end {env['load_average_at_end']}",
    ]
    for side, slices in result["warmup"].items():
        lines.append(
            f"{side} warm-up: {len(slices)} slice(s) of {_f(slices[0]['seconds'])} s, CPU ms/req "
            + " → ".join(_f(s["cpu_ms_per_request"], 2) for s in slices)
        )
    header = ["pair", "peer dep/s", "gw dep/s", "gw/peer", "echo req/s", "peer p99", "gw p99", "echo p99"]
    header += ["peer CPU ms", "gw CPU ms", "echo CPU ms"]
    for summary in result["summary"]:
        concurrency = summary["concurrency"]
        rows = []
        for row in (r for r in result["pairs"] if r["concurrency"] == concurrency):
            peer, gateway, echo = row["peer"], row["gateway"], row["echo"]
            rows.append(
                [
                    str(row["pair"]),
                    _f(peer["rps"], 0),
                    _f(gateway["rps"], 0),
                    _f(row["gateway_vs_peer"]["rps"], 2),
                    _f(echo["rps"], 0),
                    _f(peer["p99_ms"], 1),
                    _f(gateway["p99_ms"], 1),
                    _f(echo["p99_ms"], 1),
                    _f(peer["server_cpu_ms_per_request"], 2),
                    _f(gateway["server_cpu_ms_per_request"], 2),
                    _f(echo["server_cpu_ms_per_request"], 2),
                ]
            )
        ratio = summary["gateway_vs_peer_rps"]
        lines += [
            "",
            f"deposits at concurrency {concurrency} (p99 in ms; server CPU per request):",
            *_table(header, rows),
        ]
        lines.append(
            f"gateway / peer deposits/s: median {_f(ratio['median'], 2)} over {summary['pairs']} pair(s) "
            f"(min {_f(ratio['min'], 2)}, max {_f(ratio['max'], 2)}); "
            f"p99 ×peer {_f(summary['gateway_vs_peer_p99_median'], 2)}, "
            f"CPU per deposit ×peer {_f(summary['gateway_vs_peer_cpu_median'], 2)}"
        )
        for side in ("peer", "gateway", "echo"):
            s = summary[side]
            lines.append(
                f"  {side:8} median {_f(s['rps_median'], 0)} req/s, p50 {_f(s['p50_ms_median'], 1)} ms, "
                f"p99 {_f(s['p99_ms_median'], 1)} ms (worst {_f(s['p99_ms_max'], 1)}), "
                f"CPU {_f(s['cpu_ms_per_request_median'], 2)} ms/req, {_f(s['cores_busy_median'], 2)} cores, "
                f"{s['errors']} errors"
            )
    memory = result["memory"]
    lines += [
        "",
        "server memory (peak RSS, MB): "
        + ", ".join(
            f"{side} {_f(memory[side]['peak_rss_mb'])} ({memory[side]['processes']} process(es))"
            for side in ("peer", "gateway", "echo")
        ),
    ]
    if result["notes"]:
        lines += ["", "notes:", *(f"  - {note}" for note in result["notes"])]
    return "\n".join(lines)
