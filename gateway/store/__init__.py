"""The gateway's persistence: the only package that speaks SQL (SQLite today, see DESIGN.md)."""

from ._appointments import AppointmentRecord, CapacityRecord
from ._db import from_ts, to_ts
from ._line_tests import LineTestRecord
from ._network_events import NetworkEventRecord
from ._records import (
    AttachmentRecord,
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
from ._store import Store

__all__ = [
    "MIGRATIONS",
    "AppointmentRecord",
    "AttachmentRecord",
    "CapacityRecord",
    "CertificateRecord",
    "CommentRecord",
    "LineTestRecord",
    "NetworkEventRecord",
    "OperatorRecord",
    "Page",
    "PrestationRecord",
    "RequestCount",
    "Store",
    "TicketRecord",
    "TransitionRow",
    "from_ts",
    "minute_of",
    "to_ts",
]
