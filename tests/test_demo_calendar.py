"""The demo keeps its shape on any day: a cohabitation, a retiring web-service version, pending notices."""

from __future__ import annotations

import configparser
from collections.abc import Iterator
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest
from support import CATALOGUE, DEFAULT_NOW, SessionPki, deposit, start_gateway, suite_now
from web_support import TECH, signed_in

from gateway.catalogue import Catalogue
from gateway.cli import main
from gateway.config import Settings
from gateway.demo import DEMO_REFERENCE_DAY, ensure_demo_calendar
from gateway.domain.clock import PARIS, to_paris
from gateway.domain.versions import DEFAULT_VERSIONS


@pytest.fixture(params=[datetime(2026, 12, 3, 10, 0, tzinfo=PARIS), datetime(2027, 7, 14, 10, 0, tzinfo=PARIS)])
def demo_later(request: pytest.FixtureRequest, tmp_path: Path, session_pki: SessionPki) -> Iterator[object]:
    """The demo built and served on a day after the repository's dates."""
    now = request.param
    calendar = ensure_demo_calendar(Settings(data_dir=tmp_path / "calendar"), now)
    assert calendar.catalogue_dir is not None
    live = start_gateway(
        tmp_path / "data",
        session_pki,
        now,
        catalogue_dir=calendar.catalogue_dir,
        settings_overrides={"versions": calendar.versions},
        web=True,
    )
    yield live
    live.stop()


def test_demo_built_later_still_shows_a_cohabitation_and_a_retiring_version(demo_later) -> None:
    """A demo built on 2026-12-03 or later accepts both SIG_FTTH versions and still serves v1, retiring."""
    live = demo_later
    v2 = live.client()
    assert deposit(v2, "FTTH_ACCES", version="1.0").etat == "EN_DEPOT"
    assert deposit(v2, "FTTH_ACCES", version="2.0").etat == "EN_DEPOT"
    assert deposit(live.client(version="v1"), "CUIVRE_DEGROUPAGE").etat == "EN_DEPOT"
    assert live.gateway.catalogue.accepted_versions("SIG_FTTH", live.clock.now()) == ("1.0", "2.0")
    news = unescape(signed_in(live, TECH).get("/actualites").text)  # its notices still to come
    assert "Maintenance du portail" in news and "la version 1.0 reste acceptée un mois" in news


def test_the_repository_calendar_alone_has_no_cohabitation_on_2026_12_03() -> None:
    """Without the demo's calendar, SIG_FTTH 1.0 is retired on 2026-12-03: the news would be wrong."""
    at = datetime(2026, 12, 3, 10, 0, tzinfo=PARIS)
    assert Catalogue.load(CATALOGUE).accepted_versions("SIG_FTTH", at) == ("2.0",)


def test_demo_built_on_the_reference_day_is_the_repository_calendar(tmp_path: Path) -> None:
    """Built on the reference day, the demo's catalogue and versions are the repository's own."""
    settings = ensure_demo_calendar(Settings(data_dir=tmp_path), DEFAULT_NOW)
    assert to_paris(DEFAULT_NOW).date() == DEMO_REFERENCE_DAY
    assert settings.versions == DEFAULT_VERSIONS
    assert settings.catalogue_dir is not None
    assert (settings.catalogue_dir / "catalogue.xml").read_bytes().count(b"2026-11-02") == 1
    repo = Catalogue.load(CATALOGUE)
    ours = Catalogue.load(settings.catalogue_dir)
    assert [(f.code, [v.date_production for v in f.versions]) for f in ours.forms()] == [
        (f.code, [v.date_production for v in f.versions]) for f in repo.forms()
    ]


def test_esav_demo_writes_its_calendar_once_and_every_command_reads_it(tmp_path: Path) -> None:
    """`esav demo` dates the demo from today, keeps those dates when run again, and settings follow them."""
    data = tmp_path / "data"
    assert main(["demo", "--donnees", str(data)]) == 0
    calendar = data / "demo" / "calendar.ini"
    first = calendar.read_text(encoding="utf-8")
    parser = configparser.ConfigParser()
    parser.read_string(first)
    assert parser.get("demo", "jour") == to_paris(suite_now()).date().isoformat()
    assert main(["demo", "--donnees", str(data)]) == 0
    assert calendar.read_text(encoding="utf-8") == first
    from gateway.cli._common import settings_from

    settings = settings_from(None, data)
    assert settings.catalogue_dir == data.resolve() / "demo" / "catalogue"
    retiring = settings.versions[0].end_of_life
    assert retiring is not None and retiring > suite_now().date()
    assert settings_from(None, data, catalogue_dir=CATALOGUE).catalogue_dir == CATALOGUE
