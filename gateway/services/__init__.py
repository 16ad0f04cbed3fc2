"""Use cases of e-SAV, transport-agnostic: the wire layer, the web pages and the CLI all call these."""

from ._access import DOMAINS, AccessService
from ._accounts import (
    ADMINISTRATOR,
    ESERVICES,
    READ,
    USER,
    WRITE,
    AccountService,
    PortalUser,
    ProviderAgent,
    WebSession,
)
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
from ._certificate_renewal import CertificateRenewal, Renewal
from ._doc_pack import DOC_PACK, doc_pack_files, doc_pack_zip
from ._durability import Durability
from ._events import EVENT_KINDS, MAX_EVENTS_PAGE, EventPage, EventService, payload_instant
from ._exploitation import CertificateWatch, MaintenanceService, RateLimitService, audit
from ._gateway import Gateway
from ._lifecycle import Lifecycle
from ._line_tests import LineTestResult, LineTestService
from ._mail import (
    MAIL_MAX_ATTEMPTS,
    MAIL_RETRY_DELAYS,
    Letter,
    MailDeliveryError,
    MailRun,
    MailSender,
    MailService,
)
from ._network_events import NetworkEventService
from ._notices_mail import DOC_PACK_NAME, NoticeMailer
from ._notifications import DELIVERY_WINDOW, RETRY_DELAYS, DeliveryRun, NotificationService, Sender, retry_delay
from ._portal import FILE_TYPES, NEWS_KINDS, RATE_LIMIT_NEWS, PortalService, UploadedFile
from ._preview import (
    DEFAULT_PREVIEW_DAYS,
    Announcement,
    ErrorCount,
    FormPreview,
    FormPreviewService,
    OperatorPreview,
)
from ._sav import SavService
from ._subscriptions import SubscriptionService
from ._text import check_text, non_xml_problem
from ._tickets import (
    ATTACHMENT_TYPES,
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    WEB_SERVICES_ONLY_OFFERS,
    SignalisationService,
)
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
from ._volumetry import OperationStats, Volumetry

__all__ = [
    "ADMINISTRATOR",
    "ATTACHMENT_TYPES",
    "DEFAULT_PREVIEW_DAYS",
    "DELIVERY_WINDOW",
    "DOC_PACK",
    "DOC_PACK_NAME",
    "DOMAINS",
    "ESERVICES",
    "EVENT_KINDS",
    "FILE_TYPES",
    "MAIL_MAX_ATTEMPTS",
    "MAIL_RETRY_DELAYS",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_EVENTS_PAGE",
    "NEWS_KINDS",
    "PRESTATION_CSV_COLUMNS",
    "RATE_LIMIT_NEWS",
    "READ",
    "RETRY_DELAYS",
    "USER",
    "WEB_SERVICES_ONLY_OFFERS",
    "WRITE",
    "AccessService",
    "AccountService",
    "AdminService",
    "Announcement",
    "AppointmentService",
    "AttachmentIn",
    "Caller",
    "CapacityService",
    "CatalogueService",
    "CertificateRenewal",
    "CertificateWatch",
    "DeliveryRun",
    "DepositReceipt",
    "DepositRequest",
    "Durability",
    "ErrorCount",
    "EventPage",
    "EventService",
    "FormPreview",
    "FormPreviewService",
    "FormSchema",
    "FormVersionView",
    "FormView",
    "Gateway",
    "GtrView",
    "HistoryQuery",
    "Letter",
    "Lifecycle",
    "LineTestResult",
    "LineTestService",
    "MailDeliveryError",
    "MailRun",
    "MailSender",
    "MailService",
    "MaintenanceService",
    "NetworkEventService",
    "NoticeMailer",
    "NotificationService",
    "OperationStats",
    "OperatorPreview",
    "PortalService",
    "PortalUser",
    "ProviderAgent",
    "Publication",
    "RateLimitService",
    "Renewal",
    "SavService",
    "SearchQuery",
    "Sender",
    "SignalisationService",
    "StateView",
    "SubscriptionService",
    "TicketDetail",
    "UploadedFile",
    "Volumetry",
    "WebSession",
    "audit",
    "catalogue_fingerprint",
    "check_text",
    "doc_pack_files",
    "doc_pack_zip",
    "non_xml_problem",
    "payload_instant",
    "publish_catalogue",
    "retry_delay",
]
