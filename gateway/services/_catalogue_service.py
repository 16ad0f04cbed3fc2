"""The catalogue as operators and maintainers use it: forms and their status at an instant, XSD
texts, code lists (service ``catalogue``, contract §6), and publishing a new catalogue folder.

Reading goes through the catalogue being served (a ``LiveCatalogue`` in a running gateway), so a
publication reaches the catalogue service at the same moment as the deposit check.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from gateway.catalogue import Catalogue, CodeList, VersionStatus, lint
from gateway.domain.clock import Clock, to_paris
from gateway.errors import CatalogueError, ErrorDetail, UnknownCodeError, quote
from gateway.store import Store, StoreUrl

from ._form_notice import check_form_notices, declared_form_versions

__all__ = [
    "CatalogueService",
    "FormSchema",
    "FormVersionView",
    "FormView",
    "Publication",
    "catalogue_files",
    "catalogue_fingerprint",
    "files_fingerprint",
    "publish_catalogue",
    "publish_catalogue_in",
]


@dataclass(frozen=True)
class FormVersionView:
    """One version of a form as operators see it at one instant.

    ``date_production`` is the first day the version is accepted (from 00:00 Paris);
    ``date_fin_cohabitation`` the last day it is accepted (inclusive, Paris), known once a later
    version is planned.
    """

    version: str
    status: VersionStatus
    date_production: date
    date_fin_cohabitation: date | None


@dataclass(frozen=True)
class FormView:
    """A form of the catalogue with every version's status at one instant."""

    code: str
    titre: str
    offres: tuple[str, ...]
    namespace: str
    racine: str
    versions: tuple[FormVersionView, ...]


@dataclass(frozen=True)
class FormSchema:
    """The exact text of one form version's XSD."""

    code: str
    version: str
    xsd: str


class CatalogueService:
    """Read-only use cases on the catalogue being served; statuses use the gateway's clock."""

    def __init__(self, catalogue: Catalogue, clock: Clock) -> None:
        self._catalogue = catalogue
        self._clock = clock

    def forms(self, code_offre: str | None = None, at: datetime | None = None) -> tuple[FormView, ...]:
        """Every form (or those serving ``code_offre``), with statuses at ``at`` (default: now).

        Versions not yet in production are listed with status ``A_VENIR``, so that operators see
        what is coming during the notice period. An offer no form serves is an UnknownCodeError.
        """
        at = at or self._clock.now()
        forms = [f for f in self._catalogue.forms() if code_offre is None or code_offre in f.offres]
        if code_offre is not None and not forms:
            raise UnknownCodeError(f"Aucun formulaire pour l'offre {quote(code_offre)}", valeur=code_offre)
        return tuple(
            FormView(
                code=form.code,
                titre=form.titre,
                offres=form.offres,
                namespace=form.namespace,
                racine=form.racine,
                versions=tuple(
                    FormVersionView(
                        version=v.version,
                        status=form.status(v.version, at),
                        date_production=v.date_production,
                        date_fin_cohabitation=v.date_fin_cohabitation,
                    )
                    for v in form.versions
                ),
            )
            for form in forms
        )

    def form_schema(self, code: str, version: str) -> FormSchema:
        """The XSD text of a version, whatever its status (UnknownCodeError if there is none)."""
        return FormSchema(code, version, self._catalogue.xsd_text(code, version))

    def code_list(self, code: str) -> CodeList:
        """The code list ``code`` with every value and the day it was added (UnknownCodeError if none)."""
        return self._catalogue.nomenclature(code)


@dataclass(frozen=True)
class Publication:
    """A recorded publication: its id in the store and the fingerprint of the published files."""

    id: int
    fingerprint: str
    root: Path


def catalogue_files(root: Path) -> dict[str, bytes]:
    """Every file under ``root``: relative POSIX path → content (what a publication keeps)."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(p for p in root.rglob("*") if p.is_file())
    }


def files_fingerprint(files: Mapping[str, bytes]) -> str:
    """SHA-256 over relative paths (sorted) and contents."""
    digest = hashlib.sha256()
    for relative_path in sorted(files):
        relative, content = relative_path.encode("utf-8"), files[relative_path]
        digest.update(b"%d:%s\0%d:" % (len(relative), relative, len(content)))
        digest.update(content)
    return digest.hexdigest()


def catalogue_fingerprint(root: Path) -> str:
    """SHA-256 over every file under ``root``: relative paths (sorted) and contents."""
    return files_fingerprint(catalogue_files(root))


def publish_catalogue(store: Store, root: Path, *, author: str, clock: Clock) -> Publication:
    """Record the catalogue folder ``root`` as published, with the content of its files, so that
    running gateways reload it and every gateway started later serves it (not the folder as it is then).

    Refused with a CatalogueError listing every lint problem (file in ``chemin``, line in
    ``ligne``) or the loading error, and then nothing is recorded: a gateway never even tries a
    catalogue that the maintainers' checks refuse.
    """
    files = catalogue_files(root)
    problems = lint(root)
    if problems:
        plural = "s" if len(problems) > 1 else ""
        raise CatalogueError(
            f"Catalogue {root} refusé : {len(problems)} problème{plural}",
            details=[ErrorDetail(str(p.file), p.message, p.line) for p in problems],
        )
    catalogue = Catalogue.load(root)  # what the gateways will do: must succeed too
    if catalogue_files(root) != files:  # what was checked is what is kept
        raise CatalogueError(f"Catalogue {root} modifié pendant sa vérification : publication refusée, recommencez.")
    fingerprint = files_fingerprint(files)
    now = clock.now()
    today = to_paris(now).date()
    baseline = check_form_notices(store, catalogue, today)  # a new form version keeps its two months' notice
    with store.write() as tx:
        tx.offers.record_form_versions(declared_form_versions(catalogue), today, held=not baseline)
        publication_id = tx.catalogue.record_publication(author=author, fingerprint=fingerprint, at=now, files=files)
        tx.audit.add(
            at=now, actor=author, action="catalogue.publication", target=str(root),
            details={"publication": publication_id, "empreinte": fingerprint},
        )  # fmt: skip
    return Publication(publication_id, fingerprint, root)


def publish_catalogue_in(database: StoreUrl | Path, root: Path, *, author: str, clock: Clock) -> Publication:
    """``publish_catalogue`` on the gateway database at ``database`` (opened and closed here)."""
    store = Store(database)
    try:
        return publish_catalogue(store, root, author=author, clock=clock)
    finally:
        store.close()
