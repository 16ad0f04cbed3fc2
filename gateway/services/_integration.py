"""The integration platform's use cases on its data, and importing its attestation in production.

On the platform: opening every domain to every operator (its sandbox), the call journal, the
attestations it issues, an operator's sandbox reset. In production: recording a verified
attestation, which opens its domains. Every provider or operator action here is audited in the
transaction that makes it; the journal is a record itself and is not audited call by call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from gateway.domain.clock import Clock
from gateway.errors import InvalidRequestError
from gateway.store import JournalEntry, OperatorRecord, RobotTicket, Store

from ._access import DOMAINS
from ._text import check_text

__all__ = ["IntegrationService"]


class IntegrationService:
    """What the integration platform keeps (journal, attestations, sandbox) and what production records of it."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    # The platform's sandbox ----------------------------------------------------------------------

    def open_every_domain(self, *, author: str) -> list[str]:
        """Subscribe every operator to e-SAV intégré with every domain (the platform is where operators
        get validated); audited per operator changed, whose codes are returned."""
        check_text(author, chemin="auteur", label="Auteur")
        now = self._clock.now()
        changed: list[str] = []
        with self._store.write() as tx:
            for operator in tx.operators.all():
                if set(operator.domains) == set(DOMAINS) and operator.esav_integre:
                    continue
                tx.operators.upsert(
                    operator.code,
                    operator.name,
                    esav_en_ligne=operator.esav_en_ligne,
                    esav_integre=True,
                    domains=DOMAINS,
                    at=now,
                )
                tx.audit.add(
                    at=now, actor=author, action="integration.domaines", target=operator.code,
                    details={"domaines": {"avant": sorted(operator.domains), "apres": sorted(DOMAINS)},
                             "integre": {"avant": operator.esav_integre, "apres": True}},
                )  # fmt: skip
                changed.append(operator.code)
        return changed

    def reset_sandbox(self, operator_code: str, *, author: str) -> dict[str, int]:
        """Delete the operator's tickets, line tests, appointments and journal; audited, with the counts."""
        check_text(author, chemin="auteur", label="Auteur")
        if self._store.get_operator(operator_code) is None:
            raise InvalidRequestError(f"Opérateur {operator_code} inconnu.", valeur=operator_code)
        with self._store.write() as tx:
            counts = tx.integration.reset_sandbox(operator_code)
            tx.audit.add(
                at=self._clock.now(), actor=author, action="integration.reinitialisation",
                target=operator_code, details=dict(counts),
            )  # fmt: skip
        return counts

    def robot_tickets(self, prestations: Iterable[str], author: str) -> list[RobotTicket]:
        """Open sandbox tickets on ``prestations``, with the number of transitions ``author`` made."""
        return self._store.robot_tickets(prestations, author)

    # The call journal ----------------------------------------------------------------------------

    def record_calls(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append a batch of journaled calls (one transaction)."""
        if entries:
            with self._store.write() as tx:
                tx.integration.add_journal_entries(entries)

    def journal(
        self, operator_code: str, *, after_id: int = 0, since: datetime | None = None, limit: int = 100
    ) -> list[JournalEntry]:
        return self._store.journal(operator_code, after_id=after_id, since=since, limit=limit)

    def successful_calls(self, operator_code: str) -> list[tuple[str, str, str, datetime]]:
        """(version, service, operation, first success) of every operation called without fault."""
        return self._store.successful_calls(operator_code)

    # Attestations --------------------------------------------------------------------------------

    def next_attestation_number(self, operator_code: str) -> int:
        return len(self._store.list_attestations(operator_code)) + 1

    def record_attestation(
        self, operator_code: str, version: str, domains: Sequence[str], at: datetime, document: str
    ) -> int:
        """Keep an issued attestation; audited as the operator's request."""
        with self._store.write() as tx:
            number = tx.integration.record_attestation(operator_code, version, domains, at, document)
            tx.audit.add(
                at=at, actor=operator_code, action="integration.attestation", target=operator_code,
                details={"version": version, "domaines": sorted(domains)},
            )  # fmt: skip
        return number

    def validate_operator(
        self, operator_code: str, domains: Sequence[str], version: str, attested_at: str, sha256: str, *, author: str
    ) -> tuple[OperatorRecord, frozenset[str]]:
        """Production: record a verified attestation and open its domains to the operator, with those it
        had (returned: the operator before, the domains now open); audited."""
        check_text(author, chemin="auteur", label="Auteur")
        now = self._clock.now()
        with self._store.write() as tx:
            operator = tx.operators.get(operator_code)  # the domains it had: those kept
            if operator is None:
                raise InvalidRequestError(
                    f"Opérateur {operator_code} inconnu de cette instance.", chemin="operateur", valeur=operator_code
                )
            granted = frozenset(operator.domains) | frozenset(domains)
            tx.integration.record_validation(operator.code, domains, version, attested_at, sha256, now, granted)
            tx.audit.add(
                at=now, actor=author, action="operateur.validation", target=operator.code,
                details={"domaines": {"avant": sorted(operator.domains), "apres": sorted(granted)},
                         "attestation": {"version": version, "date": attested_at, "sha256": sha256}},
            )  # fmt: skip
        return operator, granted
