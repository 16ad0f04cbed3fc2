"""Operators' "Mes fichiers" for the provider: the staff's page by contract, every version, audited downloads, CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sav_support import AGENT, audit_rows
from support import LiveGateway
from web_support import ADMIN, Browser, csrf_of, signed_in

from gateway.cli import main

RELEVE = "OPE001_CUIVRE_20261118_releve-1.csv"
PLAN = "OPE001_FTTH_20261118_plan-2.csv"


def upload(browser: Browser, name: str, content: bytes) -> None:
    token = csrf_of(browser.get("/fichiers").text)
    response = browser.http.post(
        browser.base + "/fichiers", data={"csrf": token}, files=[("fichiers", (name, content, "text/csv"))]
    )
    assert response.status_code == 200, response.text[:300]


@pytest.fixture
def received(portal: LiveGateway) -> LiveGateway:
    """OPE001's administrator sends the copper statement twice (two versions) and an FTTH file."""
    admin = signed_in(portal, ADMIN)
    upload(admin, RELEVE, b"ndi;etat\n0140000001;ok\n")
    upload(admin, RELEVE, b"ndi;etat\n0140000001;ko\n")
    upload(admin, PLAN, b"pto;etat\n")
    return portal


def test_the_staff_page_lists_each_operators_files_by_contract_with_every_version(received):
    """The page groups by offer and contract, shows both versions with their receipt time to the second."""
    page = signed_in(received, AGENT, lands_on=None).get("/fournisseur/fichiers-operateurs?operateur=OPE001")
    assert page.status_code == 200
    html = page.text
    assert "offre CUIVRE_DEGROUPAGE" in html and "offre FTTH_ACCES" in html
    assert html.count(f"Télécharger {RELEVE} version") == 2 and "18/11/2026 10:00:00" in html
    assert "admin.alpha" in html


def test_an_agent_downloads_any_version_and_each_download_is_audited(received):
    """Version 1 and version 2 download with their own content; two audit rows name the agent and versions."""
    agent = signed_in(received, AGENT, lands_on=None)
    html = agent.get("/fournisseur/fichiers-operateurs").text
    links = re.findall(
        rf'href="(/fournisseur/fichiers-operateurs/\d+)" aria-label="Télécharger {RELEVE} version (\d)"', html
    )
    contents = {version: agent.get(link) for link, version in links}
    assert contents["2"].content.endswith(b";ko\n") and contents["1"].content.endswith(b";ok\n")
    assert RELEVE in contents["1"].headers["Content-Disposition"]
    rows = audit_rows(received, "portail.fichier.telechargement", "OPE001")
    assert sorted((actor, details["version"]) for actor, _, details in rows) == [
        ("agent/agent.sav", 1),
        ("agent/agent.sav", 2),
    ]


def test_the_provider_files_page_links_each_file_to_its_download(received):
    """The existing exchanged-files page now links every version to the audited download."""
    html = signed_in(received, AGENT, lands_on=None).get("/fournisseur/fichiers?operateur=OPE001").text
    assert re.search(rf'href="/fournisseur/fichiers-operateurs/\d+">{RELEVE}<', html)


def test_bad_input_is_named_and_unknown_files_are_404(received):
    """An unknown operator is named under its field; an unknown file id is a 404; operators' users get 404."""
    agent = signed_in(received, AGENT, lands_on=None)
    bad = agent.get("/fournisseur/fichiers-operateurs?operateur=OPE999")
    assert bad.status_code == 422 and 'id="e-operateur"' in bad.text
    assert agent.get("/fournisseur/fichiers-operateurs/99999").status_code == 404
    assert signed_in(received, ADMIN).get("/fournisseur/fichiers-operateurs").status_code == 404


@pytest.mark.sqlite_file
def test_esav_portail_fichiers_list_and_get(received, tmp_path, capsys, monkeypatch):
    """``fichiers list --json`` gives each version's id; ``fichiers get`` writes that version and is audited."""
    data = str(received.data_dir)
    assert main(["portail", "fichiers", "liste", "OPE001", "--json", "--donnees", data]) == 0
    groups = json.loads(capsys.readouterr().out)
    copper = next(g for g in groups if g["offre"] == "CUIVRE_DEGROUPAGE")
    versions = copper["fichiers"][0]["versions"]
    assert [v["version"] for v in versions] == [2, 1] and copper["operateur"] == "OPE001"
    assert main(["portail", "fichiers", "liste", "--donnees", data]) == 0
    out = capsys.readouterr().out
    assert f"{RELEVE}  version 1  reçu le 18/11/2026 10:00:00" in out and "3 version(s)" in out
    target = tmp_path / "v1.csv"
    assert (
        main(["portail", "fichiers", "telecharger", str(versions[1]["id"]), "--sortie", str(target), "--donnees", data])
        == 0
    )
    assert target.read_bytes().endswith(b";ok\n")
    monkeypatch.chdir(tmp_path)
    assert main(["portail", "fichiers", "telecharger", str(versions[0]["id"]), "--donnees", data]) == 0
    assert Path(tmp_path / RELEVE).read_bytes().endswith(b";ko\n")
    assert main(["portail", "fichiers", "telecharger", "99999", "--donnees", data]) == 1
    assert "[REQUETE_INVALIDE]" in capsys.readouterr().err
