"""When form versions were first published and when the provider launched its offers.

Two dates the seed rules run from: a new form version enters production at least two months after
it is first published (a minor evolution, e-SAV 12.1), and a new offer is set up for at least one
month from its commercial launch (e-SAV annex 1), whoever takes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ._parts import Repository, StorePart
from ._sql import Transaction

__all__ = ["OfferCalendarStore", "OfferLaunch", "OfferRepository", "create_offer_calendar_tables"]


@dataclass(frozen=True)
class OfferLaunch:
    offer: str
    launched_on: date
    author: str


def create_offer_calendar_tables(db: Transaction) -> None:
    db.table("form_version_publications").create(
        {"form_code": str, "version": str, "production": str, "first_published": str, "held": int},
        pk=("form_code", "version"),
        not_null={"production", "first_published", "held"},
    )
    db.table("offer_launches").create(
        {"offer": str, "launched_on": str, "author": str}, pk="offer", not_null={"launched_on", "author"}
    )


class OfferCalendarStore(StorePart):
    """Form versions as first published; offers' commercial launches."""

    def published_form_versions(self) -> dict[tuple[str, str], tuple[date, bool]]:
        """(form, version) → (the day it was first published, whether its notice applies); empty
        before the first publication, whose versions are the baseline (their notice is not ours to check)."""
        rows = self._rows("SELECT form_code, version, first_published, held FROM form_version_publications")
        return {
            (r["form_code"], r["version"]): (date.fromisoformat(r["first_published"]), bool(r["held"])) for r in rows
        }

    def offer_launch(self, offer: str) -> OfferLaunch | None:
        row = self._one("SELECT * FROM offer_launches WHERE offer = ?", [offer])
        return None if row is None else OfferLaunch(row["offer"], date.fromisoformat(row["launched_on"]), row["author"])

    def offer_launches(self) -> list[OfferLaunch]:
        rows = self._rows("SELECT * FROM offer_launches ORDER BY launched_on, offer")
        return [OfferLaunch(r["offer"], date.fromisoformat(r["launched_on"]), r["author"]) for r in rows]


class OfferRepository(Repository):
    """The offers' launch dates and the form versions a publication declares."""

    __slots__ = ()

    def set_launch(self, offer: str, launched_on: date, author: str) -> None:
        self._db.conn.execute(
            "INSERT INTO offer_launches (offer, launched_on, author) VALUES (?, ?, ?) "
            "ON CONFLICT (offer) DO UPDATE SET launched_on = excluded.launched_on, author = excluded.author",
            [offer, launched_on.isoformat(), author],
        )

    def record_form_versions(self, versions: dict[tuple[str, str], date], published: date, *, held: bool) -> None:
        """Remember each (form, version) → production day; one not yet known counts as first published on
        ``published`` (its notice applies when ``held``)."""
        self._db.conn.executemany(
            "INSERT INTO form_version_publications (form_code, version, production, first_published, held) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (form_code, version) DO UPDATE SET production = excluded.production",
            [
                (code, version, day.isoformat(), published.isoformat(), int(held))
                for (code, version), day in versions.items()
            ],
        )
