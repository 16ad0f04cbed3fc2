"""The catalogue a running gateway serves: the last *published* one, replaced in place when a new
one is published.

``esav catalogue publier`` lints the catalogue folder and records a publication in the store with
the content of its files. A gateway serves that content — at start-up as after a publication — never
the folder as it happens to be: an edit not yet published is not served, and an unpublished broken
XSD cannot stop a restart. Only when nothing was ever published (a fresh installation or demo) does
a gateway serve the folder as it is. Each gateway process polls for publications and reloads; a
catalogue that fails to load never replaces the one being served: the failure is logged and the
good catalogue keeps serving.

The published files are unpacked once per publication into ``DATA/published-catalogues/`` (the
catalogue and the portal read some files from disk on demand), a folder per publication shared by
the processes of the instance and never modified once in place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from gateway.catalogue import Catalogue
from gateway.errors import CatalogueError
from gateway.store import CataloguePublicationRecord, Store

from ._catalogue_service import catalogue_fingerprint, files_fingerprint

__all__ = ["CatalogueOrigin", "LiveCatalogue"]

log = logging.getLogger("gateway.catalogue")


@dataclass(frozen=True)
class CatalogueOrigin:
    """Where the served catalogue comes from, compared with the catalogue folder."""

    folder: Path
    #: The publication served; None when nothing was ever published and the folder is served as it is.
    publication: int | None
    #: The folder holds changes that were not published (and so are not served).
    folder_differs: bool

    def describe(self) -> str:
        if self.publication is None:
            return f"catalogue: nothing published yet, serving the folder {self.folder} as it is"
        if self.folder_differs:
            return (
                f"catalogue: serving publication {self.publication}; the folder {self.folder} has unpublished "
                "changes, not served until `esav catalogue publier`"
            )
        return f"catalogue: serving publication {self.publication}, identical to the folder {self.folder}"


def _unpack(publication: CataloguePublicationRecord, base: Path) -> Path:
    """The folder holding ``publication``'s files under ``base`` (``{id}-{fingerprint}``), written
    once and shared by every process; written to a staging folder first, then renamed into place."""
    fingerprint = files_fingerprint(publication.files)
    final = base / f"{publication.id}-{fingerprint[:16]}"
    if final.is_dir():
        if catalogue_fingerprint(final) == fingerprint:
            return final
        with contextlib.suppress(OSError):  # a damaged copy: set it aside, never serve it
            final.rename(base / f".{final.name}.damaged-{uuid.uuid4().hex[:8]}")
    base.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{publication.id}-", dir=base))
    for name, content in publication.files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            shutil.rmtree(staging, ignore_errors=True)
            raise CatalogueError(f"Publication {publication.id} du catalogue : chemin de fichier refusé « {name} ».")
        path = staging.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    try:
        staging.rename(final)
    except OSError:  # another process was first (or a damaged copy is in the way)
        if final.is_dir() and catalogue_fingerprint(final) == fingerprint:
            shutil.rmtree(staging, ignore_errors=True)
            return final
        return staging
    return final


class LiveCatalogue:
    """Behaves as the current ``Catalogue`` (attribute access is delegated to it)."""

    def __init__(
        self,
        catalogue: Catalogue,
        root: Path,
        store: Store,
        *,
        publication: CataloguePublicationRecord | None = None,
        unpack_dir: Path | None = None,
    ) -> None:
        self._current = catalogue
        self._root = root
        self._store = store
        self._lock = threading.Lock()
        self._seen = store.latest_catalogue_publication()
        self._served = publication
        self._unpack_dir = unpack_dir or Path(tempfile.gettempdir()) / "esav-published-catalogues"

    @classmethod
    def open(cls, root: Path, store: Store, unpack_dir: Path) -> LiveCatalogue:
        """The last published catalogue, its files unpacked under ``unpack_dir`` (the folder ``root``
        only when nothing was ever published)."""
        published = store.catalogue_publication()
        if published is None:
            return cls(Catalogue.load(root), root, store, unpack_dir=unpack_dir)
        catalogue = cls._load_publication(published, unpack_dir)
        return cls(catalogue, root, store, publication=published, unpack_dir=unpack_dir)

    @staticmethod
    def _load_publication(publication: CataloguePublicationRecord, unpack_dir: Path) -> Catalogue:
        try:
            unpacked = _unpack(publication, unpack_dir)
        except OSError as error:
            raise CatalogueError(
                f"Catalogue publié (publication {publication.id}) : impossible de l'écrire dans {unpack_dir} "
                f"({error.strerror or error})."
            ) from error
        try:
            return Catalogue.load(unpacked)
        except CatalogueError as error:  # name the publication, not the folder it was unpacked into
            problem = error.libelle.replace(f"{unpacked}{os.sep}", "").replace(str(unpacked), ".")
            raise CatalogueError(
                f"Catalogue publié illisible (publication {publication.id}) : {problem} ; publiez un "
                "catalogue corrigé (esav catalogue publier)."
            ) from error

    @property
    def current(self) -> Catalogue:
        return self._current

    @property
    def root(self) -> Path:
        """The catalogue folder (what ``esav catalogue publier`` publishes), not necessarily what is served."""
        return self._root

    def __getattr__(self, name: str) -> Any:
        return getattr(self._current, name)

    def origin(self) -> CatalogueOrigin:
        """The publication served and whether the folder differs from it (reads the whole folder)."""
        if self._served is None:
            return CatalogueOrigin(self._root, None, False)
        try:
            differs = catalogue_fingerprint(self._root) != files_fingerprint(self._served.files)
        except OSError:
            differs = True
        return CatalogueOrigin(self._root, self._served.id, differs)

    def refresh(self) -> bool:
        """Reload if a publication came since the last look; True when a new catalogue is served."""
        latest = self._store.latest_catalogue_publication()
        if latest <= self._seen:
            return False
        with self._lock:
            if latest <= self._seen:
                return False
            self._seen = latest
            publication = self._store.catalogue_publication(latest)
            try:
                if publication is not None and publication.files:
                    fresh = self._load_publication(publication, self._unpack_dir)
                else:  # recorded without its files (before they were kept): the folder, as before
                    fresh = Catalogue.load(self._root)
            except CatalogueError as error:
                log.error("catalogue publication %s refused, previous catalogue kept: %s", latest, error)
                return False
            self._current = fresh
            self._served = publication if publication is not None and publication.files else None
            log.info("catalogue publication %s loaded", latest)
            return True
