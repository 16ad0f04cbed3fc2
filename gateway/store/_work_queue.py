"""The provider's after-sales work queue: tickets across operators, their freezes, their last transition."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._db import from_ts, to_ts
from ._line_tests import LineTestRecord, _line_test
from ._parts import StorePart
from ._records import TicketRecord

__all__ = ["QueueFilter", "WorkQueueStore"]

# Columns of a queue row: everything of the ticket but its form (the list never shows it).
_COLUMNS = (
    "id, reference, operator_code, reference_operateur, content_hash, prestation, code_offre, gravite, "
    "form_code, form_version, '' AS form_xml, commentaire, gtr, state, state_at, deposited_at, closed_at, "
    "rejection_code, closure_code, freeze_code, api_version"
)
_CHUNK = 500  # SQLite's bound-parameter limit is far above, but keep statements small


@dataclass(frozen=True)
class QueueFilter:
    """What the after-sales agent narrows the queue to; None (or empty) means any."""

    states: tuple[str, ...] = ()
    operator_code: str | None = None
    code_offre: str | None = None
    gravite: str | None = None
    deposited_from: datetime | None = None
    deposited_to: datetime | None = None
    search: str | None = None  # our reference or the operator's, exactly


class WorkQueueStore(StorePart):
    """Reads of the work queue; the writes are the lifecycle's (transitions, comments, attachments)."""

    def queue_tickets(self, where: QueueFilter) -> list[TicketRecord]:
        """Every ticket matching ``where`` (without its form), in deposit order."""
        clause, params = _where(where, with_states=True)
        rows = self._rows(f"SELECT {_COLUMNS} FROM tickets WHERE {clause} ORDER BY deposited_at, id", params)
        return [
            TicketRecord(
                **{
                    **r,
                    "state_at": from_ts(r["state_at"]),
                    "deposited_at": from_ts(r["deposited_at"]),
                    "closed_at": from_ts(r["closed_at"]),
                }
            )
            for r in rows
        ]

    def queue_state_counts(self, where: QueueFilter) -> dict[str, int]:
        """How many tickets match ``where`` in each state, the state filter itself left aside."""
        clause, params = _where(where, with_states=False)
        rows = self._rows(f"SELECT state, COUNT(*) AS n FROM tickets WHERE {clause} GROUP BY state", params)
        return {r["state"]: int(r["n"]) for r in rows}

    def freeze_moves(self, ticket_ids: Iterable[int]) -> dict[int, list[tuple[str | None, str, datetime]]]:
        """The transitions into or out of GELE of each ticket, in order: (from_state, to_state, at)."""
        ids = list(ticket_ids)
        moves: dict[int, list[tuple[str | None, str, datetime]]] = {i: [] for i in ids}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            rows = self._rows(
                f"SELECT ticket_id, from_state, to_state, at FROM transitions WHERE ticket_id IN "
                f"({','.join('?' * len(chunk))}) AND (to_state = 'GELE' OR from_state = 'GELE') ORDER BY id",
                chunk,
            )
            for r in rows:
                at = from_ts(r["at"])
                assert at is not None
                moves[r["ticket_id"]].append((r["from_state"], r["to_state"], at))
        return moves

    def line_tests_of_prestation(self, prestation: str, limit: int = 20) -> list[LineTestRecord]:
        """The prestation's latest line tests, newest first (what the agent reads beside a ticket)."""
        rows = self._rows("SELECT * FROM line_tests WHERE prestation = ? ORDER BY id DESC LIMIT ?", [prestation, limit])
        return [_line_test(r) for r in rows]


def _where(where: QueueFilter, *, with_states: bool) -> tuple[str, list[Any]]:
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    if with_states and where.states:
        clauses.append(f"state IN ({','.join('?' * len(where.states))})")
        params.extend(where.states)
    for column, value in (
        ("operator_code", where.operator_code),
        ("code_offre", where.code_offre),
        ("gravite", where.gravite),
    ):
        if value:
            clauses.append(f"{column} = ?")
            params.append(value)
    if where.deposited_from is not None:
        clauses.append("deposited_at >= ?")
        params.append(to_ts(where.deposited_from))
    if where.deposited_to is not None:
        clauses.append("deposited_at <= ?")
        params.append(to_ts(where.deposited_to))
    if where.search:
        clauses.append("(reference = ? OR reference_operateur = ?)")
        params.extend([where.search, where.search])
    return " AND ".join(clauses), params
