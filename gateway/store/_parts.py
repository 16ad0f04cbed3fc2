"""The base of the store's parts (mixins of ``Store`` kept in their own modules, one per concern)."""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from ._sql import Transaction

__all__ = ["StorePart"]


class StorePart:
    """What a part uses of the ``Store`` it is mixed into (defined there)."""

    if TYPE_CHECKING:

        def write(self) -> AbstractContextManager[Transaction]: ...

        @property
        def _db(self) -> Transaction: ...

        def _rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]: ...

        def _one(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None: ...
