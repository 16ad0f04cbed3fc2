"""The portal's counted requests: the same requests as over SOAP, counted in their own series."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from support import deposit, in_reactor
from web_support import TECH, signed_in

from gateway.cli import main


@pytest.mark.sqlite_file
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
    assert main(["stats", "--donnees", str(portal.data_dir), "--operateur", "OPE001", "--json"]) == 0
    counted = {r["operation"]: r["counted"] for r in json.loads(capsys.readouterr().out) if r["counted"]}
    assert counted == {
        "deposerSignalisation": 1,
        "portail:consulterHistorique": 1,
        "portail:consulterEtatSignalisation": 1,
        "portail:consulterTravauxProgrammes": 1,
    }


def test_a_line_test_launched_on_the_portal_counts_in_the_portal_series_at_its_result(portal) -> None:
    """A test launched from the portal counts once, as `portail:lancerTest`, when it gives its result."""
    tech = signed_in(portal, TECH)
    launched = tech.post("/esav/tests", {"prestation": "DSL0000001", "type": "SYNCHRONISATION"})
    assert launched.status_code == 200 and "/esav/tests/" in launched.url
    assert not [c for c in portal.gateway.store.request_counts("OPE001") if c.operation.endswith("lancerTest")]
    portal.clock.advance(timedelta(minutes=1))
    assert len(portal.gateway.line_tests.poll()) == 1  # the poller records its result
    tech.get(launched.url.removeprefix(portal.web_url))  # reading the result again counts nothing more
    counts = [(c.operation, c.count) for c in portal.gateway.store.request_counts("OPE001")]
    assert ("portail:lancerTest", 1) in counts and not [o for o, _ in counts if o == "lancerTest"]
