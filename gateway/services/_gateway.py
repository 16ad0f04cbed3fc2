"""The composition root: one object that owns the store, the catalogue, the clock and the use cases."""

from __future__ import annotations

from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from pathlib import Path
from typing import cast

from gateway.adapters import NetworkElements, NetworkSimulator
from gateway.catalogue import Catalogue, default_catalogue_root
from gateway.config import Settings
from gateway.domain.clock import Clock, SystemClock
from gateway.store import Leadership, Store, StoreUrl, parse_store_url

from ._access import AccessService
from ._accounts import AccountService
from ._admin import AdminService
from ._appointments import AppointmentService, CapacityService
from ._audit_trail import AuditTrail
from ._catalogue_service import CatalogueService
from ._certificate_renewal import CertificateRenewal
from ._contract_ends import ContractEndService
from ._documentation import DocumentationPack
from ._durability import Durability
from ._events import EventService
from ._exploitation import CertificateWatch, MaintenanceService, RateLimitService
from ._health import HealthService
from ._integration import IntegrationService
from ._lifecycle import Lifecycle
from ._line_tests import LineTestService
from ._live_catalogue import CatalogueOrigin, LiveCatalogue
from ._mail import MailService
from ._network_events import NetworkEventService
from ._notices_mail import NoticeMailer
from ._notifications import NotificationService
from ._offer_launches import OfferLaunchService
from ._operator_files import OperatorFilesService
from ._portal import PortalService
from ._preview import FormPreviewService
from ._sav import SavService
from ._served_contracts import ServedContracts
from ._subscriptions import SubscriptionService
from ._support_desk import SupportDesk
from ._suspensions import SuspensionService
from ._tickets import SignalisationService
from ._volumetry import Volumetry
from ._work_queue import WorkQueueService

__all__ = ["PUBLISHED_CATALOGUES_DIR", "Gateway"]

#: Folder of the data directory where published catalogues are unpacked (one folder per publication).
PUBLISHED_CATALOGUES_DIR = "published-catalogues"


def default_work_dir(url: StoreUrl) -> Path:
    """Where a gateway on a server's database keeps its local files (published catalogues) when
    no data folder is given: the system's temporary folder, one per database."""
    import tempfile

    name = "".join(c if c.isalnum() else "_" for c in f"{url.database_name}")
    return Path(tempfile.gettempdir()) / f"esav-{name or 'postgresql'}"


