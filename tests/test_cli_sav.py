"""``esav sav liste`` across operators (filters, ``--json``) and ``esav sav afficher`` with the declared form."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sav_support import deposit
from support import CATALOGUE, clock_offset_to, esav_demo_copy

from gateway.cli import main
from gateway.domain.clock import PARIS, FixedClock
from gateway.domain.states import Action
from gateway.services import Gateway

DEPOSITED = datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
#: The commands' clock: two days later, every open ticket deposited then is late.
LATER = DEPOSITED + timedelta(days=2)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo built once for the module by ``esav demo``, with three tickets of two operators."""
    data = tmp_path_factory.mktemp("sav-demo") / "data"
    esav_demo_copy(data)
    gateway = Gateway.open(data / "esav.db", catalogue_dir=CATALOGUE, clock=FixedClock(DEPOSITED))
    try:
        deposit(gateway, "OPE001", "FIBRE_LFO", gravite="CRITIQUE", reference_operateur="ALPHA-LFO-1")
        deposit(gateway, "OPE001", "CUIVRE_DEGROUPAGE", reference_operateur="ALPHA-CU-7")
        beta = deposit(gateway, "OPE002", "CUIVRE_DEGROUPAGE", gravite="MINEURE")
        gateway.sav.act(beta, Action.QUALIFIER, author="sav/fixture")
    finally:
        gateway.close()
    return data


@pytest.fixture
def data(tmp_path: Path, demo_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ESAV_CLOCK_OFFSET_S", clock_offset_to(LATER))
    target = tmp_path / "data"
    shutil.copytree(demo_template, target)
    return target


def esav(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def listed(capsys: pytest.CaptureFixture[str], data: Path, *options: str) -> dict:
    status, out, err = esav(capsys, "sav", "liste", "--donnees", data, "--json", *options)
    assert status == 0, err
    return json.loads(out)


def test_sav_list_covers_every_operator_by_gtr_deadline(data, capsys):
    """Without an operator the list holds both operators' open tickets, soonest deadline first, late ones flagged."""
    result = listed(capsys, data)
    items = result["signalisations"]
    assert [i["reference_operateur"] for i in items] == ["ALPHA-LFO-1", "ALPHA-CU-7", None]
    assert {i["operateur"] for i in items} == {"OPE001", "OPE002"}
    assert all(i["en_retard"] for i in items)
    assert [i["echeance_gtr"] for i in items] == sorted(i["echeance_gtr"] for i in items)
    assert result["par_etat"] == {"EN_DEPOT": 2, "EN_QUALIFICATION": 1} and result["total"] == 3


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("OPE002",), ["OPE002"]),
        (("--operateur", "OPE002"), ["OPE002"]),
        (("--etat", "EN_DEPOT"), ["ALPHA-LFO-1", "ALPHA-CU-7"]),
        (("--offre", "FIBRE_LFO"), ["ALPHA-LFO-1"]),
        (("--gravite", "critique"), ["ALPHA-LFO-1"]),
        (("--recherche", "ALPHA-CU-7"), ["ALPHA-CU-7"]),
        (("--depuis", "2026-11-18", "--jusqu-a", "2026-11-18"), ["ALPHA-LFO-1", "ALPHA-CU-7", "OPE002"]),
        (("--depuis", "2026-11-19"), []),
    ],
)
def test_sav_list_filters(data, capsys, options, expected):
    """Each filter of the pages exists on the command line and keeps exactly the matching tickets."""
    items = listed(capsys, data, *options)["signalisations"]
    assert [i["reference_operateur"] or i["operateur"] for i in items] == expected


def test_sav_list_prints_a_line_per_ticket_with_its_deadline(data, capsys):
    """The text output names the counts per state, each ticket with its deadline and RETARD, then the total."""
    status, out, _ = esav(capsys, "sav", "liste", "--donnees", data)
    assert status == 0
    lines = out.strip().splitlines()
    assert lines[0] == "EN_DEPOT 2  EN_QUALIFICATION 1"
    assert "OPE001" in lines[1] and "FIBRE_LFO" in lines[1] and "échéance 18/11/2026 14:00 RETARD" in lines[1]
    assert lines[-1] == "3 signalisation(s) — page 1 sur 1."


@pytest.mark.parametrize(
    ("options", "field"),
    [(("--etat", "PERDU"), "PERDU"), (("--operateur", "OPE999"), "OPE999"), (("--gravite", "GRAVE"), "GRAVE")],
)
def test_sav_list_refuses_a_bad_filter_naming_it(data, capsys, options, field):
    """An unknown state, operator or gravity is refused with its value named, exit 1, no traceback."""
    status, out, err = esav(capsys, "sav", "liste", "--donnees", data, *options)
    assert status == 1 and "[REQUETE_INVALIDE]" in err and field in err and "Traceback" not in out + err


def test_sav_show_prints_the_declared_form_in_words(data, capsys):
    """``sav show`` prints the form as label: value lines with nomenclature labels, and --json carries them."""
    reference = listed(capsys, data, "--recherche", "ALPHA-CU-7")["signalisations"][0]["reference"]
    status, out, _ = esav(capsys, "sav", "afficher", "--donnees", data, reference)
    assert status == 0
    assert "référence opérateur : ALPHA-CU-7" in out
    assert "Défaut constaté :" in out and "Bruit ou friture sur la ligne" in out
    assert "Date de début du défaut" in out or "21/11/2026 19:42" in out
    status, out, _ = esav(capsys, "sav", "afficher", "--donnees", data, reference, "--json")
    detail = json.loads(out)
    fields = {f["chemin"]: f for f in detail["formulaire"]}
    assert fields["/signalisationCuivre/defaut/codeDefaut"]["valeur"] == "Bruit ou friture sur la ligne"
    assert fields["/signalisationCuivre/defaut/codeDefaut"]["code"] == "BRUIT_LIGNE"
    assert fields["/signalisationCuivre/disponibilites/creneau[2]/debut"]["valeur"] == "24/11/2026 14:00"
    assert detail["ticket"]["form_xml"].startswith("<signalisationCuivre")
