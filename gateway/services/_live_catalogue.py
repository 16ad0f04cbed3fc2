"""The catalogue a running gateway serves, replaced in place when a new one is published.

``esav catalogue publish`` lints the catalogue folder and records a publication in the store;
each gateway process polls for it and reloads. A catalogue that fails to load never replaces the
one being served: the failure is logged and the good catalogue keeps serving.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from gateway.catalogue import Catalogue
from gateway.errors import CatalogueError
from gateway.store import Store

__all__ = ["LiveCatalogue"]

log = logging.getLogger("gateway.catalogue")


class LiveCatalogue:
    """Behaves as the current ``Catalogue`` (attribute access is delegated to it)."""

    def __init__(self, catalogue: Catalogue, root: Path, store: Store) -> None:
        self._current = catalogue
        self._root = root
        self._store = store
        self._lock = threading.Lock()
        self._seen = store.latest_catalogue_publication()

    @property
    def current(self) -> Catalogue:
        return self._current

    @property
    def root(self) -> Path:
        return self._root

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current, name)

    def refresh(self) -> bool:
        """Reload if a publication came since the last look; True when a new catalogue is served."""
        latest = self._store.latest_catalogue_publication()
        if latest <= self._seen:
            return False
        with self._lock:
            if latest <= self._seen:
                return False
            self._seen = latest
            try:
                fresh = Catalogue.load(self._root)
            except CatalogueError as error:
                log.error("catalogue publication %s refused, previous catalogue kept: %s", latest, error)
                return False
            self._current = fresh
            log.info("catalogue publication %s loaded from %s", latest, self._root)
            return True
