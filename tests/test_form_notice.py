"""A new form version is a minor evolution: it enters production two months after its publication at the earliest."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from support import CATALOGUE, suite_now

from gateway.cli import main
from gateway.domain.clock import PARIS, FixedClock, to_paris
from gateway.domain.versions import add_months
from gateway.errors import CatalogueError
from gateway.services import publish_catalogue
from gateway.store import Store


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the catalogue, served (``ESAV_CATALOGUE_DIR``) by an empty gateway database in ``data``."""
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, target)
    (tmp_path / "data").mkdir()
    Store(tmp_path / "data" / "esav.db").close()
    monkeypatch.setenv("ESAV_CATALOGUE_DIR", str(target))
    return target


def add_cuivre_1_1(root: Path, production: date) -> None:
    """Declare SIG_CUIVRE 1.1 (a copy of 1.0) entering production on ``production``."""
    manifest = root / "catalogue.xml"
    text = manifest.read_text(encoding="utf-8")
    if 'numero="1.1"' in text:
        start = text.index('<version numero="1.1"')
        text = text[:start] + text[text.index("/>", start) + 2 :]
    anchor = '<offre code="CUIVRE_DEGROUPAGE"/>\n    <version numero="1.0" dateProduction="2025-01-01"/>'
    assert anchor in text
    text = text.replace(anchor, f'{anchor}\n    <version numero="1.1" dateProduction="{production.isoformat()}"/>')
    manifest.write_text(text, encoding="utf-8")
    forms = root / "forms" / "SIG_CUIVRE"
    shutil.copy(forms / "1.0.xsd", forms / "1.1.xsd")
    shutil.copy(forms / "1.0.example.xml", forms / "1.1.example.xml")


def publish(capsys: pytest.CaptureFixture[str], data: Path) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["catalogue", "publier", "--donnees", str(data), "--auteur", "mainteneur"])
    return status, capsys.readouterr().err


def test_esav_catalogue_publish_holds_a_new_form_version_to_two_months_notice(capsys, served, tmp_path) -> None:
    """After the baseline, `esav catalogue publier` refuses a version due within two months, naming the earliest day."""
    data = tmp_path / "data"
    assert publish(capsys, data)[0] == 0  # the baseline: the catalogue as it stands
    today = to_paris(suite_now()).date()
    earliest = add_months(today, 2)
    add_cuivre_1_1(served, earliest - timedelta(days=1))
    status, err = publish(capsys, data)
    assert status != 0
    assert f"au plus tôt le {earliest:%d/%m/%Y}" in err and "SIG_CUIVRE 1.1" in err, err
    add_cuivre_1_1(served, earliest)
    status, err = publish(capsys, data)
    assert status == 0, err


def test_an_announced_form_version_cannot_be_brought_forward(served, tmp_path) -> None:
    """Published on 18/11/2026 for 18/01/2027, SIG_CUIVRE 1.1 cannot later move to 10/01/2027, even a month on."""
    store = Store(tmp_path / "data" / "esav.db")
    clock = FixedClock(datetime(2026, 11, 18, 10, 0, tzinfo=PARIS))
    try:
        publish_catalogue(store, served, author="mainteneur", clock=clock)
        add_cuivre_1_1(served, date(2027, 1, 18))
        publish_catalogue(store, served, author="mainteneur", clock=clock)
        clock.advance(timedelta(days=30))
        add_cuivre_1_1(served, date(2027, 1, 10))
        with pytest.raises(CatalogueError) as caught:
            publish_catalogue(store, served, author="mainteneur", clock=clock)
        assert "au plus tôt le 18/01/2027" in caught.value.details[0].libelle
    finally:
        store.close()
