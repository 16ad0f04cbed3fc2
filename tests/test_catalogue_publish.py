"""``esav catalogue publier`` against a running gateway: new versions without a restart, and a broken
catalogue that never replaces the one being served."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from lxml import etree
from support import (
    CATALOGUE,
    DEFAULT_NOW,
    ESAV,
    LiveGateway,
    SessionPki,
    clean_env,
    deposit,
    eventually,
    fault_code,
    in_reactor,
    reactor,
    running,
    start_gateway,
    suite_now,
    wait_until_serving,
)
from test_catalogue_tools import break_compile, edit

from gateway.adapters.ports import free_port
from gateway.cli import main
from gateway.config import Settings
from gateway.domain.clock import FixedClock
from gateway.errors import CatalogueError
from gateway.server import PkiFiles, start
from gateway.services import Gateway, catalogue_files, publish_catalogue_in
from gateway.store import Store


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A copy of the catalogue that the gateway under test serves and the maintainer edits."""
    target = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, target)
    return target


@pytest.fixture
def live_copy(tmp_path: Path, session_pki: SessionPki, served: Path) -> Iterator[LiveGateway]:
    """A demo gateway on loopback serving the ``served`` copy (clock at 18/11/2026 10:00 Paris)."""
    server = start_gateway(tmp_path / "data", session_pki, catalogue_dir=served)
    try:
        yield server
    finally:
        server.stop()


def add_cuivre_1_1(root: Path, production: str = "2026-11-16") -> None:
    """Declare SIG_CUIVRE 1.1, in production since ``production`` (16/11/2026), with its schema and example."""
    edit(
        root / "catalogue.xml",
        '<offre code="CUIVRE_DEGROUPAGE"/>\n    <version numero="1.0" dateProduction="2025-01-01"/>',
        '<offre code="CUIVRE_DEGROUPAGE"/>\n    <version numero="1.0" dateProduction="2025-01-01"/>\n'
        f'    <version numero="1.1" dateProduction="{production}"/>',
    )
    forms = root / "forms" / "SIG_CUIVRE"
    shutil.copy(forms / "1.0.xsd", forms / "1.1.xsd")
    shutil.copy(forms / "1.0.example.xml", forms / "1.1.example.xml")


def publish(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, live: LiveGateway) -> tuple[int, str]:
    """Run ``esav catalogue publier`` on the live gateway's data and served folder; (status, stderr)."""
    monkeypatch.setenv("ESAV_CATALOGUE_DIR", str(live.gateway.live_catalogue.root))
    capsys.readouterr()
    status = main(["catalogue", "publier", "--donnees", str(live.data_dir), "--auteur", "mainteneur"])
    return status, capsys.readouterr().err


def cuivre_versions(live: LiveGateway) -> dict[str, str]:
    """SIG_CUIVRE's versions and statuses as the catalogue service lists them now."""
    [form] = live.client(service="catalogue").service.listerFormulaires(codeOffre="CUIVRE_DEGROUPAGE")
    return {v.version: v.statut for v in form.versions.versionFormulaire}


def deposit_from(root: Path, live: LiveGateway, offer: str, version: str) -> Any:
    """Deposit OPE001's ticket for ``offer`` with the example of ``version`` found under ``root``."""
    code = {"CUIVRE_DEGROUPAGE": "SIG_CUIVRE", "FTTH_ACCES": "SIG_FTTH"}[offer]
    form = etree.parse(str(root / "forms" / code / f"{version}.example.xml")).getroot()
    return deposit(live.client(), offer, version=version, form=form)


@pytest.mark.sqlite_file
def test_published_version_is_served_without_restart(capsys, monkeypatch, live_copy, served):
    """After publish, the gateway's own polling serves SIG_CUIVRE 1.1: listed, fetched and accepted in deposits."""
    add_cuivre_1_1(served)
    with pytest.raises(zeep.exceptions.Fault) as caught:
        deposit_from(served, live_copy, "CUIVRE_DEGROUPAGE", "1.1")
    assert fault_code(caught.value) == "FORMULAIRE_INVALIDE"  # edited on disk, not yet published

    status, err = publish(capsys, monkeypatch, live_copy)
    assert status == 0, err
    assert eventually(lambda: "1.1" in cuivre_versions(live_copy)), "the poll never loaded the publication"

    assert cuivre_versions(live_copy) == {"1.0": "EN_COHABITATION", "1.1": "EN_VIGUEUR"}
    xsd = live_copy.client(service="catalogue").service.obtenirFormulaire("SIG_CUIVRE", "1.1").xsd
    assert xsd.encode("utf-8") == (served / "forms" / "SIG_CUIVRE" / "1.1.xsd").read_bytes()
    assert deposit_from(served, live_copy, "CUIVRE_DEGROUPAGE", "1.1").etat == "EN_DEPOT"
    assert deposit_from(served, live_copy, "CUIVRE_DEGROUPAGE", "1.0").etat == "EN_DEPOT"  # cohabitation


