"""Helpers for the after-sales work queue's tests: tickets deposited through the services, audit rows."""

from __future__ import annotations

from support import LiveGateway, example_form

from gateway.services import Caller, DepositRequest, Gateway

AGENT = ("agent.sav", "Fournisseur-SAV-2026!")
#: Prestations of the demo by operator and offer: (prestation, form code).
PRESTATIONS = {
    ("OPE001", "CUIVRE_DEGROUPAGE"): ("0140000001", "SIG_CUIVRE"),  # GTR 10 business hours
    ("OPE001", "FIBRE_LFO"): ("LFO-000001", "SIG_LFO"),  # GTR 4 hours
    ("OPE002", "CUIVRE_DEGROUPAGE"): ("0140000002", "SIG_CUIVRE"),  # GTR 10 business hours
    ("OPE001", "ETHERNET_CE2O"): ("ETH-000001", "SIG_ETHERNET"),  # GTR 4 hours, remote tests available
}


def deposit(
    gateway: Gateway,
    operator: str = "OPE001",
    offer: str = "CUIVRE_DEGROUPAGE",
    *,
    gravite: str = "MAJEURE",
    reference_operateur: str | None = None,
    author: str = "",
) -> str:
    """Deposit the catalogue's example ticket for ``operator``'s prestation of ``offer``; its reference."""
    prestation, form_code = PRESTATIONS[operator, offer]
    form = example_form(form_code)
    if operator != "OPE001":  # the example names OPE001's line: the form's line number follows the prestation
        for element in form.iter():
            if element.text == "0140000001":
                element.text = prestation
    receipt = gateway.tickets.deposit(
        Caller(operator, operator, frozenset({"signalisation"}), author=author),
        DepositRequest(
            identifiant_prestation=prestation,
            code_offre=offer,
            gravite=gravite,
            form_code=form_code,
            form_version="1.0",
            form=form,
            reference_operateur=reference_operateur,
        ),
    )
    return receipt.reference


def audit_rows(portal: LiveGateway, action: str, target: str | None = None) -> list[tuple[str, str, dict]]:
    """(actor, target, details) of the audit rows of ``action`` (on ``target`` when given), oldest first."""
    return [
        (r.actor, r.target, r.details)
        for r in portal.gateway.store.audit()
        if r.action == action and (target is None or r.target == target)
    ]
