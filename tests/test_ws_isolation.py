"""One operator never sees, touches or learns about another's tickets and prestations."""

from __future__ import annotations

import pytest
import zeep
from support import deposit, example_form, fault_code


@pytest.fixture
def alpha_ticket(live):
    return deposit(live.client("OPE001")).referenceSignalisation


@pytest.mark.parametrize(
    "operation, arguments",
    [
        ("consulterEtatSignalisation", ()),
        ("consulterDetailSignalisation", ()),
        ("completerSignalisation", ("je complète",)),
        ("annulerSignalisation", ("j'annule",)),
        ("refuserCloture", ("je refuse",)),
    ],
)
def test_other_operator_gets_signalisation_inconnue(live, alpha_ticket, operation, arguments):
    """OPE002 gets SIGNALISATION_INCONNUE on OPE001's ticket, exactly as for a ticket that does not exist."""
    beta = live.client("OPE002")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        getattr(beta.service, operation)(alpha_ticket, *arguments)
    assert fault_code(caught.value) == "SIGNALISATION_INCONNUE"
    with pytest.raises(zeep.exceptions.Fault) as unknown:
        getattr(beta.service, operation)("SIG99999999", *arguments)
    assert caught.value.message.replace(alpha_ticket, "X") == unknown.value.message.replace("SIG99999999", "X")
    assert live.client("OPE001").service.consulterEtatSignalisation(alpha_ticket).etat == "EN_DEPOT"


def test_other_operator_cannot_deposit_on_a_prestation_not_its_own(live):
    """OPE002 depositing on OPE001's line gets PRESTATION_INCONNUE."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client("OPE002").service.deposerSignalisation(
            identifiantPrestation="0140000001",
            codeOffre="CUIVRE_DEGROUPAGE",
            gravite="MAJEURE",
            formulaire={"code": "SIG_CUIVRE", "version": "1.0", "_value_1": example_form("SIG_CUIVRE")},
        )
    assert fault_code(caught.value) == "PRESTATION_INCONNUE"


def test_prestation_of_another_offer_is_unknown(live):
    """A prestation declared under the wrong offer is PRESTATION_INCONNUE."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        deposit(live.client(), identifiantPrestation="DSL0000001")
    assert fault_code(caught.value) == "PRESTATION_INCONNUE"


def test_search_and_history_list_only_own_tickets(live, alpha_ticket):
    """OPE002's search does not list OPE001's tickets."""
    result = live.client("OPE002").service.rechercherSignalisations()
    assert result.nombreTotal == 0
    assert live.client("OPE001").service.rechercherSignalisations().nombreTotal == 1


def test_operator_not_validated_for_the_domain_is_non_habilite(live):
    """OPE003, not yet validated on the integration platform, gets NON_HABILITE."""
    with pytest.raises(zeep.exceptions.Fault) as caught:
        live.client("OPE003").service.consulterEtatSignalisation("SIG00000001")
    assert fault_code(caught.value) == "NON_HABILITE"
