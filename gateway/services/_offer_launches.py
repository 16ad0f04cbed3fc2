"""The provider's commercial launch of an offer, from which its month of set-up in e-SAV runs.

e-SAV annex 1: when a new offer is marketed, the provider takes at least one month to set it up
for after-sales; meanwhile operators use the off-web procedure of the offer's contract. The month
runs from the launch, the same for every operator: one taking an established offer is not held back.
"""

from __future__ import annotations

from datetime import date

from gateway.domain.clock import Clock, to_paris
from gateway.domain.subscriptions import offer_ready_on
from gateway.errors import InvalidRequestError, quote
from gateway.store import OfferLaunch, Store

from ._read_mostly import read_mostly

__all__ = ["OFF_WEB_PROCEDURE", "OfferLaunchService"]

#: What operators do while an offer is being set up (e-SAV annex 1).
OFF_WEB_PROCEDURE = (
    "En attendant, déposez vos signalisations selon la procédure hors Web décrite dans le contrat relatif à l'offre."
)


class OfferLaunchService:
    """Record offers' commercial launches; tell whether an offer is still being set up."""

    def __init__(self, store: Store, clock: Clock, offers: list[str]) -> None:
        self._store = store
        self._clock = clock
        self._offers = offers
        self._copies = read_mostly(store)

    def launch(self, offer: str, launched_on: date, *, author: str) -> OfferLaunch:
        """Record (or correct) the day ``offer`` was launched commercially; audited."""
        if offer not in self._offers:
            raise InvalidRequestError(
                f"Offre {quote(offer)} inconnue du catalogue (connues : {', '.join(self._offers)}).",
                chemin="offre",
                valeur=offer,
            )
        with self._store.write() as tx:
            tx.offers.set_launch(offer, launched_on, author)
            tx.audit.add(
                at=self._clock.now(), actor=author, action="offre.lancement", target=offer,
                details={"lancement": launched_on.isoformat(), "pret_le": offer_ready_on(launched_on).isoformat()},
            )  # fmt: skip
        self._copies.forget()
        found = self._store.offer_launch(offer)
        assert found is not None
        return found

    def launches(self) -> list[OfferLaunch]:
        return self._store.offer_launches()

    def set_up_until(self, offer: str) -> date | None:
        """The first day ``offer``'s tickets are handled in e-SAV while it is in its month of set-up;
        None once ready, or for an offer with no recorded launch (marketed before e-SAV).

        The launches are read from a copy kept in memory (``_read_mostly``: another process's
        launch is seen within a few seconds)."""
        launched_on = self._copies.offer_launches(self._store).get(offer)
        if launched_on is None:
            return None
        ready = offer_ready_on(launched_on)
        return ready if to_paris(self._clock.now()).date() < ready else None
