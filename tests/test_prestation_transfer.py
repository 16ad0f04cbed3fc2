"""A prestation changes owner only by an audited transfer; tickets keep the prestation as at deposit."""

from __future__ import annotations

import pytest
import zeep
from support import deposit, fault_code

from gateway.errors import InvalidRequestError
from gateway.store import Store

CSV_HEADER = (
    "identifiantPrestation;operateur;codeOffre;gtr;extremiteA;extremiteB;codeCommune;informationsComplementaires\n"
)
#: OPE001's copper line in the demo (gateway/demo.py).
LINE = "0140000001"
ALPHA_END = "client 8 rue Oberkampf 75011 Paris"
BETA_END = "client de Beta 3 rue Neuve 75011 Paris"


def _prestation_of(detail) -> tuple[str, str, str | None]:
    p = detail.prestation
    return p.extremiteA, p.extremiteB, p.informationsComplementaires


def test_transfer_leaves_old_tickets_with_old_owner_and_old_details(live):
    """After a transfer and the new owner's re-import, OPE001's ticket shows what it did; OPE002 cannot see it."""
    alpha, beta = live.client("OPE001"), live.client("OPE002")
    reference = deposit(alpha).referenceSignalisation
    before = _prestation_of(alpha.service.consulterDetailSignalisation(referenceSignalisation=reference))
    assert before[1] == ALPHA_END

    live.gateway.admin.transfer_prestation(LINE, "OPE002", reason="Portabilité de la ligne", author="test")
    live.gateway.admin.import_prestations(
        "beta.csv", CSV_HEADER + f"{LINE};OPE002;CUIVRE_DEGROUPAGE;GTR_10HO;NRA 75111;{BETA_END};75111;code 42\n"
    )

    detail = alpha.service.consulterDetailSignalisation(referenceSignalisation=reference)
    assert _prestation_of(detail) == before
    assert live.gateway.sav.detail(reference).prestation.extremite_b == ALPHA_END  # the back office too
    with pytest.raises(zeep.exceptions.Fault) as caught:
        beta.service.consulterDetailSignalisation(referenceSignalisation=reference)
    assert fault_code(caught.value) == "SIGNALISATION_INCONNUE"
    assert beta.service.rechercherSignalisations().nombreTotal == 0
    assert alpha.service.rechercherSignalisations().nombreTotal == 1

    # From now on the line is OPE002's: its tickets show its details; OPE001 can no longer deposit on it.
    beta_reference = deposit(beta, identifiantPrestation=LINE).referenceSignalisation
    beta_detail = beta.service.consulterDetailSignalisation(referenceSignalisation=beta_reference)
    assert _prestation_of(beta_detail)[1:] == (BETA_END, "code 42")
    with pytest.raises(zeep.exceptions.Fault) as caught:
        deposit(alpha)
    assert fault_code(caught.value) == "PRESTATION_INCONNUE"


def test_reimport_by_the_same_owner_does_not_rewrite_old_tickets(live):
    """A CSV update of a prestation's details leaves the tickets already deposited on it as they were."""
    alpha = live.client("OPE001")
    reference = deposit(alpha).referenceSignalisation
    live.gateway.admin.import_prestations(
        "alpha.csv", CSV_HEADER + f"{LINE};OPE001;CUIVRE_DEGROUPAGE;GTR_10HO;NRA 75111;nouveau client;75111;\n"
    )
    detail = alpha.service.consulterDetailSignalisation(referenceSignalisation=reference)
    assert detail.prestation.extremiteB == ALPHA_END


def test_transfer_is_audited_and_refuses_nonsense(live):
    """A transfer is audited with both owners and its reason; unknown, same-owner or unexplained ones are refused."""
    admin = live.gateway.admin
    for args, reason in (
        (("INCONNUE", "OPE002"), "x"),
        ((LINE, "OPE999"), "x"),
        ((LINE, "OPE001"), "x"),
        ((LINE, "OPE002"), "  "),
    ):
        with pytest.raises(InvalidRequestError):
            admin.transfer_prestation(*args, reason=reason, author="test")
    assert admin.prestation(LINE).operator_code == "OPE001"
    admin.transfer_prestation(LINE, "OPE002", reason="Cession du client", author="fournisseur/alice")
    (row,) = [r for r in live.gateway.store.audit() if r.action == "prestation.transfert"]
    assert (row.actor, row.target, row.details) == (
        "fournisseur/alice",
        LINE,
        {"de": "OPE001", "vers": "OPE002", "motif": "Cession du client"},
    )


@pytest.mark.sqlite_file
def test_migration_keeps_existing_tickets_prestation(live, tmp_path):
    """Tickets deposited before the snapshot existed get their prestation's details at migration time."""
    reference = deposit(live.client("OPE001")).referenceSignalisation
    store: Store = live.gateway.store
    with store.write() as db:  # as a database from before the migration: no snapshot, migration not recorded
        db.low_level.conn.execute("DROP TABLE ticket_prestations")
        db.low_level.conn.execute("DELETE FROM schema_migrations WHERE id = 30")
    reopened = Store(store.path)
    try:
        ticket = reopened.get_ticket(reference)
        assert ticket is not None
        kept = reopened.prestation_at_deposit(ticket)
        assert kept is not None and kept.extremite_b == ALPHA_END and kept.operator_code == "OPE001"
    finally:
        reopened.close()
