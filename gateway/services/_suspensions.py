"""Suspending an operator: the provider cuts its portal sign-in and every web-service call at once.

The Espace Opérateurs conditions let the provider suspend access immediately, without notice, on a
breach of the conditions. A suspension is effective on the next request (it is read on the
operator's row, which every call reads anyway), audited with its reason, and lifted the same way.
Web services answer ``NON_HABILITE``: the certificate still proves who calls (that is what
``AUTHENTIFICATION`` is about); what the operator lacks is the right to use the service.
"""

from __future__ import annotations

from datetime import datetime

from gateway.domain.clock import Clock, to_paris
from gateway.errors import InvalidRequestError, NotEntitledError, quote
from gateway.store import OperatorRecord, Store

__all__ = ["SuspensionService", "suspension_refusal"]


def suspension_refusal(operator: OperatorRecord) -> NotEntitledError | None:
    """The error every door raises for a suspended operator, or None when it is not suspended."""
    if operator.suspended_at is None:
        return None
    since = to_paris(datetime.fromisoformat(operator.suspended_at))
    return NotEntitledError(
        f"Accès de l'opérateur {operator.code} suspendu par le fournisseur depuis le {since:%d/%m/%Y à %H:%M} "
        f"(motif : {quote(operator.suspension_reason or '')}). Contactez votre interlocuteur commercial."
    )


class SuspensionService:
    """Suspend and resume an operator's access (portal and web services); audited."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def operators(self) -> list[OperatorRecord]:
        """Every operator, with its suspension if any (the provider's page of operators' access)."""
        return self._store.list_operators()

    def suspend(self, operator_code: str, *, reason: str, author: str) -> OperatorRecord:
        operator = self._operator(operator_code)
        reason = _reason(reason)
        if operator.suspended_at is not None:
            raise InvalidRequestError(
                f"L'opérateur {operator_code} est déjà suspendu depuis le "
                f"{to_paris(datetime.fromisoformat(operator.suspended_at)):%d/%m/%Y %H:%M}.",
                chemin="operateur",
                valeur=operator_code,
            )
        now = self._clock.now()
        with self._store.write() as tx:
            tx.suspensions.set(operator_code, now, reason)
            tx.audit.add(
                at=now, actor=author, action="operateur.suspension", target=operator_code,
                details={"motif": reason},
            )  # fmt: skip
        return self._operator(operator_code)

    def resume(self, operator_code: str, *, reason: str, author: str) -> OperatorRecord:
        operator = self._operator(operator_code)
        reason = _reason(reason)
        if operator.suspended_at is None:
            raise InvalidRequestError(
                f"L'opérateur {operator_code} n'est pas suspendu.", chemin="operateur", valeur=operator_code
            )
        now = self._clock.now()
        with self._store.write() as tx:
            tx.suspensions.set(operator_code, None, None)
            tx.audit.add(
                at=now, actor=author, action="operateur.reprise", target=operator_code,
                details={"motif": reason, "suspendu_depuis": operator.suspended_at},
            )  # fmt: skip
        return self._operator(operator_code)

    def _operator(self, code: str) -> OperatorRecord:
        operator = self._store.get_operator(code)
        if operator is None:
            raise InvalidRequestError(f"Opérateur {quote(code)} inconnu.", chemin="operateur", valeur=code)
        return operator


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise InvalidRequestError("Le motif est obligatoire (--motif).", chemin="motif")
    if len(reason) > 500:
        raise InvalidRequestError("Le motif dépasse 500 caractères.", chemin="motif")
    return reason