@pytest.mark.sqlite_file
def test_broken_catalogue_is_refused_and_the_good_one_keeps_serving(capsys, monkeypatch, live_copy, served):
    """A broken XSD: publish refuses and records nothing; even a forced publication leaves the served catalogue."""
    add_cuivre_1_1(served)
    assert publish(capsys, monkeypatch, live_copy)[0] == 0
    live_copy.gateway.refresh_catalogue()
    assert "1.1" in cuivre_versions(live_copy)
    good = live_copy.gateway.live_catalogue.current
    published = live_copy.gateway.store.latest_catalogue_publication()

    file, _, line = break_compile(served)
    status, err = publish(capsys, monkeypatch, live_copy)
    assert status != 0
    assert f"{file}:{line}: " in err
    assert live_copy.gateway.store.latest_catalogue_publication() == published

    # Someone bypasses the CLI: the gateway tries the folder, fails, and keeps what it had.
    with live_copy.gateway.store.write() as tx:
        tx.catalogue.record_publication(author="forcé", fingerprint="0" * 64, at=live_copy.clock.now())
    assert live_copy.gateway.refresh_catalogue() is False
    assert live_copy.gateway.live_catalogue.current is good
    assert cuivre_versions(live_copy) == {"1.0": "EN_COHABITATION", "1.1": "EN_VIGUEUR"}
    xsd = live_copy.client(service="catalogue").service.obtenirFormulaire("SIG_FTTH", "1.0").xsd
    assert xsd.encode("utf-8") == (CATALOGUE / "forms" / "SIG_FTTH" / "1.0.xsd").read_bytes()  # not the broken file
    assert deposit_from(CATALOGUE, live_copy, "FTTH_ACCES", "1.0").etat == "EN_DEPOT"
    assert deposit_from(served, live_copy, "CUIVRE_DEGROUPAGE", "1.1").etat == "EN_DEPOT"


def restarted(live: LiveGateway, folder: Path) -> LiveGateway:
    """Stop ``live`` and start a new gateway on the same data, clock and catalogue folder (a restart)."""
    live.stop()
    settings = Settings(data_dir=live.data_dir, port=0, metrics_port=0, catalogue_dir=folder, sweep_interval_s=3600)
    gateway = Gateway.open(settings.database, catalogue_dir=folder, clock=live.clock)
    running = in_reactor(start, gateway, settings, PkiFiles.in_dir(live.data_dir / "pki"), reactor)
    return LiveGateway(running, live.clock, live.data_dir, live.pki)


def test_restart_serves_the_published_catalogue_not_the_edited_folder(
    capsys, monkeypatch, caplog, tmp_path, session_pki, served
):
    """An edit of the folder not published is not served after a restart, and start-up says the folder differs."""
    live = start_gateway(tmp_path / "data", session_pki, catalogue_dir=served)
    try:
        assert live.gateway.catalogue_origin().publication is None  # fresh: the folder is served as it is
        status, err = publish(capsys, monkeypatch, live)
        assert status == 0, err
        # Edited on disk, never published; dated past the two months' notice a new form version is owed
        # from its publication (``publish`` reads the suite's clock), so that publishing it later is allowed.
        add_cuivre_1_1(served, production=(suite_now() + timedelta(days=100)).date().isoformat())
        with caplog.at_level(logging.INFO, logger="gateway.server"):
            live = restarted(live, served)
        assert cuivre_versions(live) == {"1.0": "EN_VIGUEUR"}
        with pytest.raises(zeep.exceptions.Fault) as caught:
            deposit_from(served, live, "CUIVRE_DEGROUPAGE", "1.1")
        assert fault_code(caught.value) == "FORMULAIRE_INVALIDE"
        origin = live.gateway.catalogue_origin()
        assert origin.publication is not None and origin.folder_differs
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("unpublished changes" in m and str(served) in m for m in warnings), warnings

        status, err = publish(capsys, monkeypatch, live)  # published now: served, and the folder matches
        assert status == 0, err
        live.gateway.refresh_catalogue()  # the gateway's own poll (every second) may have loaded it already
        assert cuivre_versions(live) == {"1.0": "EN_VIGUEUR", "1.1": "A_VENIR"}
        assert not live.gateway.catalogue_origin().folder_differs
    finally:
        live.stop()


