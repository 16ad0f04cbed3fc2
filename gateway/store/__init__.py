"""The gateway's persistence: the only package that speaks SQL (SQLite today, see DESIGN.md)."""

from ._db import from_ts, to_ts
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
from ._schema import MIGRATIONS
from ._store import Store

__all__ = [
    "MIGRATIONS",
    "AttachmentRecord",
    "CertificateRecord",
    "CommentRecord",
    "OperatorRecord",
    "Page",
    "PrestationRecord",
    "Store",
    "TicketRecord",
    "TransitionRow",
    "from_ts",
    "to_ts",
]
