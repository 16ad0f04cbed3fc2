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
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateway.store import Store

__all__ = ["STALE_AFTER", "contract_ends", "forget", "offer_launches"]

#: Seconds after which a copy is read again from the store (the bound on another process's write).
STALE_AFTER = 2.0

_LAUNCHES = "offer_launches"
_CONTRACT_ENDS = "contract_ends"


@dataclass(frozen=True)
class _Copy:
    read_at: float  # time.monotonic()
    value: Any


_copies: dict[tuple[str, str], _Copy] = {}
_lock = threading.Lock()
_databases: weakref.WeakKeyDictionary[Store, str] = weakref.WeakKeyDictionary()


def _database(store: Store) -> str:
    """The database the store opens, the same for every ``Store`` on it in this process."""
    database = _databases.get(store)
    if database is None:
        url = store.url
        database = _databases[store] = str(url.path.resolve()) if url.path is not None else url.conninfo
    return database


def _read(store: Store, kind: str, load: Callable[[], Any]) -> Any:
    key = (_database(store), kind)
    copy = _copies.get(key)
    now = time.monotonic()
    if copy is None or now - copy.read_at >= STALE_AFTER:
        copy = _Copy(now, load())
        with _lock:
            _copies[key] = copy
    return copy.value


def offer_launches(store: Store) -> dict[str, date]:
    """Offer → the day it was launched commercially (offers without a recorded launch are absent)."""
    return _read(store, _LAUNCHES, lambda: {launch.offer: launch.launched_on for launch in store.offer_launches()})


def contract_ends(store: Store) -> dict[str, dict[str, str]]:
    """Operator → offer → the ISO day its contract ends (contracts without an end are absent)."""
    return _read(store, _CONTRACT_ENDS, store.contract_ends)


def forget(store: Store) -> None:
    """Drop the copies of ``store``'s database: this process has just written them."""
    database = _database(store)
    with _lock:
        for key in [key for key in _copies if key[0] == database]:
            del _copies[key]
