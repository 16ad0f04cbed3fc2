"""Use cases of e-SAV, transport-agnostic: the wire layer, the web pages and the CLI all call these."""

from ._access import DOMAINS, AccessService
from ._admin import PRESTATION_CSV_COLUMNS, AdminService
from ._gateway import Gateway
from ._lifecycle import Lifecycle
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
    "AttachmentIn",
    "Caller",
    "DepositReceipt",
    "DepositRequest",
    "Gateway",
    "GtrView",
    "HistoryQuery",
    "Lifecycle",
    "SavService",
    "SearchQuery",
    "SignalisationService",
    "StateView",
    "TicketDetail",
]