class Gateway:
    """Everything behind the doors (wire, web, CLI), built once per process."""

    def __init__(
        self,
        store: Store,
        catalogue: Catalogue | LiveCatalogue,
        clock: Clock | None = None,
        *,
        catalogue_root: Path | None = None,
        network: NetworkElements | None = None,
    ) -> None:
        self.store = store
        # Answer only after a durable commit: every door (SOAP, portal, CLI, integration) goes through it.
        self.durable = Durability(store)
        live = (
            catalogue
            if isinstance(catalogue, LiveCatalogue)
            else LiveCatalogue(catalogue, catalogue_root or default_catalogue_root(), store)
        )
        # Services hold the live catalogue, so a publication reaches them all at once.
        self.live_catalogue = live
        self.catalogue = cast(Catalogue, live)
        self.clock: Clock = clock or SystemClock()
        lifecycle = Lifecycle(store, self.catalogue, self.clock)
        self.access = AccessService(store, self.clock)
        self.accounts = AccountService(store, self.clock)  # portal users and sessions
        # E-mail to operators: their addresses, the outbox; the notices each change owes them.
        self.mail = MailService(store, self.clock)
        # The documentation pack (annex 2): the portal's Documents page, and the zip evolutions' notices carry.
        self.documentation = DocumentationPack(self.catalogue)
        self.notices = NoticeMailer(store, self.clock, self.mail, doc_pack=self.documentation.zip)
        self.portal = PortalService(store, self.clock, self.notices)  # portal content: news, files, invoices...
        self.operator_files = OperatorFilesService(store, self.clock)  # "Mes fichiers" received by the provider
        self.support = SupportDesk(store, self.clock, self.portal)  # e-soutien: requests, answers, inbox
        self.subscriptions = SubscriptionService(store, self.clock)  # e-SAV order forms
        self.offer_launches = OfferLaunchService(store, self.clock, catalogue.offers())  # new offers' set-up
        self.suspensions = SuspensionService(store, self.clock)  # the provider cuts an operator's access
        self.contract_ends = ContractEndService(store, self.clock)  # an ended contract's offer leaves e-SAV
        self.tickets = SignalisationService(store, self.catalogue, self.clock, lifecycle)
        self.sav = SavService(store, self.clock, lifecycle, self.tickets)
        # The after-sales agents' queue across operators (pages /fournisseur/sav, esav sav liste|show).
        self.work_queue = WorkQueueService(store, self.catalogue, self.clock, lifecycle, self.tickets, self.sav)
        self.admin = AdminService(store, self.clock, catalogue.offers())
        self.catalogue_service = CatalogueService(self.catalogue, self.clock)
        # e-SAV Test and appointments; the network elements are simulated by default.
        self.network: NetworkElements = network or NetworkSimulator()
        self.appointments = AppointmentService(store, self.catalogue, self.clock, lifecycle)
        self.capacities = CapacityService(store, self.catalogue, self.clock)
        self.line_tests = LineTestService(store, self.catalogue, self.clock, self.network)
        self.network_events = NetworkEventService(store, self.catalogue, self.clock)
        # Running the service: volumetry, maintenance, rate limits, certificate expiry.
        self.volumetry = Volumetry(store, self.clock)
        self.maintenance = MaintenanceService(store, self.clock, self.notices)
        self.rate_limits = RateLimitService(store, self.clock, self.notices)
        self.certificate_watch = CertificateWatch(store, self.clock, self.notices)
        self.certificate_renewal = CertificateRenewal(
            store, self.clock, self.admin, self.certificate_watch, self.notices
        )
        # The operators' event feed and its push to their callback endpoints (contract §12).
        self.events = EventService(store, self.clock)
        self.notifications = NotificationService(store, self.clock)
        self.contracts = ServedContracts(store, self.clock)  # the WSDLs every node of a cluster serves
        self.health = HealthService(store, self.catalogue)  # /health/ready on the operations port
        self.audit_trail = AuditTrail(store)  # esav audit
        # The integration platform's journal, attestations and sandbox; production's import of an attestation.
        self.integration = IntegrationService(store, self.clock)
        # Previews of announced form versions against operators' own deposits (portal, notices, CLI).
        self.form_previews = FormPreviewService(store, self.catalogue, self.clock, self.mail, self.notices)

    @classmethod
    def open(
        cls,
        database: StoreUrl | Path | str,
        *,
        catalogue_dir: Path | None = None,
        clock: Clock | None = None,
        network: NetworkElements | None = None,
        work_dir: Path | None = None,
        pool_size: int = 20,
    ) -> Gateway:
        """The gateway on ``database`` (a SQLite file, or a store URL: ``postgresql://…``), serving the
        last published catalogue (the folder
        ``catalogue_dir`` as it is only when nothing was ever published: see ``LiveCatalogue``)."""
        root = catalogue_dir or default_catalogue_root()
        url = database if isinstance(database, StoreUrl) else parse_store_url(database)
        store = Store(url, pool_size=pool_size)
        if work_dir is None:  # beside the SQLite file; a server's database: a folder of its own
            work_dir = url.path.parent if url.path is not None else default_work_dir(url)
        try:
            # Publications are unpacked in the local work folder (each machine its own copy).
            live = LiveCatalogue.open(root, store, work_dir / PUBLISHED_CATALOGUES_DIR)
        except BaseException:
            store.close()
            raise
        return cls(store, live, clock, network=network)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock | None = None, network: NetworkElements | None = None
    ) -> Gateway:
        """The gateway on the settings' store, catalogue and data folder (``open``), on the settings'
        clock unless given one."""
        return cls.open(
            settings.store_location,
            catalogue_dir=settings.catalogue_dir,
            clock=clock or settings.clock(),
            network=network,
            work_dir=settings.data_dir,
            pool_size=settings.store_pool_size,
        )

    @property
    def batch_reads(self) -> Callable[[Collection[str], Collection[str]], AbstractContextManager[None]]:
        """For the server's batch of calls: ``batch_reads(fingerprints, prestations)`` reads the
        certificates the calls authenticate with and the prestations their deposits name, one statement
        each rather than one a call; inside the block, authentication and deposits use those rows,
        checked as always. Read again for every batch: a revocation or a suspension applies to the next one."""
        return self.store.read_ahead

    def refresh_catalogue(self) -> bool:
        """Serve the latest published catalogue if there is a new one (see ``LiveCatalogue``)."""
        return self.live_catalogue.refresh()

    def catalogue_origin(self) -> CatalogueOrigin:
        """The publication served, and whether the catalogue folder has changes not published."""
        return self.live_catalogue.origin()

    def leadership(self, *, leader: bool) -> Leadership:
        """Who runs the background work among the processes sharing this store (see ``Store.leadership``)."""
        return self.store.leadership(leader=leader)

    def close(self) -> None:
        self.store.close()
