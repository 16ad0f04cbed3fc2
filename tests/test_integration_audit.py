"""The integration platform's use cases, as services: each provider or operator action is audited in its transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support import CATALOGUE, DEFAULT_NOW

from gateway.domain.clock import FixedClock
from gateway.errors import InvalidRequestError
from gateway.services import Gateway


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    """An in-process gateway with three operators: one with every domain, one with one, one with none."""
    opened = Gateway.open(tmp_path / "esav.db", catalogue_dir=CATALOGUE, clock=FixedClock(DEFAULT_NOW))
    opened.admin.add_operator("OPE001", "Opérateur Alpha", domains=["signalisation", "test"])
    opened.admin.add_operator("OPE002", "Opérateur Beta", domains=["signalisation"])
    opened.admin.add_operator("OPE003", "Opérateur Gamma", esav_integre=False)
    try:
        yield opened
    finally:
        opened.close()


def _rows(gateway: Gateway, action: str) -> list[tuple[str, str, dict]]:
    return [(r.actor, r.target, r.details) for r in gateway.store.audit() if r.action == action]


def test_opening_every_domain_audits_each_operator_it_changes(gateway: Gateway) -> None:
    """The sandbox opens every domain and e-SAV intégré; one audit row per operator changed, none for the others."""
    assert gateway.integration.open_every_domain(author="plate-forme") == ["OPE002", "OPE003"]
    assert _rows(gateway, "integration.domaines") == [
        (
            "plate-forme",
            "OPE002",
            {"domaines": {"avant": ["signalisation"], "apres": ["signalisation", "test"]},
             "integre": {"avant": True, "apres": True}},
        ),
        (
            "plate-forme",
            "OPE003",
            {"domaines": {"avant": [], "apres": ["signalisation", "test"]}, "integre": {"avant": False, "apres": True}},
        ),
    ]  # fmt: skip
    operator = gateway.admin.operator("OPE003")
    assert operator.esav_integre and operator.domains == {"signalisation", "test"}
    assert gateway.integration.open_every_domain(author="plate-forme") == []  # a rebuild changes nothing
    assert len(_rows(gateway, "integration.domaines")) == 2


def test_sandbox_reset_is_audited_with_its_counts(gateway: Gateway) -> None:
    """Resetting a sandbox records who asked, for which operator, and what was deleted."""
    gateway.integration.record_calls(
        [
            {"operator_code": "OPE002", "at": DEFAULT_NOW, "version": "v2", "service": "signalisation",
             "operation": "deposerSignalisation", "fault_code": None, "request": "<a/>", "response": "<b/>",
             "duration_ms": 1.0},
        ]
    )  # fmt: skip
    counts = gateway.integration.reset_sandbox("OPE002", author="fournisseur/alice")
    assert counts["journal"] == 1
    assert _rows(gateway, "integration.reinitialisation") == [("fournisseur/alice", "OPE002", counts)]
    assert gateway.integration.journal("OPE002") == []


def test_reset_of_an_unknown_operator_is_refused_without_audit(gateway: Gateway) -> None:
    """An unknown operator's reset is REQUETE_INVALIDE naming it, and leaves no audit row."""
    with pytest.raises(InvalidRequestError, match="OPE999 inconnu"):
        gateway.integration.reset_sandbox("OPE999", author="fournisseur/alice")
    assert _rows(gateway, "integration.reinitialisation") == []


def test_issued_attestation_is_kept_and_audited_as_the_operators_request(gateway: Gateway) -> None:
    """An attestation the platform hands out is on record, numbered, with an audit row in the operator's name."""
    assert gateway.integration.next_attestation_number("OPE002") == 1
    gateway.integration.record_attestation("OPE002", "v2", ["signalisation"], DEFAULT_NOW, '{"attestation": {}}')
    assert gateway.integration.next_attestation_number("OPE002") == 2
    assert _rows(gateway, "integration.attestation") == [
        ("OPE002", "OPE002", {"version": "v2", "domaines": ["signalisation"]})
    ]


def test_validating_an_operator_opens_the_attested_domains_and_is_audited(gateway: Gateway) -> None:
    """Production's import of an attestation adds its domains to those open, audited with the attestation."""
    before, granted = gateway.integration.validate_operator(
        "OPE002", ["test"], "v2", "2026-11-18T10:00:00+01:00", "ab" * 32, author="fournisseur/alice"
    )
    assert before.domains == {"signalisation"} and granted == {"signalisation", "test"}
    assert gateway.admin.operator("OPE002").domains == {"signalisation", "test"}
    [(actor, target, details)] = _rows(gateway, "operateur.validation")
    assert (actor, target) == ("fournisseur/alice", "OPE002")
    assert details["domaines"] == {"avant": ["signalisation"], "apres": ["signalisation", "test"]}
    assert details["attestation"] == {"version": "v2", "date": "2026-11-18T10:00:00+01:00", "sha256": "ab" * 32}


def test_validating_an_unknown_operator_is_refused_and_opens_nothing(gateway: Gateway) -> None:
    """An attestation for an operator this instance does not know is refused by name, without audit."""
    with pytest.raises(InvalidRequestError, match="OPE999 inconnu de cette instance"):
        gateway.integration.validate_operator("OPE999", ["test"], "v2", "2026-11-18", "00", author="fournisseur/a")
    assert _rows(gateway, "operateur.validation") == []
