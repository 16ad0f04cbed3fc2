"""Ending an offer contract: from its end date the offer leaves the operator's e-SAV.

From 00:00 Paris on the end date, the offer disappears from the operator's portal profile (users'
rights, deposit forms, line tests, "Mes fichiers") and its deposits and tests over the web services
are refused with ``NON_HABILITE``. Read at each request, by the clock: no job to run on the day.
"""

from __future__ import annotations

from datetime import date

from gateway.domain.clock import Clock, to_paris
from gateway.errors import InvalidRequestError, NotEntitledError, quote
from gateway.store import ContractRecord, Store

__all__ = ["ContractEndService"]


class ContractEndService:
    """Date the end of an operator's offer contract; tell which offers have ended."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def end(self, operator_code: str, offer: str, ends_on: date | None, *, author: str) -> ContractRecord:
        """The contract ends on ``ends_on`` (00:00 Paris; None: the end is cancelled); audited."""
        with self._store.write() as db:
            if not self._store.set_contract_end(db, operator_code, offer, ends_on.isoformat() if ends_on else None):
                raise InvalidRequestError(
                    f"Pas de contrat de l'offre {quote(offer)} pour l'opérateur {quote(operator_code)}.",
                    chemin="offre",
                    valeur=offer,
                )
            self._store.add_audit(
                db, at=self._clock.now(), actor=author, action="portail.contrat.fin", target=operator_code,
                details={"offre": offer, "fin": ends_on.isoformat() if ends_on else None},
            )  # fmt: skip
        found = self._store.contract(operator_code, offer)
        assert found is not None
        return found

    def ended_offers(self, operator_code: str) -> frozenset[str]:
        return self._store.ended_contract_offers(operator_code, to_paris(self._clock.now()).date().isoformat())

    def refuse_if_ended(self, operator_code: str, offer: str) -> None:
        """NON_HABILITE for a deposit or test on an offer whose contract has ended."""
        if offer in self.ended_offers(operator_code):
            contract = self._store.contract(operator_code, offer)
            ended = date.fromisoformat(contract.ends_on) if contract and contract.ends_on else None
            raise NotEntitledError(
                f"Le contrat de l'offre {quote(offer)} de l'opérateur {operator_code} a pris fin"
                + (f" le {ended:%d/%m/%Y}" if ended else "")
                + " : cette offre ne relève plus d'e-SAV pour lui.",
                chemin="codeOffre",
                valeur=offer,
            )
