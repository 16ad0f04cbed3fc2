"""Migration: stored text that XML cannot carry, repaired with U+FFFD, each repaired row audited.

Before the doors refused them, a vertical tab pasted from a spreadsheet or a NUL typed on the portal
could be stored in a comment, a reason, a file name; a SOAP answer or a push holding it cannot be
written. This migration scans every TEXT column of every table, replaces each character XML 1.0
cannot carry (``gateway.domain.xml_text``) with U+FFFD, and records one ``audit`` row per repaired
row (action ``stockage.reparation_xml``, actor ``migration/<number>``, target ``<table>/<rowid>``,
details: the columns and how many characters each lost).

JSON columns (event payloads, audit details, order forms) hold such characters as ``\\u000b``
escapes: a candidate whose text is a JSON object or array is repaired value by value and written
back as JSON. SQLite filters the candidates (GLOB, and ``instr`` on the bytes for NUL), so the scan
reads only the rows to repair.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gateway.domain.xml_text import xml_safe

from ._db import to_ts
from ._sql import Transaction

__all__ = ["REPAIR_ACTION", "repair_non_xml_text"]

REPAIR_ACTION = "stockage.reparation_xml"

# C0 controls other than tab, LF, CR, then U+FFFE and U+FFFF; NUL cannot sit in a GLOB pattern.
_RAW_CLASS = "[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
# JSON escapes of the same (\u0000-\u001f, \ufffe, \uffff) and of surrogates (pairs are checked in Python).
_ESCAPES = ("*\\u00[01]?*", "*\\u[fF][fF][fF][eEfF]*", "*\\u[dD][89a-fA-F]??*")


def _candidates_sql(table: str, column: str) -> str:
    col = f'"{column}"'
    tests = [f"{col} GLOB '*{_RAW_CLASS}*'", f"instr(CAST({col} AS BLOB), X'00') > 0"]
    tests += [f"{col} GLOB '{pattern}'" for pattern in _ESCAPES]
    return f"SELECT rowid, {col} FROM \"{table}\" WHERE typeof({col}) = 'text' AND ({' OR '.join(tests)})"


def _repaired(text: str) -> tuple[str, int]:
    """The text with every character XML cannot carry replaced, JSON values included; how many were."""
    safe, count = xml_safe(text)
    if safe[:1] in ("{", "["):
        try:
            value = json.loads(safe)
        except ValueError:
            return safe, count
        value, inner = _repaired_value(value)
        if inner:
            return json.dumps(value, ensure_ascii=False), count + inner
    return safe, count


def _repaired_value(value: Any) -> tuple[Any, int]:
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        items = [_repaired_value(v) for v in value]
        return [v for v, _ in items], sum(n for _, n in items)
    if isinstance(value, dict):
        pairs = {k: _repaired_value(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, sum(n for _, n in pairs.values())
    return value, 0


def _text_columns(db: Transaction, table: str) -> list[str]:
    return [row[1] for row in db.conn.execute(f'PRAGMA table_info("{table}")') if str(row[2]).upper() == "TEXT"]


def repair_non_xml_text(db: Transaction, *, actor: str = "migration") -> int:
    """Repair every stored text XML cannot carry (in the caller's transaction); how many rows were repaired."""
    tables = [
        row[0]
        for row in db.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name != 'schema_migrations' ORDER BY name"
        )
    ]
    repairs: dict[tuple[str, int], dict[str, int]] = {}
    for table in tables:
        for column in _text_columns(db, table):
            for rowid, text in db.conn.execute(_candidates_sql(table, column)).fetchall():
                safe, count = _repaired(text)
                if count:
                    db.conn.execute(f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', [safe, rowid])
                    repairs.setdefault((table, rowid), {})[column] = count
    # Audited once everything is repaired: the audit table is scanned like the others.
    now = to_ts(datetime.now(UTC))
    for (table, rowid), columns in repairs.items():
        details = {"table": table, "rowid": rowid, "colonnes": columns, "remplacement": "U+FFFD"}
        db.conn.execute(
            "INSERT INTO audit (at, actor, action, target, details) VALUES (?, ?, ?, ?, ?)",
            [now, actor, REPAIR_ACTION, f"{table}/{rowid}", json.dumps(details, ensure_ascii=False, sort_keys=True)],
        )
    return len(repairs)
