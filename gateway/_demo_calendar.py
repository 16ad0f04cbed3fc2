"""The demo's calendar: its form versions and web-service versions dated relative to the day it is built.

The repository's catalogue manifest and the default version registry carry fixed dates, written for
:data:`DEMO_REFERENCE_DAY`: that day, SIG_FTTH 1.0 and 2.0 cohabit, v1 is retiring and notices are
pending. A demo built on day D gets the same shape relative to D: the demo writes, in its data
folder, a copy of the catalogue whose production dates are moved by D minus the reference day, and
a settings file (``demo/calendar.ini``, section ``[demo]``) naming that catalogue and the version
registry moved the same way. Every ``esav`` command on that data folder reads it unless its own
configuration sets ``catalogue_dir`` or ``versions``. Built once, the calendar is kept: rebuilding a
demo keeps its dates, only a fresh demo folder moves them.
"""

from __future__ import annotations

import configparser
import dataclasses
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

from lxml import etree

from gateway.catalogue import default_catalogue_root
from gateway.config import Settings
from gateway.domain.clock import to_paris
from gateway.domain.versions import DEFAULT_VERSIONS, ApiVersion, format_versions, parse_versions

__all__ = ["DEMO_REFERENCE_DAY", "apply_demo_calendar", "demo_versions", "ensure_demo_calendar"]

#: The day the repository's catalogue manifest and the default version registry describe.
DEMO_REFERENCE_DAY = date(2026, 11, 18)
_CATALOGUE_NS = "urn:esav:catalogue"
_CALENDAR = Path("demo") / "calendar.ini"


def demo_versions(day: date) -> tuple[ApiVersion, ...]:
    """The default version registry moved so that it stands to ``day`` as it stands to the reference day."""
    shift = day - DEMO_REFERENCE_DAY
    return tuple(
        ApiVersion(v.name, v.production + shift, v.end_of_life + shift if v.end_of_life else None)
        for v in DEFAULT_VERSIONS
    )


def _write_catalogue(source: Path, target: Path, shift: timedelta) -> None:
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    manifest = target / "catalogue.xml"
    tree = etree.parse(str(manifest))
    for version in tree.getroot().iter(f"{{{_CATALOGUE_NS}}}version"):
        moved = date.fromisoformat(version.get("dateProduction")) + shift
        version.set("dateProduction", moved.isoformat())
    tree.write(str(manifest), xml_declaration=True, encoding="UTF-8")


def ensure_demo_calendar(settings: Settings, now: datetime) -> Settings:
    """Write the demo's calendar in its data folder if it has none (dated from ``now``, Paris day), then apply it."""
    path = settings.data_dir / _CALENDAR
    if not path.exists() and _configurable(settings):
        day = to_paris(now).date()
        catalogue_dir = settings.data_dir / "demo" / "catalogue"
        _write_catalogue(settings.catalogue_dir or default_catalogue_root(), catalogue_dir, day - DEMO_REFERENCE_DAY)
        path.write_text(
            "# Written by the demo: its catalogue and web-service versions, dated from the day it was built.\n"
            "[demo]\n"
            f"jour = {day.isoformat()}\n"
            f"catalogue_dir = {catalogue_dir.resolve()}\n"
            f"versions = {format_versions(demo_versions(day))}\n",
            encoding="utf-8",
        )
    return apply_demo_calendar(settings)


def apply_demo_calendar(settings: Settings) -> Settings:
    """``settings`` with the demo's catalogue and versions when its data folder holds a demo calendar
    and its configuration sets neither."""
    path = settings.data_dir / _CALENDAR
    if not path.is_file() or not _configurable(settings):
        return settings
    parser = configparser.ConfigParser()
    parser.read(path, encoding="utf-8")
    catalogue_dir = Path(parser.get("demo", "catalogue_dir"))
    if not catalogue_dir.is_dir():  # the folder was moved: its catalogue copy sits next to the calendar
        catalogue_dir = path.parent / "catalogue"
    return dataclasses.replace(
        settings, catalogue_dir=catalogue_dir, versions=parse_versions(parser.get("demo", "versions"))
    ).validate()


def _configurable(settings: Settings) -> bool:
    return settings.catalogue_dir is None and settings.versions == DEFAULT_VERSIONS
