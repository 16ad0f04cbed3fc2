"""The bases of the store's parts: ``StorePart`` (mixins of ``Store``, the reads outside transactions)
and ``Repository`` (one per aggregate, bound to a write transaction), one module per concern."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._sql import Transaction, pg_rows, sqlite_rows

__all__ = ["KEY_LOGIN", "KEY_OPERATOR_FILE", "KEY_OPERATOR_REFERENCE", "Repository", "StorePart"]

#: Namespaces of the per-key locks (``Repository._lock_key``): an operator's own reference of a
#: deposit, a login, an operator file's name.
KEY_OPERATOR_REFERENCE, KEY_LOGIN, KEY_OPERATOR_FILE = 0x65530001, 0x65530002, 0x65530003


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
    transaction is about to change. On PostgreSQL, where writers of every process run side by side, a
    read that guards a row about to change locks it (``SELECT … FOR NO KEY UPDATE``, see
    ``_for_update``), and a read that guards a row not written yet (a resent deposit, a new login)
    first takes that key's lock (``_lock_key``); SQLite's write lock already serialises writers.
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
        """`` FOR NO KEY UPDATE`` on PostgreSQL (the rows read are locked until the commit against other
        writers, not against the foreign-key checks of rows that refer to them), nothing on SQLite."""
        return " FOR NO KEY UPDATE" if self._db.postgresql else ""

    def _lock_key(self, namespace: int, key: str) -> None:
        """PostgreSQL: hold ``key``'s lock until the commit (see ``Transaction.lock_key``); SQLite: nothing."""
        self._db.lock_key(namespace, key)
