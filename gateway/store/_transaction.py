"""The write transaction the services see: one repository per aggregate, bound to the transaction.

``with store.write() as tx: tx.offers.set_launch(...); tx.audit.add(...)``. The reads that decide a
write (does the ticket exist, in which state; how many bookings on a slot; is the login free) are
offered here, on the repositories, and nowhere else inside a write block: what is checked is what
the transaction changes (docs/decisions.md, "Typed transactions"). A repository is made on first use
and kept with its connection: a deposit never builds the twenty it does not use.
"""

from __future__ import annotations

from functools import cached_property

from ._access_start import AccessStartRepository
from ._accounts import AccountRepository, SessionRepository
from ._appointments import AppointmentRepository
from ._audit import AuditRepository
from ._contract_ends import ContractEndRepository
from ._contracts import ServedContractsRepository
from ._events import EventRepository
from ._exploitation import InterruptionRepository, RateLimitRepository
from ._integration import IntegrationRepository
from ._line_tests import LineTestRepository
from ._mail import MailRepository
from ._network_events import NetworkEventRepository
from ._offer_calendar import OfferRepository
from ._operators import CatalogueRepository, CertificateRepository, OperatorRepository, PrestationRepository
from ._portal import PortalRepository
from ._preview import PreviewRepository
from ._request_counts import RequestCountRepository
from ._sql import Transaction
from ._subscriptions import SubscriptionRepository
from ._support import SupportRepository
from ._suspensions import SuspensionRepository
from ._tickets import TicketRepository

__all__ = ["WriteTransaction"]


class WriteTransaction:
    """One write transaction, by aggregate: ``tx.tickets``, ``tx.audit``…

    A thin holder of the store's low-level ``Transaction`` (``low_level``: the connection, for the
    store's internals and its tests; services never use it, tests/test_layers.py checks). Made once
    per connection (``Store.write`` keeps it on the ``Transaction``), its repositories on first use.
    """

    def __init__(self, db: Transaction) -> None:
        self.low_level = db

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.low_level)

    @cached_property
    def suspensions(self) -> SuspensionRepository:
        return SuspensionRepository(self.low_level)

    @cached_property
    def offers(self) -> OfferRepository:
        return OfferRepository(self.low_level)

    @cached_property
    def contract_ends(self) -> ContractEndRepository:
        return ContractEndRepository(self.low_level)

    @cached_property
    def access_starts(self) -> AccessStartRepository:
        return AccessStartRepository(self.low_level)

    @cached_property
    def served_contracts(self) -> ServedContractsRepository:
        return ServedContractsRepository(self.low_level)

    @cached_property
    def request_counts(self) -> RequestCountRepository:
        return RequestCountRepository(self.low_level)

    @cached_property
    def network_events(self) -> NetworkEventRepository:
        return NetworkEventRepository(self.low_level)

    @cached_property
    def subscriptions(self) -> SubscriptionRepository:
        return SubscriptionRepository(self.low_level)

    @cached_property
    def portal(self) -> PortalRepository:
        return PortalRepository(self.low_level)

    @cached_property
    def interruptions(self) -> InterruptionRepository:
        return InterruptionRepository(self.low_level)

    @cached_property
    def rate_limits(self) -> RateLimitRepository:
        return RateLimitRepository(self.low_level)

    @cached_property
    def mail(self) -> MailRepository:
        return MailRepository(self.low_level)

    @cached_property
    def support(self) -> SupportRepository:
        return SupportRepository(self.low_level)

    @cached_property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self.low_level)

    @cached_property
    def sessions(self) -> SessionRepository:
        return SessionRepository(self.low_level)

    @cached_property
    def tickets(self) -> TicketRepository:
        return TicketRepository(self.low_level)

    @cached_property
    def events(self) -> EventRepository:
        return EventRepository(self.low_level)

    @cached_property
    def appointments(self) -> AppointmentRepository:
        return AppointmentRepository(self.low_level)

    @cached_property
    def line_tests(self) -> LineTestRepository:
        return LineTestRepository(self.low_level)

    @cached_property
    def integration(self) -> IntegrationRepository:
        return IntegrationRepository(self.low_level)

    @cached_property
    def operators(self) -> OperatorRepository:
        return OperatorRepository(self.low_level)

    @cached_property
    def certificates(self) -> CertificateRepository:
        return CertificateRepository(self.low_level)

    @cached_property
    def prestations(self) -> PrestationRepository:
        return PrestationRepository(self.low_level)

    @cached_property
    def catalogue(self) -> CatalogueRepository:
        return CatalogueRepository(self.low_level)

    @cached_property
    def previews(self) -> PreviewRepository:
        return PreviewRepository(self.low_level)
