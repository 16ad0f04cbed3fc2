"""Every provider action is audited with who, when and on what, in the action's own transaction."""

from __future__ import annotations

import pytest
from support import CATALOGUE, deposit

from gateway.domain.states import Action
from gateway.errors import TransitionForbiddenError
from gateway.security import pki
from gateway.services import publish_catalogue

CSV = (
    "identifiantPrestation;operateur;codeOffre;gtr;extremiteA;extremiteB;codeCommune;informationsComplementaires\n"
    "0140009999;OPE001;CUIVRE_DEGROUPAGE;GTR_10HO;NRA 75111;client 1 rue X 75011 Paris;75111;\n"
)


def _actions(live):
    return [(r.actor, r.action, r.target) for r in live.gateway.store.audit()]


def test_sav_transitions_and_comments_are_audited(live):
    """Qualifying and commenting a ticket record the SAV agent, the action and the ticket."""
    reference = deposit(live.client()).referenceSignalisation
    live.gateway.sav.act(reference, Action.QUALIFIER, author="sav/jdupont")
    live.gateway.sav.comment(reference, author="sav/jdupont", text="Appel client")
    assert ("sav/jdupont", "signalisation.qualifier", reference) in _actions(live)
    assert ("sav/jdupont", "signalisation.commentaire", reference) in _actions(live)
    [record] = [r for r in live.gateway.store.audit() if r.action == "signalisation.qualifier"]
    assert record.details["de"] == "EN_DEPOT" and record.details["vers"] == "EN_QUALIFICATION"


def test_refused_transition_leaves_no_audit(live):
    """A transition refused by the state machine writes nothing, audit included."""
    reference = deposit(live.client()).referenceSignalisation
    before = len(live.gateway.store.audit())
    with pytest.raises(TransitionForbiddenError):
        live.gateway.sav.act(reference, Action.VALIDER, author="sav/jdupont")
    assert len(live.gateway.store.audit()) == before


def test_operator_and_certificate_actions_are_audited(live):
    """Operator registration, certificate issue, registration and revocation are all audited."""
    admin = live.gateway.admin
    admin.add_operator("OPE010", "Opérateur Delta", domains=["signalisation"], author="cli/alice")
    ca = pki.load_issued(live.pki.directory / "ca.pem", live.pki.directory / "ca.key")
    issued = admin.issue_certificate("OPE010", ca, author="cli/alice")
    other = pki.issue_client_certificate(ca, "OPE010", "Opérateur Delta", now=live.clock.now())
    admin.register_certificate("OPE010", other.cert_pem, [ca.cert_pem], author="cli/bob")
    admin.revoke_certificate(issued.info.fingerprint, author="cli/bob")
    actions = _actions(live)
    assert ("cli/alice", "operateur.enregistrement", "OPE010") in actions
    assert ("cli/alice", "certificat.emission", issued.info.fingerprint) in actions
    assert ("cli/bob", "certificat.enregistrement", other.info.fingerprint) in actions
    assert ("cli/bob", "certificat.revocation", issued.info.fingerprint) in actions


def test_prestation_import_and_catalogue_publication_are_audited(live):
    """Importing prestations and publishing the catalogue are audited too."""
    live.gateway.admin.import_prestations("lignes.csv", CSV, author="cli/alice")
    publish_catalogue(live.gateway.store, CATALOGUE, author="cli/carole", clock=live.clock)
    actions = _actions(live)
    assert ("cli/alice", "prestations.import", "lignes.csv") in actions
    assert ("cli/carole", "catalogue.publication", str(CATALOGUE)) in actions
