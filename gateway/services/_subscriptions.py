"""Subscription to e-SAV: the order form submitted from the portal (or registered by the provider), the
provider's activation (date, access modes), and termination with two months' notice.

A termination dates the end of the operator's e-SAV accesses (``operators.esav_ends_on``); from that
day on, by the clock, the portal and the web services read them as closed: nobody runs a command.
Provider actions (register, activate, terminate) are audited with their author.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from gateway.domain.clock import Clock, to_paris
from gateway.domain.subscriptions import FIELDS, check_order_form, termination_date
from gateway.domain.xml_text import first_non_xml_char
from gateway.errors import ErrorDetail, InvalidRequestError, TransitionForbiddenError
from gateway.store import Store, SubscriptionRecord

from ._text import non_xml_problem

__all__ = ["SubscriptionService"]

REQUESTED, ACTIVE, TERMINATED = "DEMANDEE", "ACTIVE", "RESILIEE"


class SubscriptionService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def register(
        self, operator_code: str, form: Mapping[str, str], access: frozenset[str], author: str
    ) -> SubscriptionRecord:
        """The provider records an order form received outside the portal, on the operator's behalf; audited."""
        with self._store.write() as tx:
            record = self.submit(operator_code, form, access, author)
            tx.audit.add(
                at=self._clock.now(), actor=author, action="abonnement.enregistrement", target=record.reference,
                details={"operateur": operator_code, "acces": sorted(access)},
            )  # fmt: skip
        return record

    def submit(
        self, operator_code: str, form: Mapping[str, str], access: frozenset[str], author: str
    ) -> SubscriptionRecord:
        """Record a complete order form; InvalidRequestError with one detail per faulty field otherwise."""
        if self._store.get_operator(operator_code) is None:
            raise InvalidRequestError(f"Opérateur {operator_code} inconnu.", chemin="operateur", valeur=operator_code)
        # Characters XML cannot carry first, alone: the other checks quote the values.
        problems = [
            ErrorDetail(name, non_xml_problem(name, bad))
            for name in FIELDS
            if (bad := first_non_xml_char(form.get(name) or "")) is not None
        ] or check_order_form(form, access, to_paris(self._clock.now()).date())
        if problems:
            plural = "s" if len(problems) > 1 else ""
            raise InvalidRequestError(
                f"Bon de commande incomplet ou invalide : {len(problems)} champ{plural} à corriger.",
                chemin=problems[0].chemin,
                details=problems,
            )
        cleaned = {name: (form.get(name) or "").strip() for name in FIELDS}
        with self._store.write() as tx:  # inside the caller's, when it has one (``register``)
            return tx.subscriptions.insert(operator_code, cleaned, access, self._clock.now(), author)

    def of_operator(self, operator_code: str) -> list[SubscriptionRecord]:
        return self._store.subscriptions(operator_code)

    def all(self) -> list[SubscriptionRecord]:
        return self._store.subscriptions()

    def activate(self, reference: str, activated_on: date, access: frozenset[str], author: str) -> SubscriptionRecord:
        """The provider activates a requested subscription: the operator's accesses follow ``access``."""
        with self._store.write() as tx:
            subscription = self._found(reference, tx.subscriptions.get(reference))  # the state we change
            if subscription.state != REQUESTED:
                raise TransitionForbiddenError(f"L'abonnement {reference} est {subscription.state} : déjà traité.")
            if not access or not access <= {"EN_LIGNE", "INTEGRE"}:
                raise InvalidRequestError("Modes d'accès : EN_LIGNE, INTEGRE ou les deux.", chemin="acces")
            tx.subscriptions.update(
                reference, state=ACTIVE, access=access, activated_on=activated_on.isoformat(), activated_by=author
            )
            tx.subscriptions.set_operator_access(
                subscription.operator_code, en_ligne="EN_LIGNE" in access, integre="INTEGRE" in access
            )
            tx.portal.set_operator_access_end(subscription.operator_code, None)  # a new subscription: no end
            # The accesses open on the activation date, not before (read at each request, like the end).
            tx.access_starts.set(subscription.operator_code, activated_on.isoformat())
            tx.audit.add(
                at=self._clock.now(), actor=author, action="abonnement.activation", target=reference,
                details={"operateur": subscription.operator_code, "date": activated_on.isoformat(),
                         "acces": sorted(access)},
            )  # fmt: skip
        return self._get(reference)

    def terminate(
        self, reference: str, notice_on: date | None = None, *, author: str = "fournisseur"
    ) -> SubscriptionRecord:
        """Record a termination notice (by either party); it takes effect two months later, when the
        operator's e-SAV accesses close by themselves."""
        notified = notice_on or to_paris(self._clock.now()).date()
        with self._store.write() as tx:
            subscription = self._found(reference, tx.subscriptions.get(reference))  # the state we change
            if subscription.state != ACTIVE:
                raise TransitionForbiddenError(f"L'abonnement {reference} est {subscription.state} : rien à résilier.")
            tx.subscriptions.update(
                reference,
                state=TERMINATED,
                notice_on=notified.isoformat(),
                terminates_on=termination_date(notified).isoformat(),
            )
            tx.portal.set_operator_access_end(subscription.operator_code, termination_date(notified).isoformat())
            tx.audit.add(
                at=self._clock.now(), actor=author, action="abonnement.resiliation", target=reference,
                details={"operateur": subscription.operator_code, "notifiee": notified.isoformat(),
                         "effet": termination_date(notified).isoformat()},
            )  # fmt: skip
        return self._get(reference)

    def _get(self, reference: str) -> SubscriptionRecord:
        return self._found(reference, self._store.subscription(reference))

    @staticmethod
    def _found(reference: str, found: SubscriptionRecord | None) -> SubscriptionRecord:
        if found is None:
            raise InvalidRequestError(f"Abonnement {reference} inconnu.", chemin="reference", valeur=reference)
        return found
