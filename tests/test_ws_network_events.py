"""Planned works and network incidents: queried over the ``test`` service, declared with ``esav``."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import zeep
from support import esav_demo_copy, fault_code, suite_now

from gateway.cli import main
from gateway.domain.clock import PARIS, to_paris
from gateway.domain.network_events import EventStatus, earliest_planned_start


def _tests(live):
    return live.client("OPE001", "test")


def _items(answer):
    """zeep reads an empty list element as None."""
    return list(answer or [])


def test_paris_prestation_has_the_demo_planned_works_and_incident(live):
    """FI-0001-0001 (Paris 11e) sees TP-DEMO-0001 and INC-DEMO-0001, not Bordeaux's planned works."""
    client = _tests(live)
    works = client.service.consulterTravauxProgrammes("FI-0001-0001")
    assert [(w.reference, w.nature, w.codeCommune, w.statut) for w in works] == [
        ("TP-DEMO-0001", "TRAVAUX", "75111", "NOUVEAU")
    ]
    assert works[0].debut <= datetime(2026, 11, 18, 10, 0, tzinfo=PARIS) <= works[0].fin
    assert works[0].libelleImpact == "Coupures intermittentes"
    incidents = client.service.consulterIncidentsReseau("FI-0001-0001")
    assert [(i.reference, i.nature, i.fin) for i in incidents] == [("INC-DEMO-0001", "INCIDENT", None)]


def test_lyon_has_neither_planned_works_nor_incidents(live):
    """FI-0001-0002 (Lyon, 69386) and the commune code 69386 get empty answers."""
    client = _tests(live)
    assert _items(client.service.consulterTravauxProgrammes("FI-0001-0002")) == []
    assert _items(client.service.consulterIncidentsReseau("FI-0001-0002")) == []
    assert _items(client.service.consulterTravauxProgrammes(None, "69386")) == []
    assert _items(client.service.consulterIncidentsReseau(None, "69386")) == []


def test_query_by_commune_code_and_period(live):
    """By commune code, Bordeaux's night works show in a period covering them and not in an earlier one."""
    client = _tests(live)
    covering = client.service.consulterTravauxProgrammes(None, "33063")
    assert [w.reference for w in covering] == ["TP-DEMO-0002"]
    earlier = client.service.consulterTravauxProgrammes(
        None, "33063", datetime(2026, 11, 18, 12, 0, tzinfo=PARIS), datetime(2026, 11, 20, 12, 0, tzinfo=PARIS)
    )
    assert _items(earlier) == []


def test_closed_incident_is_no_longer_current(live):
    """Once the provider closes INC-DEMO-0001, Paris has no current incident."""
    live.gateway.network_events.update("INC-DEMO-0001", EventStatus.CLOS, author="test")
    assert _items(_tests(live).service.consulterIncidentsReseau(None, "75111")) == []


@pytest.mark.parametrize(
    ("prestation", "commune", "code"),
    [
        (None, None, "REQUETE_INVALIDE"),
        ("FI-0001-0001", "75111", "REQUETE_INVALIDE"),
        (None, "7511", "REQUETE_INVALIDE"),
        ("FI-0002-0001", None, "PRESTATION_INCONNUE"),
    ],
)
def test_bad_criteria_are_refused(live, prestation, commune, code):
    """Neither or both criteria, a malformed commune, another operator's prestation: a typed fault."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        _tests(live).service.consulterIncidentsReseau(prestation, commune)
    assert fault_code(caught.value) == code


# The provider's command line -------------------------------------------------------------------


@pytest.fixture
def demo_data(tmp_path, monkeypatch):
    """A demo data folder built by ``esav demo``."""
    data = tmp_path / "data"
    esav_demo_copy(data)
    return data


def test_planned_works_with_short_notice_are_refused_with_the_earliest_start(demo_data, capsys):
    """Declaring works that start in an hour exits 1 and names the earliest allowed start."""
    start = to_paris(suite_now()).replace(second=0, microsecond=0) + timedelta(hours=1)
    status = main(
        ["travaux", "declarer", "--donnees", str(demo_data), "--commune", "75111", "--debut", start.isoformat(),
         "--fin", (start + timedelta(hours=4)).isoformat(), "--impact", "COUPURE", "--description", "Test"]
    )  # fmt: skip
    assert status == 1
    error = capsys.readouterr().err
    earliest = earliest_planned_start(suite_now()).astimezone(PARIS)
    assert "au moins 2 jours ouvrés" in error and "au plus tôt le" in error
    assert f"{earliest:%d/%m/%Y} à 00:00" in error


def test_declared_planned_works_are_listed_and_follow_their_life_cycle(demo_data, capsys):
    """Works declared with enough notice are listed; updated, closed, then refused any further change."""
    start = earliest_planned_start(suite_now()) + timedelta(hours=8)
    assert main(
        ["travaux", "declarer", "--donnees", str(demo_data), "--commune", "75111", "--debut", start.isoformat(),
         "--fin", (start + timedelta(hours=4)).isoformat(), "--impact", "COUPURE", "--description", "Soudure PM"]
    ) == 0  # fmt: skip
    reference = capsys.readouterr().out.split()[0]
    assert main(["travaux", "liste", "--donnees", str(demo_data), "--commune", "75111", "--json"]) == 0
    listed = {row["reference"]: row for row in json.loads(capsys.readouterr().out)}
    assert listed[reference]["status"] == "NOUVEAU" and "TP-DEMO-0001" in listed
    assert main(["travaux", "modifier", reference, "--donnees", str(demo_data), "--statut", "MIS_A_JOUR"]) == 0
    assert main(["travaux", "modifier", reference, "--donnees", str(demo_data), "--statut", "CLOS"]) == 0
    capsys.readouterr()
    assert main(["travaux", "modifier", reference, "--donnees", str(demo_data), "--statut", "MIS_A_JOUR"]) == 1
    assert "statut final" in capsys.readouterr().err
    assert main(["travaux", "modifier", reference, "--donnees", str(demo_data), "--statut", "NOUVEAU"]) != 0


def test_incident_declared_now_is_listed(demo_data, capsys):
    """An incident needs no notice: declared without a start, it starts now and is listed."""
    assert main(
        ["incidents", "declarer", "--donnees", str(demo_data), "--commune", "59350", "--impact", "COUPURE",
         "--description", "Panne d'alimentation du POP Lille-1"]
    ) == 0  # fmt: skip
    reference = capsys.readouterr().out.split()[0]
    assert reference.startswith("INC-")
    assert main(["incidents", "liste", "--donnees", str(demo_data), "--json"]) == 0
    assert reference in {row["reference"] for row in json.loads(capsys.readouterr().out)}


def test_capacity_set_and_list(demo_data, capsys):
    """``esav capacite fixer`` changes one slot of a zone and type; ``list`` shows it next to the others."""
    assert main(["capacite", "fixer", "--donnees", str(demo_data), "--zone", "75", "--type", "SAV", "--capacite", "2",
                 "--creneau", "08:00"]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["capacite", "liste", "--donnees", str(demo_data), "--zone", "75", "--json"]) == 0
    rows = {(r["intervention_type"], r["slot_start"]): r["capacity"] for r in json.loads(capsys.readouterr().out)}
    assert rows[("SAV", "08:00")] == 2 and rows[("SAV", "10:00")] == 4 and rows[("EXPERTISE", "08:00")] == 1
    assert (
        main(["capacite", "fixer", "--donnees", str(demo_data), "--zone", "7", "--type", "SAV", "--capacite", "2"]) == 1
    )
