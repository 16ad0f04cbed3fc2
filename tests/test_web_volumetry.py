"""The portal's counted requests: the same requests as over SOAP, counted in their own series."""

from __future__ import annotations

import json

from support import deposit, in_reactor
from web_support import TECH, signed_in

from gateway.cli import main


def test_portal_requests_are_counted_in_their_own_series(portal, capsys) -> None:
    """History, a ticket's state and planned works read on the portal count as `portail:…`, apart from SOAP."""
    reference = deposit(portal.client()).referenceSignalisation
    tech = signed_in(portal, TECH)
    assert tech.get("/esav").status_code == 200
    assert tech.get(f"/esav/signalisations/{reference}").status_code == 200
    assert tech.get("/esav/signalisations/SIG99999999").status_code >= 400  # refused: not counted
    assert tech.get("/esav/reseau").status_code == 200
    assert tech.get("/faq").status_code == 200  # not a counted request
    in_reactor(portal.running.operations.flush)
    capsys.readouterr()
    assert main(["stats", "--data", str(portal.data_dir), "--operateur", "OPE001", "--json"]) == 0
    counted = {r["operation"]: r["counted"] for r in json.loads(capsys.readouterr().out) if r["counted"]}
    assert counted == {
        "deposerSignalisation": 1,
        "portail:consulterHistorique": 1,
        "portail:consulterEtatSignalisation": 1,
        "portail:consulterTravauxProgrammes": 1,
    }
