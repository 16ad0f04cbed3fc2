"""The bases of the store's parts: ``StorePart`` (mixins of ``Store``, the reads outside transactions)
and ``Repository`` (one per aggregate, bound to a write transaction), one module per concern."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._sql import Transaction, pg_rows, sqlite_rows

__all__ = ["Repository", "StorePart"]


class StorePart:
    """What a part uses of the ``Store`` it is mixed into (defined there)."""

    if TYPE_CHECKING:

        @property
        def _db(self) -> Transaction: ...

        def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]: ...

        def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None: ...


class Repository:
    """One aggregate's writes, and the reads that decide them, inside a write transaction.

    Bound to the transaction (its methods take none): what a repository reads is what the
    transaction is about to change. On PostgreSQL a read that guards a row about to change locks it
    (``SELECT … FOR UPDATE``, see ``_for_update``); SQLite's write lock already serialises writers.
    """

    __slots__ = ("_db",)

    def __init__(self, db: Transaction) -> None:
        self._db = db

    def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        if self._db.postgresql:
            return pg_rows(self._db.conn, sql, params)  # type: ignore[arg-type]
        return sqlite_rows(self._db.conn, sql, params)  # type: ignore[arg-type]

    def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    @property
    def _for_update(self) -> str:
        """`` FOR UPDATE`` on PostgreSQL (the rows read are locked until the commit), nothing on SQLite."""
        return " FOR UPDATE" if self._db.postgresql else ""
