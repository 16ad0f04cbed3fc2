"""Which versions of a form are accepted at a given instant.

The manifest stores only each version's production date; everything else is derived:

- a version enters production at 00:00 Europe/Paris on its production date;
- when version N+1 enters production, version N is in cohabitation: it stays accepted through the
  whole of the day one calendar month after N+1's production date (Paris time), its
  ``date_fin_cohabitation``, and is retired from 00:00 Europe/Paris the next day. One calendar month
  after a day that does not exist in the next month is that month's last day (31 January → 28 or
  29 February).

Example: SIG_FTTH 2.0 enters production on 2026-11-02, so 1.0 is accepted up to 2026-12-02
23:59:59.999 Paris and retired from 2026-12-03 00:00 Paris.

At most two versions of a form may be accepted at one instant: a manifest where a version enters
production while two earlier ones are still accepted is refused at load.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path

from gateway.domain.clock import PARIS

from ._xml import catalogue_error, form_namespace


class VersionStatus(StrEnum):
    """Where a form version stands at one instant (wire values of ``listerFormulaires``)."""

    A_VENIR = "A_VENIR"
    EN_VIGUEUR = "EN_VIGUEUR"
    EN_COHABITATION = "EN_COHABITATION"
    RETIRE = "RETIRE"

    @property
    def accepted(self) -> bool:
        """Whether a deposit may use a version in this status."""
        return self in (VersionStatus.EN_VIGUEUR, VersionStatus.EN_COHABITATION)


@dataclass(frozen=True)
class FormVersion:
    """One version of a form: its number, production day and last day of cohabitation (None while
    no later version is planned)."""

    version: str
    date_production: date
    date_fin_cohabitation: date | None = None

    @property
    def debut(self) -> datetime:
        """The instant the version enters production (00:00 Paris on its production day)."""
        return paris_midnight(self.date_production)

    @property
    def fin(self) -> datetime | None:
        """The instant the version is retired (00:00 Paris after its last day), if planned."""
        if self.date_fin_cohabitation is None:
            return None
        return paris_midnight(self.date_fin_cohabitation + timedelta(days=1))

    def status(self, at: datetime, successor: FormVersion | None) -> VersionStatus:
        """This version's status at ``at``, given the next version (None if there is none)."""
        if at < self.debut:
            return VersionStatus.A_VENIR
        if successor is None or at < successor.debut:
            return VersionStatus.EN_VIGUEUR
        fin = self.fin
        if fin is not None and at < fin:
            return VersionStatus.EN_COHABITATION
        return VersionStatus.RETIRE


@dataclass(frozen=True)
class Form:
    """A form of the catalogue: code, French title, offers it serves, versions oldest first, and
    the root element (local name) that every version shares, in namespace ``urn:esav:formulaire:{code}``."""

    code: str
    titre: str
    offres: tuple[str, ...]
    versions: tuple[FormVersion, ...]
    racine: str = ""

    @property
    def namespace(self) -> str:
        """The target namespace shared by all versions of the form."""
        return form_namespace(self.code)

    def get_version(self, version: str) -> FormVersion | None:
        """The version numbered ``version``, or None."""
        return next((v for v in self.versions if v.version == version), None)

    def successor(self, version: str) -> FormVersion | None:
        """The version after ``version``, or None."""
        numbers = [v.version for v in self.versions]
        index = numbers.index(version)
        return self.versions[index + 1] if index + 1 < len(self.versions) else None

    def status(self, version: str, at: datetime) -> VersionStatus:
        """The status of ``version`` (which must exist) at ``at``."""
        found = self.get_version(version)
        if found is None:
            raise KeyError(version)
        return found.status(require_aware(at), self.successor(version))

    def version_in_force(self, at: datetime) -> FormVersion | None:
        """The newest version in production at ``at`` (None before the first one)."""
        at = require_aware(at)
        started = [v for v in self.versions if v.debut <= at]
        return started[-1] if started else None

    def accepted_versions(self, at: datetime) -> tuple[FormVersion, ...]:
        """The versions a deposit may use at ``at`` (one, or two during a cohabitation)."""
        return tuple(v for v in self.versions if self.status(v.version, at).accepted)


def add_one_month(day: date) -> date:
    """The same day one calendar month later, clamped to the end of a shorter month."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def paris_midnight(day: date) -> datetime:
    """00:00 Europe/Paris on ``day``, as an aware datetime."""
    return datetime.combine(day, time(0), PARIS)


def require_aware(at: datetime) -> datetime:
    """``at`` itself; a naive datetime is a programming error (whose clock would it be?)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("une date avec fuseau horaire est requise (datetime aware)")
    return at


def version_key(version: str) -> tuple[int, ...]:
    """Sort key of a version number such as ``"1.10"`` (numeric, not textual)."""
    return tuple(int(part) for part in version.split("."))


def build_versions(
    code: str, declared: list[tuple[str, date]], source: Path, line: int | None
) -> tuple[FormVersion, ...]:
    """Order a form's versions, derive each cohabitation end, refuse impossible manifests.

    ``declared`` is (version, production day) as the manifest lists them. Refused: versions whose
    numbers and production days are not in the same order, two versions on the same day, and a
    version entering production while two earlier ones are still accepted.
    """
    by_date = sorted(declared, key=lambda item: item[1])
    by_number = sorted(declared, key=lambda item: version_key(item[0]))
    if by_date != by_number or len({d for _, d in declared}) != len(declared):
        raise catalogue_error(
            source,
            line,
            f"formulaire {code} : les versions doivent entrer en production dans l'ordre de leurs "
            "numéros, à des dates distinctes",
        )
    versions = [
        FormVersion(
            version=number,
            date_production=day,
            date_fin_cohabitation=add_one_month(by_date[i + 1][1]) if i + 1 < len(by_date) else None,
        )
        for i, (number, day) in enumerate(by_date)
    ]
    for older, newer in zip(versions, versions[2:], strict=False):
        fin = older.fin
        if fin is not None and newer.debut < fin:
            middle = versions[versions.index(older) + 1]
            raise catalogue_error(
                source,
                line,
                f"formulaire {code} : les versions {older.version}, {middle.version} et {newer.version} "
                f"seraient acceptées ensemble le {newer.date_production.isoformat()} ({older.version} est "
                f"acceptée jusqu'au {older.date_fin_cohabitation}) ; au plus deux versions d'un formulaire "
                "sont acceptées à la fois",
            )
    return tuple(versions)
