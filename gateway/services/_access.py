"""Who may call: certificates mapped to operators, subscriptions and validated domains (contract §8)."""

from __future__ import annotations

from gateway.domain.clock import Clock, to_paris
from gateway.domain.subscriptions import access_closed, access_not_yet_open
from gateway.errors import AuthenticationError, NotEntitledError
from gateway.store import Store

from ._suspensions import suspension_refusal
from ._views import Caller

__all__ = ["DOMAINS", "AccessService"]

# The domains an operator is validated for on the integration platform.
DOMAINS = ("signalisation", "test")


class AccessService:
    """Turns a verified TLS client certificate into an operator, and checks its rights."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def authenticate_certificate(self, fingerprint: str | None) -> Caller:
        """The operator behind a client certificate; the identity never comes from the message."""
        if not fingerprint:
            raise AuthenticationError("Certificat client absent : l'accès aux web services exige TLS mutuel.")
        found = self._store.certificate_and_operator(fingerprint)
        if found is None:
            raise AuthenticationError("Certificat client non enregistré auprès du fournisseur.")
        cert, operator = found
        now = self._clock.now()
        if cert.revoked_at is not None and cert.revoked_at <= now:
            raise AuthenticationError(
                f"Certificat client révoqué le {to_paris(cert.revoked_at).strftime('%d/%m/%Y %H:%M')}."
            )
        if not cert.not_before <= now <= cert.not_after:
            raise AuthenticationError(
                f"Certificat client hors de sa période de validité (du {to_paris(cert.not_before):%d/%m/%Y} "
                f"au {to_paris(cert.not_after):%d/%m/%Y})."
            )
        suspended = suspension_refusal(operator)  # the provider cut every access (effective at once)
        if suspended is not None:
            raise suspended
        return Caller(
            operator.code,
            operator.name,
            operator.domains,
            channel="WS",
            author=f"{operator.code}/ws",
            # A terminated subscription closes e-SAV intégré on its effective day, by the clock.
            esav_integre=operator.esav_integre
            and not access_closed(operator.esav_ends_on, to_paris(now).date())
            and not access_not_yet_open(operator.esav_starts_on, to_paris(now).date()),
        )

    def require_ws_domain(self, caller: Caller, domain: str) -> None:
        """Web services need e-SAV intégré and a validation for the domain (NON_HABILITE otherwise).

        ``caller`` comes from ``authenticate_certificate``, which read the operator: no second read.
        """
        self.require_ws_subscription(caller)
        if domain not in caller.domains:
            raise NotEntitledError(
                f"L'opérateur {caller.operator_code} n'est pas encore validé pour le domaine « {domain} » : "
                "la validation se fait sur la plateforme d'intégration.",
                valeur=domain,
            )

    def require_ws_subscription(self, caller: Caller) -> None:
        """Services open to every e-SAV intégré subscriber (the catalogue): NON_HABILITE otherwise."""
        if not caller.esav_integre:
            raise NotEntitledError(
                f"L'opérateur {caller.operator_code} n'est pas abonné à e-SAV intégré (web services)."
            )
