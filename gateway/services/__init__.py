"""Use cases of e-SAV, transport-agnostic: the wire layer, the web pages and the CLI all call these."""

from ._access import DOMAINS, AccessService
from ._admin import PRESTATION_CSV_COLUMNS, AdminService
from ._appointments import AppointmentService, CapacityService
from ._catalogue_service import (
    CatalogueService,
    FormSchema,
    FormVersionView,
    FormView,
    Publication,
    catalogue_fingerprint,
    publish_catalogue,
)
from ._gateway import Gateway
from ._lifecycle import Lifecycle
from ._line_tests import LineTestResult, LineTestService
from ._network_events import NetworkEventService
from ._sav import SavService
from ._tickets import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, SignalisationService
from ._views import (
    AttachmentIn,
    Caller,
    DepositReceipt,
    DepositRequest,
    GtrView,
    HistoryQuery,
    SearchQuery,
    StateView,
    TicketDetail,
)

__all__ = [
    "ATTACHMENT_TYPES",
    "DOMAINS",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "PRESTATION_CSV_COLUMNS",
    "AccessService",
    "AdminService",
    "AppointmentService",
    "AttachmentIn",
    "Caller",
    "CapacityService",
    "CatalogueService",
    "DepositReceipt",
    "DepositRequest",
    "FormSchema",
    "FormVersionView",
    "FormView",
    "Gateway",
    "GtrView",
    "HistoryQuery",
    "Lifecycle",
    "LineTestResult",
    "LineTestService",
    "NetworkEventService",
    "Publication",
    "SavService",
    "SearchQuery",
    "SignalisationService",
    "StateView",
    "TicketDetail",
    "catalogue_fingerprint",
    "publish_catalogue",
]
