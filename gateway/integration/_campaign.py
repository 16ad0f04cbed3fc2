"""The validation campaign (contract §10) and the platform's use cases for operators and staff.

An operator is validated for a domain once the journal holds, in one API version, at least one
successful call (answered without fault) of a web service of that domain, as the e-SAV conditions
ask (5.2.1: "faire appel à au moins un Web Service du catalogue ... selon le domaine"):
``signalisation`` or ``rendezvous`` for ``signalisation``, ``test`` for ``test``. The stricter
campaign (``strict``), offered to operators who want more assurance, requires instead each named
operation: ``deposerSignalisation`` and ``consulterEtatSignalisation`` for ``signalisation``;
``lancerTest`` and ``consulterResultatTest`` for ``test``. The attestation covers the domains
complete in the newest version where any is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.errors import InvalidRequestError
from gateway.services import Caller, Gateway
from gateway.services.records import JournalEntry

from ._attestation import sign_attestation
from ._journal import CallJournal

__all__ = [
    "DOMAIN_SERVICES",
    "REQUIRED_CALLS",
    "CampaignProgress",
    "DomainProgress",
    "IntegrationPlatform",
    "OperationProgress",
]

#: domain → the web services whose calls validate it (any one successful call does).
DOMAIN_SERVICES: dict[str, tuple[str, ...]] = {"signalisation": ("signalisation", "rendezvous"), "test": ("test",)}

#: domain → (service, operation) calls that must all succeed in the stricter campaign.
REQUIRED_CALLS: dict[str, tuple[tuple[str, str], ...]] = {
    "signalisation": (("signalisation", "deposerSignalisation"), ("signalisation", "consulterEtatSignalisation")),
    "test": (("test", "lancerTest"), ("test", "consulterResultatTest")),
}

MAX_JOURNAL_PAGE = 500


@dataclass(frozen=True)
class OperationProgress:
    service: str
    operation: str
    versions: tuple[str, ...]  # versions in which it succeeded
    first_success: datetime | None


@dataclass(frozen=True)
class DomainProgress:
    domain: str
    operations: tuple[OperationProgress, ...]
    complete_in: tuple[str, ...]  # versions in which every required call succeeded

    @property
    def complete(self) -> bool:
        return bool(self.complete_in)


@dataclass(frozen=True)
class CampaignProgress:
    operator_code: str
    domains: tuple[DomainProgress, ...]

    @property
    def complete(self) -> bool:
        return all(d.complete for d in self.domains)

    def attestable(self) -> tuple[str, list[str]] | None:
        """(version, domains) the attestation would cover, or None if no domain is complete."""
        versions = sorted({v for d in self.domains for v in d.complete_in}, reverse=True)
        if not versions:
            return None
        newest = versions[0]
        return newest, [d.domain for d in self.domains if newest in d.complete_in]


class IntegrationPlatform:
    """What only the integration platform offers: journal, campaign, attestation, sandbox reset."""

    def __init__(self, gateway: Gateway, journal: CallJournal, signing_key: Ed25519PrivateKey) -> None:
        self._gateway = gateway
        self._journal = journal
        self._key = signing_key

    def journal(
        self, operator_code: str, *, after_id: int = 0, since: datetime | None = None, limit: int = 100
    ) -> list[JournalEntry]:
        if not 1 <= limit <= MAX_JOURNAL_PAGE:
            raise InvalidRequestError(f"max doit être entre 1 et {MAX_JOURNAL_PAGE}.", chemin="max", valeur=str(limit))
        self._journal.flush()
        return self._gateway.integration.journal(operator_code, after_id=after_id, since=since, limit=limit)

    def campaign(self, operator_code: str, *, strict: bool = False) -> CampaignProgress:
        """Progress per domain: one successful call of the domain's services (``strict``: each named call)."""
        self._journal.flush()
        calls = self._gateway.integration.successful_calls(operator_code)
        domains = []
        for domain, named in REQUIRED_CALLS.items():
            called = sorted({(s, o) for _, s, o, _ in calls if s in DOMAIN_SERVICES[domain] and o})
            required = named if strict or not called else tuple(called)
            operations = []
            for service, operation in required:
                hits = [(v, at) for v, s, o, at in calls if s == service and o == operation]
                operations.append(
                    OperationProgress(
                        service,
                        operation,
                        tuple(sorted({v for v, _ in hits})),
                        min((at for _, at in hits), default=None),
                    )
                )
            versions = [set(o.versions) for o in operations]
            complete_in = set.intersection(*versions) if strict else set.union(*versions)
            domains.append(DomainProgress(domain, tuple(operations), tuple(sorted(complete_in))))
        return CampaignProgress(operator_code, tuple(domains))

    def attestation(self, caller: Caller) -> tuple[str, str, list[str]]:
        """(document, version, domains): a signed attestation of the domains the operator completed."""
        progress = self.campaign(caller.operator_code)
        attestable = progress.attestable()
        if attestable is None:
            missing = [f"{o.operation}" for d in progress.domains for o in d.operations if not o.versions]
            raise InvalidRequestError(
                "Campagne de validation incomplète : aucun domaine n'est encore validé ; il faut au moins un "
                f"appel réussi d'un web service par domaine (par exemple : {', '.join(missing)}).",
                chemin="campagne",
            )
        version, domains = attestable
        now = self._gateway.clock.now()
        number = self._gateway.integration.next_attestation_number(caller.operator_code)
        document = sign_attestation(
            self._key,
            operator_code=caller.operator_code,
            operator_name=caller.operator_name,
            domains=domains,
            version=version,
            at=now,
            number=number,
        )
        with self._gateway.durable.committed():  # never hand out an attestation that is not on record
            self._gateway.integration.record_attestation(caller.operator_code, version, domains, now, document)
        return document, version, domains

    def reset(self, operator_code: str, *, author: str | None = None) -> dict[str, int]:
        """Delete the operator's sandbox data (tickets, tests, appointments, journal) on the platform,
        audited as ``author`` (the operator itself by default); the counts are returned once the
        deletion is durably committed."""
        with self._gateway.durable.committed():
            self._journal.flush()
            return self._gateway.integration.reset_sandbox(operator_code, author=author or operator_code)
