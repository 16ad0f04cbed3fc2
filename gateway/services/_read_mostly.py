"""Settings every deposit reads and hardly anyone writes, kept in memory: offers' launches and
contracts' end dates.

A deposit asked the store for both at each call (two statements, two round trips on PostgreSQL)
for values that change a few times a year. The copy is per database and per process:

- a write made in this process through the services (``OfferLaunchService.launch``,
  ``ContractEndService.end``, whichever ``Gateway`` on that database made it: the CLI's included)
  drops the copy at once;
- a write made by another process (another worker of ``esav servir --processus``, an ``esav
  portail`` command beside a running server) is seen within ``STALE_AFTER`` seconds, when the copy
  is read again (docs/decisions.md, "Serving SOAP calls fast").

The copy holds the stored dates, not decisions: whether a contract has ended or an offer is still
being set up is decided at each call by the clock, as before.
"""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any

from gateway.store import Store

__all__ = ["STALE_AFTER", "ReadMostly", "read_mostly"]

#: Seconds after which a copy is read again from the store (the bound on another process's write).
STALE_AFTER = 2.0


class ReadMostly:
    """The copies of one database's read-mostly settings in this process (``read_mostly(store)``)."""

    def __init__(self) -> None:
        # (time.monotonic() of the read, value), replaced whole: readers in other threads see either.
        self._launches: tuple[float, dict[str, date]] | None = None
        self._contract_ends: tuple[float, dict[str, dict[str, str]]] | None = None

    def offer_launches(self, store: Store) -> dict[str, date]:
        """Offer → the day it was launched commercially (offers without a recorded launch are absent)."""
        copy, now = self._launches, time.monotonic()
        if copy is None or now - copy[0] >= STALE_AFTER:
            copy = self._launches = (now, {launch.offer: launch.launched_on for launch in store.offer_launches()})
        return copy[1]

    def contract_ends(self, store: Store) -> dict[str, dict[str, str]]:
        """Operator → offer → the ISO day its contract ends (contracts without an end are absent)."""
        copy, now = self._contract_ends, time.monotonic()
        if copy is None or now - copy[0] >= STALE_AFTER:
            copy = self._contract_ends = (now, store.contract_ends())
        return copy[1]

    def forget(self) -> None:
        """Drop the copies: this process has just written them."""
        self._launches = self._contract_ends = None


_by_database: dict[Any, ReadMostly] = {}
_lock = threading.Lock()


def read_mostly(store: Store) -> ReadMostly:
    """The copies of ``store``'s database, shared by every ``Store`` on it in this process (a
    service takes them once, when it is built)."""
    url = store.url
    database = str(url.path.resolve()) if url.path is not None else url.conninfo
    with _lock:
        return _by_database.setdefault(database, ReadMostly())
