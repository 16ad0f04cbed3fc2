"""Ending an offer contract: from its end date the offer leaves the operator's e-SAV.

From 00:00 Paris on the end date, the offer disappears from the operator's portal profile (users'
rights, deposit forms, line tests, "Mes fichiers") and its deposits and tests over the web services
are refused with ``NON_HABILITE``. Decided at each request, by the clock: no job to run on the day;
the end dates themselves are read from a copy kept in memory (``_read_mostly``).
"""

from __future__ import annotations

from datetime import date

from gateway.domain.clock import Clock, to_paris
from gateway.errors import InvalidRequestError, NotEntitledError, quote
from gateway.store import ContractRecord, Store

from ._read_mostly import read_mostly

__all__ = ["ContractEndService"]


class ContractEndService:
    """Date the end of an operator's offer contract; tell which offers have ended."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._copies = read_mostly(store)

    def end(self, operator_code: str, offer: str, ends_on: date | None, *, author: str) -> ContractRecord:
        """The contract ends on ``ends_on`` (00:00 Paris; None: the end is cancelled); audited."""
        with self._store.write() as tx:
            if not tx.contract_ends.set(operator_code, offer, ends_on.isoformat() if ends_on else None):
                raise InvalidRequestError(
                    f"Pas de contrat de l'offre {quote(offer)} pour l'opérateur {quote(operator_code)}.",
                    chemin="offre",
                    valeur=offer,
                )
            tx.audit.add(
                at=self._clock.now(), actor=author, action="portail.contrat.fin", target=operator_code,
                details={"offre": offer, "fin": ends_on.isoformat() if ends_on else None},
            )  # fmt: skip
        self._copies.forget()
        found = self._store.contract(operator_code, offer)
        assert found is not None
        return found

    def ended_offers(self, operator_code: str) -> frozenset[str]:
        today = to_paris(self._clock.now()).date().isoformat()
        ends = self._copies.contract_ends(self._store).get(operator_code, {})
        return frozenset(offer for offer, ends_on in ends.items() if ends_on <= today)

    def refuse_if_ended(self, operator_code: str, offer: str) -> None:
        """NON_HABILITE for a deposit or test on an offer whose contract has ended."""
        ends_on = self._copies.contract_ends(self._store).get(operator_code, {}).get(offer)
        if ends_on is not None and ends_on <= to_paris(self._clock.now()).date().isoformat():
            ended = date.fromisoformat(ends_on)
            raise NotEntitledError(
                f"Le contrat de l'offre {quote(offer)} de l'opérateur {operator_code} a pris fin le {ended:%d/%m/%Y}"
                " : cette offre ne relève plus d'e-SAV pour lui.",
                chemin="codeOffre",
                valeur=offer,
            )
