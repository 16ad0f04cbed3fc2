"""Web-service versions in production (contract §2): at most two, the old one retired in time.

A registry lists each version's production date and, for the old one, its end of life. Rules:

- never more than two versions;
- the newest one (the current version) has no end of life;
- the old one stays at least one month and at most six months after the new one's production date.

The end of life is the **last day served**, inclusive: the version is retired from 00:00
Europe/Paris the next day. So ``v2`` in production on 2026-09-01 allows ``v1`` an end of life
from 2026-09-30 (retired 2026-10-01, one month) to 2027-02-28 (retired 2027-03-01, six months).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gateway.domain.clock import PARIS

__all__ = [
    "DEFAULT_VERSIONS",
    "MAX_KEPT_MONTHS",
    "MAX_VERSIONS",
    "MIN_KEPT_MONTHS",
    "ApiVersion",
    "add_months",
    "check_registry",
    "current_version",
    "format_versions",
    "parse_versions",
]

MAX_VERSIONS = 2
MIN_KEPT_MONTHS = 1
MAX_KEPT_MONTHS = 6
_NAME = re.compile(r"^v[1-9][0-9]*$")


@dataclass(frozen=True)
class ApiVersion:
    """One version of the web services: ``v1``, its production date, its last day served if retiring."""

    name: str
    production: date
    end_of_life: date | None = None

    @property
    def retired_at(self) -> datetime | None:
        """The UTC instant from which the version answers ``VERSION_RETIREE`` (00:00 Paris after the end of life)."""
        if self.end_of_life is None:
            return None
        return datetime.combine(self.end_of_life + timedelta(days=1), time(0, 0), tzinfo=PARIS).astimezone(UTC)

    def is_retired(self, now: datetime) -> bool:
        retired_at = self.retired_at
        return retired_at is not None and now >= retired_at


#: v1 published in March 2024, v2 in production since 1 September 2026, v1 served until 28 February 2027.
DEFAULT_VERSIONS: tuple[ApiVersion, ...] = (
    ApiVersion("v1", date(2024, 3, 4), date(2027, 2, 28)),
    ApiVersion("v2", date(2026, 9, 1)),
)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def parse_versions(text: str) -> tuple[ApiVersion, ...]:
    """Read ``v1:2024-03-04:2027-02-28, v2:2026-09-01`` (name:production[:end of life], ISO dates).

    Raises ValueError saying which entry is wrong.
    """
    versions = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        parts = [p.strip() for p in entry.split(":")]
        if len(parts) not in (2, 3) or not _NAME.match(parts[0]):
            raise ValueError(f"« {entry} » : attendu version:production[:fin_de_vie], ex. v1:2024-03-04:2027-02-28")
        try:
            production = date.fromisoformat(parts[1])
            end_of_life = date.fromisoformat(parts[2]) if len(parts) == 3 and parts[2] else None
        except ValueError:
            raise ValueError(f"« {entry} » : les dates s'écrivent AAAA-MM-JJ") from None
        versions.append(ApiVersion(parts[0], production, end_of_life))
    return tuple(versions)


def format_versions(versions: tuple[ApiVersion, ...]) -> str:
    """The registry written back in the configuration syntax."""
    return ", ".join(
        f"{v.name}:{v.production.isoformat()}" + (f":{v.end_of_life.isoformat()}" if v.end_of_life else "")
        for v in versions
    )


def check_registry(versions: tuple[ApiVersion, ...]) -> tuple[ApiVersion, ...]:
    """The registry ordered oldest first, or ValueError saying which rule of contract §2 it breaks."""
    if not versions:
        raise ValueError("aucune version configurée : il en faut au moins une.")
    names = [v.name for v in versions]
    if len(set(names)) != len(names):
        raise ValueError(f"une version est listée deux fois ({', '.join(names)}).")
    if len(versions) > MAX_VERSIONS:
        raise ValueError(
            f"{len(versions)} versions configurées ({', '.join(names)}) : au plus {MAX_VERSIONS} sont "
            "en production (l'ancienne et la courante) ; retirez la plus ancienne de la configuration."
        )
    ordered = tuple(sorted(versions, key=lambda v: v.production))
    current = ordered[-1]
    if current.end_of_life is not None:
        raise ValueError(f"{current.name} est la version courante : elle ne peut pas avoir de fin de vie.")
    if len(ordered) == 2:
        old = ordered[0]
        if old.production == current.production:
            raise ValueError(f"{old.name} et {current.name} ont la même date de production.")
        if old.end_of_life is None:
            raise ValueError(
                f"{old.name} précède {current.name} : il lui faut une fin de vie (version:production:fin_de_vie)."
            )
        retired = old.end_of_life + timedelta(days=1)
        earliest = add_months(current.production, MIN_KEPT_MONTHS)
        latest = add_months(current.production, MAX_KEPT_MONTHS)
        if not earliest <= retired <= latest:
            too = "moins d'un mois" if retired < earliest else "plus de six mois"
            raise ValueError(
                f"la fin de vie de {old.name} ({old.end_of_life.isoformat()}) la garde {too} après la mise en "
                f"production de {current.name} ({current.production.isoformat()}) : elle doit tomber entre le "
                f"{(earliest - timedelta(days=1)).isoformat()} et le {(latest - timedelta(days=1)).isoformat()}."
            )
    return ordered


def current_version(versions: tuple[ApiVersion, ...]) -> ApiVersion:
    """The newest version by production date."""
    return max(versions, key=lambda v: v.production)