@pytest.mark.slow  # runs esav demo, publish and serve in subprocesses
def test_serve_starts_on_the_published_catalogue_despite_a_broken_unpublished_xsd(tmp_path, monkeypatch):
    """`esav servir` with a broken XSD in the folder, not published: starts, says so, serves the published XSD."""
    data, folder = tmp_path / "data", tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, folder)
    env = {**clean_env(), "ESAV_CATALOGUE_DIR": str(folder)}
    # The demo and the publication run in-process: serve's start-up is what this test is about.
    monkeypatch.setenv("ESAV_CATALOGUE_DIR", str(folder))
    for command in (["demo"], ["catalogue", "publier", "--auteur", "mainteneur"]):
        assert main([*command, "--donnees", str(data)]) == 0, command
    broken, _, _ = break_compile(folder)
    port = free_port()
    log = tmp_path / "serve.log"
    with running(
        [*ESAV, "servir", "--donnees", str(data), "--port", str(port)], log, env=env, stop_timeout_s=20
    ) as server:
        wait_until_serving(server, port, data / "pki", log)
        assert "unpublished changes" in log.read_text(encoding="utf-8")
        session = requests.Session()
        session.trust_env = False
        session.verify = str(data / "pki" / "ca.pem")
        session.cert = (str(data / "pki" / "OPE001.pem"), str(data / "pki" / "OPE001.key"))
        catalogue = zeep.Client(
            f"https://localhost:{port}/esav/v2/catalogue?wsdl", transport=zeep.Transport(session=session, timeout=10)
        )
        xsd = catalogue.service.obtenirFormulaire("SIG_FTTH", "1.0").xsd
        assert xsd.encode("utf-8") == (CATALOGUE / "forms" / "SIG_FTTH" / "1.0.xsd").read_bytes()
        assert xsd.encode("utf-8") != broken.read_bytes()


def test_unloadable_publication_names_the_publication(tmp_path, served):
    """Published content that does not load stops start-up naming the publication, not where it was unpacked."""
    store = Store(tmp_path / "esav.db")
    files = catalogue_files(served)
    files["forms/SIG_FTTH/1.0.xsd"] = b"<xs:schema"
    with store.write() as tx:
        tx.catalogue.record_publication(author="forcé", fingerprint="0" * 64, at=datetime.now(UTC), files=files)
    store.close()
    with pytest.raises(CatalogueError, match=r"publication 1\b") as caught:
        Gateway.open(tmp_path / "esav.db", catalogue_dir=served)
    message = str(caught.value)
    assert "(publication 1) : forms/SIG_FTTH/1.0.xsd:1: " in message
    assert "published-catalogues" not in message


def test_a_damaged_unpacked_copy_is_not_served(tmp_path, served):
    """A file changed in the unpacked copy of a publication is not served: it is set aside and unpacked afresh."""
    database = tmp_path / "esav.db"
    publish_catalogue_in(database, served, author="mainteneur", clock=FixedClock(DEFAULT_NOW))
    original = (served / "forms" / "SIG_FTTH" / "1.0.xsd").read_text(encoding="utf-8")
    gateway = Gateway.open(database, catalogue_dir=served)
    gateway.close()
    [copy] = (tmp_path / "published-catalogues").iterdir()
    (copy / "forms" / "SIG_FTTH" / "1.0.xsd").write_text(original + "<!-- changé -->\n", encoding="utf-8")
    gateway = Gateway.open(database, catalogue_dir=served)
    try:
        assert gateway.catalogue.xsd_text("SIG_FTTH", "1.0") == original
        assert gateway.catalogue.xsd_path("SIG_FTTH", "1.0").read_text(encoding="utf-8") == original
        assert [p.name.split(".damaged-")[0] for p in copy.parent.glob(".*.damaged-*")] == [f".{copy.name}"]
    finally:
        gateway.close()
