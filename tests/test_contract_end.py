"""An offer contract's end takes the offer out of the operator's e-SAV from that day: portal and web services."""

from __future__ import annotations

from datetime import datetime

import pytest
import zeep
from support import deposit, fault_code
from web_support import ADMIN, TECH, signed_in

from gateway.cli import main
from gateway.domain.clock import PARIS


@pytest.mark.sqlite_file
def test_an_ended_contract_removes_its_offer_from_its_end_date(portal) -> None:
    """DSL's contract ends 20/11/2026: until then all works; from then deposits, tests, forms and profile lose DSL."""
    data = str(portal.data_dir)
    assert main(["portail", "fin-contrat", "OPE001", "DSL_BITSTREAM", "--date", "2026-11-20", "--donnees", data]) == 0
    tech = signed_in(portal, TECH)
    assert tech.get("/esav/deposer?prestation=DSL0000001").status_code == 200  # the day before: still there
    assert deposit(portal.client(), "DSL_BITSTREAM", version="2.0").etat == "EN_DEPOT"

    portal.clock.set(datetime(2026, 11, 20, 0, 0, tzinfo=PARIS))
    with pytest.raises(zeep.exceptions.Fault) as refused:
        deposit(portal.client(), "DSL_BITSTREAM", version="2.0")
    assert fault_code(refused.value) == "NON_HABILITE" and "a pris fin le 20/11/2026" in refused.value.message
    with pytest.raises(zeep.exceptions.Fault) as no_test:
        portal.client(service="test").service.lancerTest("DSL0000001", "SYNCHRONISATION")
    assert fault_code(no_test.value) == "NON_HABILITE"
    tech = signed_in(portal, TECH)  # two days on: the earlier session has expired
    assert tech.get("/esav/deposer?prestation=DSL0000001").status_code == 404
    assert tech.get("/esav/deposer?prestation=0140000001").status_code == 200  # other offers stay
    tech_id = portal.gateway.store.user_by_login(TECH[0]).id
    profile = signed_in(portal, ADMIN).get(f"/admin/utilisateurs/{tech_id}").text  # the rights one may grant
    assert 'name="offre_DSL_BITSTREAM"' not in profile and 'name="offre_CUIVRE_DEGROUPAGE"' in profile
    assert deposit(portal.client()).etat == "EN_DEPOT"


def test_ending_a_contract_that_does_not_exist_is_refused(portal, capsys) -> None:
    """`esav portail fin-contrat` for an offer OPE002 has no contract for exits 1 naming the offer."""
    data = str(portal.data_dir)
    capsys.readouterr()
    assert main(["portail", "fin-contrat", "OPE002", "FIBRE_LFO", "--date", "2026-11-20", "--donnees", data]) == 1
    assert "FIBRE_LFO" in capsys.readouterr().err
