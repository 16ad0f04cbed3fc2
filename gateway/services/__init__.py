"""Use cases of e-SAV, transport-agnostic: the wire layer, the web pages and the CLI all call these."""

from ._access import DOMAINS, AccessService
from ._accounts import (
    ADMINISTRATOR,
    AFTER_SALES,
    AGENT_ROLES,
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
from ._audit_trail import AuditTrail, readable_value
from ._backup import backup_store, migrate_store, migration_status, restore_store
from ._catalogue_service import (
    CatalogueService,
    FormSchema,
    FormVersionView,
    FormView,
    Publication,
    catalogue_files,
    catalogue_fingerprint,
    publish_catalogue,
    publish_catalogue_in,
)
from ._certificate_renewal import CertificateRenewal, Renewal
from ._contract_ends import ContractEndService
from ._declared_form import DeclaredField
from ._doc_pack import DOC_PACK, doc_pack_files, doc_pack_zip
from ._documentation import DOC_ARCHIVE_NAME, Document, DocumentationPack, Section
from ._durability import Durability
from ._events import EVENT_KINDS, MAX_EVENTS_PAGE, EventPage, EventService, payload_instant
from ._exploitation import CertificateWatch, MaintenanceService, RateLimitService, audit
from ._gateway import Gateway
from ._health import HealthService, Readiness
from ._integration import IntegrationService
from ._lifecycle import Lifecycle
from ._line_tests import LineTestResult, LineTestService
from ._live_catalogue import CatalogueOrigin
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
from ._offer_launches import OFF_WEB_PROCEDURE, OfferLaunchService
from ._operator_files import ContractFiles, OperatorFilesService, ReceivedFile
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
from ._served_contracts import ServedContracts, contracts_fingerprint
from ._subscriptions import SubscriptionService
from ._support_desk import SUPPORT_STATUSES, InboxItem, SupportDesk, SupportThread
from ._suspensions import SuspensionService
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
from ._work_queue import DUE_SOON, QueueItem, QueuePage, QueueQuery, SavTicket, WorkQueueService

__all__ = [
    "ADMINISTRATOR",
    "AFTER_SALES",
    "AGENT_ROLES",
    "ATTACHMENT_TYPES",
    "DEFAULT_PREVIEW_DAYS",
    "DELIVERY_WINDOW",
    "DOC_ARCHIVE_NAME",
    "DOC_PACK",
    "DOC_PACK_NAME",
    "DOMAINS",
    "DUE_SOON",
    "ESERVICES",
    "EVENT_KINDS",
    "FILE_TYPES",
    "MAIL_MAX_ATTEMPTS",
    "MAIL_RETRY_DELAYS",
    "MAX_ATTACHMENTS",
    "MAX_ATTACHMENT_BYTES",
    "MAX_EVENTS_PAGE",
    "NEWS_KINDS",
    "OFF_WEB_PROCEDURE",
    "PRESTATION_CSV_COLUMNS",
    "RATE_LIMIT_NEWS",
    "READ",
    "RETRY_DELAYS",
    "SUPPORT_STATUSES",
    "USER",
    "WEB_SERVICES_ONLY_OFFERS",
    "WRITE",
    "AccessService",
    "AccountService",
    "AdminService",
    "Announcement",
    "AppointmentService",
    "AttachmentIn",
    "AuditTrail",
    "Caller",
    "CapacityService",
    "CatalogueOrigin",
    "CatalogueService",
    "CertificateRenewal",
    "CertificateWatch",
    "ContractEndService",
    "ContractFiles",
    "DeclaredField",
    "DeliveryRun",
    "DepositReceipt",
    "DepositRequest",
    "Document",
    "DocumentationPack",
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
    "HealthService",
    "HistoryQuery",
    "InboxItem",
    "IntegrationService",
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
    "OfferLaunchService",
    "OperationStats",
    "OperatorFilesService",
    "OperatorPreview",
    "PortalService",
    "PortalUser",
    "ProviderAgent",
    "Publication",
    "QueueItem",
    "QueuePage",
    "QueueQuery",
    "RateLimitService",
    "Readiness",
    "ReceivedFile",
    "Renewal",
    "SavService",
    "SavTicket",
    "SearchQuery",
    "Section",
    "Sender",
    "ServedContracts",
    "SignalisationService",
    "StateView",
    "SubscriptionService",
    "SupportDesk",
    "SupportThread",
    "SuspensionService",
    "TicketDetail",
    "UploadedFile",
    "Volumetry",
    "WebSession",
    "WorkQueueService",
    "audit",
    "backup_store",
    "catalogue_files",
    "catalogue_fingerprint",
    "check_text",
    "contracts_fingerprint",
    "doc_pack_files",
    "doc_pack_zip",
    "migrate_store",
    "migration_status",
    "non_xml_problem",
    "payload_instant",
    "publish_catalogue",
    "publish_catalogue_in",
    "readable_value",
    "restore_store",
    "retry_delay",
]
