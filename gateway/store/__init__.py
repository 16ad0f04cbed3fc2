"""The gateway's persistence: the only package that speaks SQL (SQLite or PostgreSQL, see docs/decisions.md)."""

from ._accounts import AgentRecord, SessionRecord, UserRecord
from ._appointments import AppointmentRecord, CapacityRecord
from ._audit import AuditRecord
from ._backup import BackupFile, backup_database, inspect_backup, restore_database
from ._call_stats import CallAggregate, CallKey, CallStatsRow
from ._contracts import ContractsRecord
from ._db import from_ts, to_ts
from ._events import BacklogRow, DeliveryRecord, EndpointRecord, EventRecord
from ._exploitation import InterruptionRecord, RateLimitRecord
from ._integration import JournalEntry, RobotTicket
from ._leadership import LEADER_LOCK_KEY, Leadership
from ._line_tests import LineTestRecord
from ._mail import (
    MAIL_ABANDONED,
    MAIL_NO_RECIPIENT,
    MAIL_PENDING,
    MAIL_SENT,
    MailAddressRecord,
    MailAttachment,
    MailRecord,
)
from ._network_events import NetworkEventRecord
from ._offer_calendar import OfferLaunch
from ._portal import ContractRecord, FaqRecord, FileRecord, InvoiceRecord, NewsRecord, SupportRecord
from ._preview import CachedPreview, StoredDeposit
from ._records import (
    AttachmentRecord,
    CataloguePublicationRecord,
    CertificateRecord,
    CommentRecord,
    OperatorRecord,
    Page,
    PrestationRecord,
    TicketRecord,
    TransitionRow,
)
from ._request_counts import RequestCount, minute_of
from ._schema import MIGRATIONS
from ._sql import POSTGRESQL, SQLITE, StoreUrl, Transaction, parse_store_url
from ._store import Store
from ._subscriptions import SubscriptionRecord
from ._support import SupportCase, SupportFile, SupportMessage
from ._transaction import WriteTransaction
from ._work_queue import QueueFilter

__all__ = [
    "LEADER_LOCK_KEY",
    "MAIL_ABANDONED",
    "MAIL_NO_RECIPIENT",
    "MAIL_PENDING",
    "MAIL_SENT",
    "MIGRATIONS",
    "POSTGRESQL",
    "SQLITE",
    "AgentRecord",
    "AppointmentRecord",
    "AttachmentRecord",
    "AuditRecord",
    "BacklogRow",
    "BackupFile",
    "CachedPreview",
    "CallAggregate",
    "CallKey",
    "CallStatsRow",
    "CapacityRecord",
    "CataloguePublicationRecord",
    "CertificateRecord",
    "CommentRecord",
    "ContractRecord",
    "ContractsRecord",
    "DeliveryRecord",
    "EndpointRecord",
    "EventRecord",
    "FaqRecord",
    "FileRecord",
    "InterruptionRecord",
    "InvoiceRecord",
    "JournalEntry",
    "Leadership",
    "LineTestRecord",
    "MailAddressRecord",
    "MailAttachment",
    "MailRecord",
    "NetworkEventRecord",
    "NewsRecord",
    "OfferLaunch",
    "OperatorRecord",
    "Page",
    "PrestationRecord",
    "QueueFilter",
    "RateLimitRecord",
    "RequestCount",
    "RobotTicket",
    "SessionRecord",
    "Store",
    "StoreUrl",
    "StoredDeposit",
    "SubscriptionRecord",
    "SupportCase",
    "SupportFile",
    "SupportMessage",
    "SupportRecord",
    "TicketRecord",
    "Transaction",
    "TransitionRow",
    "UserRecord",
    "WriteTransaction",
    "backup_database",
    "from_ts",
    "inspect_backup",
    "minute_of",
    "parse_store_url",
    "restore_database",
    "to_ts",
]
